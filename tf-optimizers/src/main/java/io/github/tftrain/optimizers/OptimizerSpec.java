package io.github.tftrain.optimizers;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.tensorflow.Graph;

/**
 * What an optimizer is, declared once: its name, what it is and where it comes from, its hyperparameters (with the
 * learning rate's default), how weight decay applies, the checks that involve several hyperparameters, and how to
 * build it. Builders, text parsing, validation, {@code toString}, {@code tftrain optimizers} and the README's tables
 * all read the spec.
 *
 * <pre>{@code
 * static final OptimizerSpec SPEC =
 *     OptimizerSpec.builder("lion")
 *         .summary("Lion: the sign of an interpolated momentum")
 *         .source("Chen et al., Symbolic Discovery of Optimization Algorithms, 2023")
 *         .learningRate(1e-4)
 *         .weightDecay(WeightDecayMode.DECOUPLED, 0.0)
 *         .hyperparameters(BETA1, BETA2)
 *         .factory(Lion::new)
 *         .build();
 * }</pre>
 *
 * <p>Register your own with {@link OptimizerRegistry#with} or, for the CLI, an {@link OptimizerProvider}.
 */
public final class OptimizerSpec {
  /** Builds the optimizer from a validated configuration. */
  @FunctionalInterface
  public interface Factory {
    /**
     * @param graph the graph to build in
     * @param config the validated configuration
     * @return the optimizer
     */
    LossAwareOptimizer create(Graph graph, OptimizerConfig config);
  }

  private final String name;
  private final String summary;
  private final String source;
  private final Hyperparameter<Double> learningRate;
  private final WeightDecayMode weightDecayMode;
  private final double weightDecayDefault;
  private final List<Hyperparameter<?>> own;
  private final List<Hyperparameter<?>> all;
  private final Map<String, Hyperparameter<?>> byKey;
  private final List<Consumer<OptimizerConfig>> checks;
  private final Factory factory;
  private final boolean supportsAccumulation;
  private final boolean evaluatesOwnWeights;

  private OptimizerSpec(Builder b) {
    this.name = b.name;
    this.summary = Objects.requireNonNull(b.summary, b.name + ": summary");
    this.source = Objects.requireNonNull(b.source, b.name + ": source");
    this.learningRate = Objects.requireNonNull(b.learningRate, b.name + ": learningRate");
    this.weightDecayMode = b.weightDecayMode;
    this.weightDecayDefault = b.weightDecayDefault;
    this.own = List.copyOf(b.own);
    this.checks = List.copyOf(b.checks);
    this.factory = Objects.requireNonNull(b.factory, b.name + ": factory");
    this.supportsAccumulation = b.supportsAccumulation;
    this.evaluatesOwnWeights = b.evaluatesOwnWeights;
    List<Hyperparameter<?>> list = new ArrayList<>();
    list.add(learningRate);
    list.addAll(own);
    if (weightDecayMode != null) {
      list.add(CommonHyperparameters.WEIGHT_DECAY.withDefault(weightDecayDefault).perVariable());
      list.add(CommonHyperparameters.WEIGHT_DECAY_MODE.withDefault(weightDecayMode));
    }
    list.add(CommonHyperparameters.CLIP_NORM);
    list.addAll(CommonHyperparameters.WRAPPERS);
    Map<String, Hyperparameter<?>> keys = new LinkedHashMap<>();
    for (Hyperparameter<?> p : list) {
      if (keys.put(p.key(), p) != null) {
        throw new IllegalArgumentException(name + ": hyperparameter '" + p.key() + "' is declared twice");
      }
    }
    this.all = Collections.unmodifiableList(list);
    this.byKey = Collections.unmodifiableMap(keys);
  }

  /**
   * Starts a spec.
   *
   * @param name the registry name: lower case letters, digits and '-', e.g. {@code "adamw-schedulefree"}
   */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** The registry name. */
  public String name() {
    return name;
  }

  /** One line: what the optimizer is. */
  public String summary() {
    return summary;
  }

  /** The paper (and, where it defines details, the reference code) the update follows. */
  public String source() {
    return source;
  }

  /** Every hyperparameter {@code set} accepts, in documentation order: lr, the optimizer's own, then the common ones. */
  public List<Hyperparameter<?>> hyperparameters() {
    return all;
  }

