package io.github.tftrain.optimizers;

import io.github.tftrain.distributed.Replicas;
import io.github.tftrain.optimizers.schedule.Schedule;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;

/**
 * Builds an optimizer from its {@link OptimizerSpec}: typed setters in the subclasses ({@code Adam.builder()
 * .beta1(0.95)}), {@link #set(String, String)} from text, variable groups, the learning-rate schedule, the name
 * scope and the finiteness check.
 *
 * <p>Setters only record values; {@link #validate()} checks all of them against their declarations and the spec's
 * cross-checks, without a graph, and {@link #build(Graph)} validates and builds. Errors are
 * {@link IllegalArgumentException}s naming the optimizer, the hyperparameter and what it takes, e.g.
 * {@code "adam: beta1 must be in [0, 1), got 1.2"}.
 *
 * @param <B> the concrete builder
 * @param <O> the optimizer it builds
 */
public class OptimizerBuilder<B extends OptimizerBuilder<B, O>, O extends LossAwareOptimizer> {
  private final OptimizerSpec spec;
  private final Class<O> type;
  private final Map<String, Object> values = new LinkedHashMap<>();
  private final List<VariableGroup> groups = new ArrayList<>();
  private Schedule learningRate;
  private boolean checkFinite;
  private boolean trackUpdateNorm;
  private String name;
  private Replicas replicas = Replicas.single();

  /**
   * @param spec the optimizer's declaration
   * @param type the class {@link #build} returns
   */
  protected OptimizerBuilder(OptimizerSpec spec, Class<O> type) {
    this.spec = spec;
    this.type = type;
    this.name = spec.name();
  }

  /** A builder for any spec, typed as the base optimizer. */
  static OptimizerBuilder<?, LossAwareOptimizer> of(OptimizerSpec spec) {
    return new Untyped(spec);
  }

  private static final class Untyped extends OptimizerBuilder<Untyped, LossAwareOptimizer> {
    Untyped(OptimizerSpec spec) {
      super(spec, LossAwareOptimizer.class);
    }
  }

  @SuppressWarnings("unchecked")
  protected final B self() {
    return (B) this;
  }

  /** The spec this builder builds. */
  public OptimizerSpec spec() {
    return spec;
  }

  /**
   * Sets a hyperparameter.
   *
   * @throws IllegalArgumentException if the spec does not declare it (the message lists the valid keys)
   */
  public <V> B set(Hyperparameter<V> parameter, V value) {
    Hyperparameter<?> declared = declared(parameter.key());
    if (declared.key().equals("lr")) {
      return lr(parameter.type() == Double.class && value != null ? (Double) value : Double.NaN);
    }
    values.put(declared.key(), value);
    return self();
  }

  /**
   * Sets a hyperparameter from text: {@code key} is a name from {@link #keys()}, or
   * {@code group[SELECTOR].key} for a variable group (see {@link VariableGroup}).
   *
   * @param key the key
   * @param value its value as text (numbers, booleans, choice names, case-insensitive)
   * @throws IllegalArgumentException for an unknown key (the message lists the valid ones) or an unparsable value
   */
  public B set(String key, String value) {
    if (key == null) {
      throw new IllegalArgumentException(spec.name() + ": no hyperparameter name given");
    }
    if (VariableGroup.isGroupKey(key)) {
      return group(VariableGroup.selectorOf(key), VariableGroup.baseKey(key), value);
    }
    Hyperparameter<?> declared = declared(key.trim());
    Object parsed = declared.parse(spec.name(), value);
    if (declared.key().equals("lr")) {
      return lr((Double) parsed);
    }
    values.put(declared.key(), parsed);
    return self();
  }

  /**
   * Sets a hyperparameter for a group of variables from text.
   *
   * @param selector a regular expression on variable names or a rank condition (see {@link VariableGroup})
   * @param key a hyperparameter that may differ per variable
   * @param value its value as text
   */
  public B group(String selector, String key, String value) {
    Hyperparameter<?> declared = declared(key);
    return group(withParsed(VariableGroup.of(selector), declared, value));
  }

  private <V> VariableGroup withParsed(VariableGroup group, Hyperparameter<V> parameter, String text) {
    return group.with(parameter, parameter.parse(spec.name(), text));
  }

  /** Adds a variable group (its values are validated with the rest). */
  public B group(VariableGroup group) {
    groups.add(group);
    return self();
  }

  /** Sets a constant learning rate (KaFiStO: gain multiplier). */
  public B lr(double value) {
    this.learningRate = Schedule.constant(checkedFinite("lr", value));
    return self();
  }

  /** Sets a learning-rate schedule evaluated on the optimizer's global step. */
  public B lr(Schedule schedule) {
    this.learningRate = schedule;
    return self();
  }

  /**
   * The learning rate set so far (the documented default until {@link #lr} is called) at step 0: the base value a
   * configuration-driven caller scales with a schedule.
   */
  public double baseLearningRate() {
    return learningRate == null ? spec.learningRate().defaultValue() : learningRate.initialValue();
  }

  /** Clips the gradients by their global L2 norm to at most {@code value} (0, the default, turns clipping off). */
  public B clipNorm(double value) {
    return set(CommonHyperparameters.CLIP_NORM, value);
  }

  /** Weight decay (for optimizers that leave it to the base, in {@code weightDecayMode}; else as documented). */
  public B weightDecay(double value) {
    return set(declaredDouble("weightDecay"), value);
  }

  /** Lookahead every {@code steps} steps with slow step size {@code alpha} (see {@link CommonHyperparameters}). */
  public B lookahead(long steps, double alpha) {
    set(CommonHyperparameters.LOOKAHEAD_STEPS, steps);
    return set(CommonHyperparameters.LOOKAHEAD_ALPHA, alpha);
  }

  /** Keeps an exponential moving average of the weights with this decay and evaluates it. */
  public B emaDecay(double decay) {
    return set(CommonHyperparameters.EMA_DECAY, decay);
  }

  /** One update per {@code batches} runs of the train op, on the mean of their gradients. */
  public B accumulate(long batches) {
    return set(CommonHyperparameters.ACCUMULATE, batches);
  }

  /**
   * Data parallelism: the step averages each batch's gradients (before accumulation, clipping, weight decay and the
   * update) and loss statistics over {@code replicas}, so that every replica applies the same update, the one a
   * single process would apply to the global batch. Default: {@link Replicas#single()}.
   */
  public B replicas(Replicas value) {
    this.replicas = java.util.Objects.requireNonNull(value, "replicas");
    return self();
  }

  /**
   * Guards every step against a non-finite loss or gradient (default off): the step's writes wait for an assertion
   * that the loss and the global gradient norm are finite, so a step that fails it throws from {@code Session.run}
   * with a message containing {@link LossAwareOptimizer#NON_FINITE} and leaves the variables, the optimizer's state
   * and the global step exactly as they were. Costs one pass over the gradients (their norm).
   */
  public B checkFinite(boolean value) {
    this.checkFinite = value;
    return self();
  }

  /**
   * Measures every step's update, ‖x_after − x_before‖ over all trained variables (default off), for
   * {@link LossAwareOptimizer#updateNorm()}: divided by the gradient norm it is the effective step size of any
   * optimizer (the learning rate for plain SGD without clipping), which is how the trainer compares SGD's and Adam's
   * steps with KaFiStO's. Costs one copy of the weights (kept as a slot, so it is checkpointed) and one pass over them
   * per step.
   * Not with {@code accumulate} &gt; 1 (runs that only accumulate have no update to measure).
   */
  public B trackUpdateNorm(boolean value) {
    this.trackUpdateNorm = value;
    return self();
  }

  /** The name scope of the optimizer's ops and state (default: the optimizer's name, made unique in the graph). */
  public B name(String value) {
    if (value == null || !value.matches("[A-Za-z0-9.][A-Za-z0-9_.\\-]*")) {
      throw new IllegalArgumentException(
          spec.name() + ": name must be letters, digits, '.', '_' or '-' (a TensorFlow name scope), got '" + value
              + "'");
    }
    this.name = value;
    return self();
  }

  /** The hyperparameter names {@link #set} accepts, in documentation order. */
  public List<String> keys() {
    List<String> keys = new ArrayList<>();
    for (Hyperparameter<?> p : spec.hyperparameters()) {
      keys.add(p.key());
    }
    return keys;
  }

  /** The registry name, e.g. "kafisto". */
  public String optimizerName() {
    return spec.name();
  }