  /** The optimizer's own hyperparameters and lr (and the base weight decay where it applies), for its README table. */
  public List<Hyperparameter<?>> documentedHyperparameters() {
    List<Hyperparameter<?>> list = new ArrayList<>();
    for (Hyperparameter<?> p : all) {
      if (p != CommonHyperparameters.CLIP_NORM && !CommonHyperparameters.WRAPPERS.contains(p)) {
        list.add(p);
      }
    }
    return list;
  }

  /** The declaration of {@code key}, or null. */
  public Hyperparameter<?> hyperparameter(String key) {
    return byKey.get(key);
  }

  /** The learning rate's declaration (its default is this optimizer's). */
  public Hyperparameter<Double> learningRate() {
    return learningRate;
  }

  /** How the base applies weight decay, or null when the optimizer defines its own. */
  public WeightDecayMode weightDecayMode() {
    return weightDecayMode;
  }

  /** Whether {@code accumulate} &gt; 1 is allowed (not for optimizers that measure the minibatch loss). */
  public boolean supportsAccumulation() {
    return supportsAccumulation;
  }

  /** Whether the optimizer evaluates weights of its own (so the Lookahead and EMA wrappers do not apply). */
  public boolean evaluatesOwnWeights() {
    return evaluatesOwnWeights;
  }

  /** A builder with this optimizer's defaults. */
  public OptimizerBuilder<?, LossAwareOptimizer> newBuilder() {
    return OptimizerBuilder.of(this);
  }

  void check(OptimizerConfig config) {
    for (Consumer<OptimizerConfig> check : checks) {
      check.accept(config);
    }
  }

  LossAwareOptimizer create(Graph graph, OptimizerConfig config) {
    return factory.create(graph, config);
  }

  @Override
  public String toString() {
    return name;
  }

  /** Assembles an {@link OptimizerSpec}. */
  public static final class Builder {
    private final String name;
    private String summary;
    private String source;
    private Hyperparameter<Double> learningRate;
    private WeightDecayMode weightDecayMode;
    private double weightDecayDefault;
    private final List<Hyperparameter<?>> own = new ArrayList<>();
    private final List<Consumer<OptimizerConfig>> checks = new ArrayList<>();
    private Factory factory;
    private boolean supportsAccumulation = true;
    private boolean evaluatesOwnWeights;

    private Builder(String name) {
      if (name == null || !name.matches("[a-z][a-z0-9-]*")) {
        throw new IllegalArgumentException(
            "an optimizer name is lower case letters, digits and '-', got '" + name + "'");
      }
      this.name = name;
    }

    /** One line: what the optimizer is. */
    public Builder summary(String text) {
      this.summary = text;
      return this;
    }

    /** The paper (and reference code) the update follows. */
    public Builder source(String text) {
      this.source = text;
      return this;
    }

    /** The default learning rate, described as "learning rate". */
    public Builder learningRate(double defaultValue) {
      return learningRate(defaultValue, "learning rate (schedulable)");
    }

    /** The default learning rate with its own description (KaFiStO: a gain multiplier). */
    public Builder learningRate(double defaultValue, String description) {
      this.learningRate = Hyperparameter.real("lr", defaultValue, Range.atLeast(0), description);
      return this;
    }

    /** The base applies {@code weightDecay} in this mode by default (users may switch the mode). */
    public Builder weightDecay(WeightDecayMode mode, double defaultValue) {
      this.weightDecayMode = Objects.requireNonNull(mode);
      this.weightDecayDefault = defaultValue;
      return this;
    }

    /** The optimizer's own hyperparameters, in documentation order. */
    public Builder hyperparameters(Hyperparameter<?>... parameters) {
      own.addAll(List.of(parameters));
      return this;
    }

    /** A check involving several hyperparameters; it throws IllegalArgumentException naming them. */
    public Builder check(Consumer<OptimizerConfig> check) {
      checks.add(check);
      return this;
    }

    /** Rejects {@code accumulate} &gt; 1 (optimizers whose update measures one minibatch's loss). */
    public Builder noAccumulation() {
      this.supportsAccumulation = false;
      return this;
    }

    /**
     * The optimizer evaluates weights of its own ({@link LossAwareOptimizer#evaluationValue}, e.g. Schedule-Free's x):
     * the Lookahead and EMA wrappers, which replace the training variables' values, are rejected.
     */
    public Builder evaluatesOwnWeights() {
      this.evaluatesOwnWeights = true;
      return this;
    }

    /** How to build the optimizer. */
    public Builder factory(Factory value) {
      this.factory = value;
      return this;
    }

    /** The spec. */
    public OptimizerSpec build() {
      return new OptimizerSpec(this);
    }
  }
}