  /**
   * Checks every value against its declaration and the spec's cross-checks. Needs no graph.
   *
   * @return the configuration {@link #build} would use
   * @throws IllegalArgumentException naming the first invalid hyperparameter and what it takes
   */
  public OptimizerConfig validate() {
    String opt = spec.name();
    Schedule lr = learningRate == null ? Schedule.constant(spec.learningRate().defaultValue()) : learningRate;
    Hyperparameters.nonNegative(opt, "lr", lr);
    Map<String, Object> checked = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : values.entrySet()) {
      checked.put(e.getKey(), checkValue(spec.hyperparameter(e.getKey()), e.getValue()));
    }
    for (VariableGroup group : groups) {
      for (Map.Entry<Hyperparameter<?>, Object> e : group.values().entrySet()) {
        Hyperparameter<?> declared = declared(e.getKey().key());
        if (!declared.isPerVariable()) {
          throw new IllegalArgumentException(
              opt + ": " + declared.key() + " is shared by all variables and cannot be set per group (group["
                  + group.selector() + "]); per-variable keys: "
                  + (perVariableKeys().isEmpty() ? "none" : String.join(", ", perVariableKeys())));
        }
        checkValue(declared, e.getValue());
      }
    }
    OptimizerConfig config =
        new OptimizerConfig(spec, checked, lr, groups, name, checkFinite, replicas, trackUpdateNorm);
    if (trackUpdateNorm && config.get(CommonHyperparameters.ACCUMULATE) > 1) {
      throw new IllegalArgumentException(
          opt + ": trackUpdateNorm needs accumulate 1 (runs that only accumulate gradients update nothing), got "
              + config.get(CommonHyperparameters.ACCUMULATE));
    }
    if (!spec.supportsAccumulation() && config.get(CommonHyperparameters.ACCUMULATE) > 1) {
      throw new IllegalArgumentException(
          opt + ": accumulate must be 1 (its update measures each minibatch's loss), got "
              + config.get(CommonHyperparameters.ACCUMULATE));
    }
    if (config.isSet(CommonHyperparameters.LOOKAHEAD_ALPHA) && config.get(CommonHyperparameters.LOOKAHEAD_STEPS) == 0) {
      throw new IllegalArgumentException(
          opt + ": lookaheadAlpha applies to Lookahead: set lookaheadSteps > 0 too (0 = off)");
    }
    if (spec.evaluatesOwnWeights()
        && (config.get(CommonHyperparameters.LOOKAHEAD_STEPS) > 0 || config.get(CommonHyperparameters.EMA_DECAY) > 0)) {
      throw new IllegalArgumentException(
          opt + ": lookaheadSteps and emaDecay must be 0: " + opt + " evaluates weights of its own (see its"
              + " documentation), which Lookahead's sync and an average of the training variables would not be");
    }
    spec.check(config);
    return config;
  }

  /**
   * An independent builder with this one's settings (hyperparameters, groups, schedule, name, finite check), typed as
   * the base optimizer: for code that builds the same optimizer more than once with a change (a trainer's export with
   * {@code kernel=graph}) without touching the caller's builder.
   */
  public OptimizerBuilder<?, LossAwareOptimizer> copy() {
    OptimizerBuilder<?, LossAwareOptimizer> copy = of(spec);
    copy.values.putAll(values);
    copy.groups.addAll(groups);
    copy.learningRate = learningRate;
    copy.checkFinite = checkFinite;
    copy.trackUpdateNorm = trackUpdateNorm;
    copy.name = name;
    copy.replicas = replicas;
    return copy;
  }

  /** Validates the hyperparameters and builds the optimizer in {@code graph}. */
  public O build(Graph graph) {
    return type.cast(spec.create(graph, validate()));
  }

  private List<String> perVariableKeys() {
    List<String> keys = new ArrayList<>();
    for (Hyperparameter<?> p : spec.hyperparameters()) {
      if (p.isPerVariable()) {
        keys.add(p.key());
      }
    }
    return keys;
  }

  @SuppressWarnings("unchecked")
  private Object checkValue(Hyperparameter<?> parameter, Object value) {
    if (value == null) {
      throw new IllegalArgumentException(spec.name() + ": " + parameter.key() + " must not be null");
    }
    return ((Hyperparameter<Object>) parameter).check(spec.name(), value);
  }

  private Hyperparameter<?> declared(String key) {
    Hyperparameter<?> declared = spec.hyperparameter(key);
    if (declared == null) {
      throw new IllegalArgumentException(
          "unknown hyperparameter '" + key + "' for " + spec.name() + "; valid keys: " + String.join(", ", keys())
              + ", group[SELECTOR].KEY");
    }
    return declared;
  }

  @SuppressWarnings("unchecked")
  private Hyperparameter<Double> declaredDouble(String key) {
    Hyperparameter<?> declared = declared(key);
    if (declared.type() != Double.class) {
      throw new IllegalArgumentException(spec.name() + ": " + key + " is not a number");
    }
    return (Hyperparameter<Double>) declared;
  }

  private double checkedFinite(String key, double value) {
    return Hyperparameters.finite(spec.name(), key, value);
  }
}
