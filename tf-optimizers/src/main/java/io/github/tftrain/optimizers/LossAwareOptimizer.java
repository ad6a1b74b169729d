package io.github.tftrain.optimizers;

import io.github.tftrain.gradients.MissingGradients;
import io.github.tftrain.optimizers.schedule.Schedule;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.framework.optimizers.Optimizer;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TType;

/**
 * The base of every tftrain optimizer: a TF-Java {@link Optimizer} that sees the loss, owns a step counter, trains
 * exactly the variables it is given, orders its writes safely, and applies what every optimizer shares.
 *
 * <p>What it adds to the framework class:
 *
 * <ul>
 *   <li>{@link #minimize(Operand)} trains the variables the loss depends on (not every variable in the graph), and
 *       {@link #minimize(Operand, List)} a given list, so several optimizers can share a graph (a GAN's generator and
 *       critic) and non-trainable variables (batch-norm moving statistics) stay untouched. Several optimizers whose
 *       updates run in the same {@code Session.run} are built together with {@link TrainStep}.
 *   <li>The loss reaches the update. A rank-1 loss is read as per-example losses; gradients are taken of their mean
 *       (see {@link LossStatistics}).
 *   <li>A global step: an int64 {@code VariableV2} named {@code <name>/global_step}, 0 before the first update and
 *       incremented once per applied update, after all of that update's writes.
 *   <li>Once for every optimizer (the {@link CommonHyperparameters}): the learning rate as a {@link Schedule}
 *       evaluated on the global step inside the graph; clipping by the global norm; weight decay, L2 or decoupled,
 *       per variable group, for optimizers whose spec leaves it to the base; Lookahead; an EMA of the weights;
 *       gradient accumulation; the finiteness check.
 *   <li>Evaluation weights: {@link #evaluationWeights()} are the values to evaluate and export (the EMA, Lookahead's
 *       slow weights, or what the optimizer defines through {@link #evaluationValue}); {@link EvaluationSwap} puts
 *       them into the variables and back.
 *   <li>All state is legacy {@code VariableV2} (slots and scalars), so {@code Session.save/restore} and SavedModel
 *       keep the whole optimizer state, and a restored run continues bitwise identically.
 * </ul>
 *
 * <p>Subclasses follow the Keras split between state creation and the step: {@link #build} creates slots and
 * scalars once, {@link #update} computes one step from the reads of an {@link UpdateStep} and requests its writes
 * there. The base makes every write wait for every computation {@code update} made (and for the gradients and the
 * loss), so an optimizer cannot race its own reads; {@code update} may not create state or write ops itself.
 *
 * <p>One optimizer instance builds one train op: it owns its step counter and per-variable state. Create one
 * optimizer per train op (two for a GAN).
 */
public abstract class LossAwareOptimizer extends Optimizer {
  /** The text in the error of a step stopped by {@link OptimizerBuilder#checkFinite}. */
  public static final String NON_FINITE = "non-finite loss or gradient";

  /** The slot holding the weights before the step, for {@link #updateNorm()}. */
  private static final String UPDATE_PREVIOUS = "update_previous";

  private final OptimizerConfig config;
  private final String scopeName;
  private final Ops scope;
  private final Variable<TInt64> globalStep;
  private final Map<String, Map<String, Variable<?>>> slots = new HashMap<>();
  private final Schedule learningRate;
  private final double clipNorm;
  private final boolean checkFinite;
  private final long accumulate;
  private final long lookaheadSteps;
  private final double emaDecay;
  private Op finiteCheck;
  private Op trainOp;
  private boolean prepared;
  private int gradientCalls;
  private List<Layer<?>> rawLayers;
  private List<VariableGroup> unmatchedGroups = List.of();
  private List<Layer<?>> updatedLayers;
  private Operand<TFloat64> learningRateAtStep;
  private Operand<TFloat64> gradientNorm;
  private Operand<TFloat64> lossMean;
  private Operand<TFloat64> updateNorm;
  private List<EvaluationWeight<?>> evaluationWeights;

  /**
   * @param graph the graph to build in
   * @param config the validated configuration; its name is the name scope of the optimizer's ops and state (made
   *     unique in the graph with a numeric suffix, deterministic for a given order of construction, which is what
   *     restoring a checkpoint needs)
   */
  protected LossAwareOptimizer(Graph graph, OptimizerConfig config) {
    super(graph, config.name());
    this.config = config;
    this.checkFinite = config.checkFinite();
    this.clipNorm = config.get(CommonHyperparameters.CLIP_NORM);
    this.accumulate = config.get(CommonHyperparameters.ACCUMULATE);
    this.lookaheadSteps = config.get(CommonHyperparameters.LOOKAHEAD_STEPS);
    this.emaDecay = config.get(CommonHyperparameters.EMA_DECAY);
    // withSubScope makes the scope name unique in the graph (kafisto, then kafisto_N); read it back from an op.
    Ops scoped = Ops.create(graph).withSubScope(config.name());
    this.globalStep = scoped.withName("global_step").variable(scoped.withInitScope().constant(0L));
    String stepName = globalStep.op().name();
    this.scopeName = stepName.substring(0, stepName.length() - "/global_step".length());
    this.scope = scoped;
    this.learningRate = config.learningRate();
  }

  /** The configuration this optimizer was built with. */
  public OptimizerConfig configuration() {
    return config;
  }

  /** The optimizer's unique name scope in its graph. */
  @Override
  public String getOptimizerName() {
    return scopeName;
  }

  /** The number of updates applied so far: int64 scalar {@code VariableV2}, 0 before the first update. */
  public Variable<TInt64> globalStep() {
    return globalStep;
  }

  /** The learning-rate (KaFiStO: gain) schedule. */
  public Schedule learningRateSchedule() {
    return learningRate;
  }

  /**
   * The learning rate the train op applies, evaluated on the step being applied (float64 scalar), after the
   * optimizer's own adjustments ({@link #stepLearningRate}, e.g. Apollo's warmup). Fetch it in the same run as the
   * train op to log it.
   *
   * @throws IllegalStateException before the train op is built
   */
  public Operand<TFloat64> learningRate() {
    requireBuilt("learningRate()");
    return learningRateAtStep;
  }

  /**
   * The step's loss as the update sees it (float64): the minibatch mean, averaged over the replicas in data-parallel
   * training (the global batch's mean loss).
   *
   * @throws IllegalStateException before minimize/applyGradients ran, or when the step was given no loss
   */
  public Operand<TFloat64> lossMean() {
    requireBuilt("lossMean()");
    if (lossMean == null) {
      throw new IllegalStateException(scopeName + " was given no loss");
    }
    return lossMean;
  }

  /**
   * The global L2 norm of this run's gradients before clipping (float64 scalar; with {@code accumulate}, of this run's
   * batch, not of the accumulated mean, so that every run has a value); fetch it with the train op. Without
   * accumulation and with clipping on it is the norm the train op clipped with; otherwise it is built on first
   * request, so optimizers that do not need it do not pay an extra pass over the gradients.
   *
   * @throws IllegalStateException before the train op is built
   */
  public Operand<TFloat64> gradientNorm() {
    requireBuilt("gradientNorm()");
    if (gradientNorm == null) {
      gradientNorm = globalNorm(scope.withSubScope("update"), rawLayers);
    }
    return gradientNorm;
  }

  /**
   * The norm of the step's update over all trained variables, ‖x_after − x_before‖ (a float64 scalar summed from each
   * variable's squared norm; x_after after every write of the step, so on a Lookahead sync step it includes the
   * sync's jump). Fetch it with the train op; fetched alone it runs one whole step. Its ratio to
   * {@link #gradientNorm()}, the norm before clipping, is the step size the optimizer effectively took along the
   * gradient: for SGD without momentum or weight decay the learning rate, times min(1, clipNorm/‖g‖) with clipping.
   *
   * @throws IllegalStateException before the train op is built, or when not built with
   *     {@link OptimizerBuilder#trackUpdateNorm}
   */
  public Operand<TFloat64> updateNorm() {
    requireBuilt("updateNorm()");
    if (updateNorm == null) {
      throw new IllegalStateException(scopeName + " was built without trackUpdateNorm");
    }
    return updateNorm;
  }

  /**
   * The assertion that the step's loss and gradients are finite, when built with {@code checkFinite}: make other
   * per-step writes (batch-norm moving averages) depend on it, so a failing step changes nothing.
   *
   * @throws IllegalStateException before the train op is built, or without {@code checkFinite}
   */
  public Op finiteCheck() {
    requireBuilt("finiteCheck()");
    if (finiteCheck == null) {
      throw new IllegalStateException(scopeName + " was built without checkFinite");
    }
    return finiteCheck;
  }

  /** The train op, once built. */
  public Op trainOp() {
    requireBuilt("trainOp()");
    return trainOp;
  }

  /**
   * The names of the variables this optimizer updates, in the order given.
   *
   * @throws IllegalStateException before the train op is built
   */
  public List<String> variableNames() {
    requireBuilt("variableNames()");
    return rawLayers.stream().map(Layer::name).toList();
  }

  /**
   * The variable groups ({@code group[SELECTOR].KEY}) whose selector matched none of this optimizer's variables: a
   * selector with a typo changes nothing, so building the train op also logs a warning for each (through
   * {@link System.Logger}); the trainer turns one that matches no variable of the whole model into an error.
   *
   * @throws IllegalStateException before the train op is built
   */
  public List<VariableGroup> unmatchedGroups() {
    requireBuilt("unmatchedGroups()");
    return unmatchedGroups;
  }

  /** The groups that match none of the layers. */
  private static List<VariableGroup> unmatched(List<VariableGroup> groups, List<Layer<?>> layers) {
    List<VariableGroup> out = new ArrayList<>();
    for (VariableGroup group : groups) {
      if (layers.stream().noneMatch(l -> group.matches(l.name(), l.variable().shape().numDimensions()))) {
        out.add(group);
      }
    }
    return List.copyOf(out);
  }

  /**
   * "group[A] and group[B] match none of the N variables (x, y, z, ...)": for messages about unmatched groups.
   *
   * @param groups the unmatched groups (at least one)
   * @param variables the variables they were matched against
   */
  public static String describeUnmatched(List<VariableGroup> groups, List<String> variables) {
    List<String> selectors = groups.stream().map(g -> "group[" + g.selector() + "]").toList();
    String shown = String.join(", ", variables.subList(0, Math.min(8, variables.size())))
        + (variables.size() > 8 ? ", ..." : "");
    return String.join(" and ", selectors) + (groups.size() == 1 ? " matches" : " match") + " none of the "
        + variables.size() + " variables (" + shown + ")";
  }

  /**
   * The weights to evaluate and export, for the variables whose evaluation value differs from their training value
   * (empty when they are the same): the EMA ({@code emaDecay}), else Lookahead's slow weights
   * ({@code lookaheadSteps}), else the optimizer's own ({@link #evaluationValue}: Schedule-Free's x, KaFiStO
   * Dynamics' posterior). The values are pure reads of the optimizer's state: fetching them changes nothing.
   *
   * @throws IllegalStateException before the train op is built
   */
  public List<EvaluationWeight<?>> evaluationWeights() {
    requireBuilt("evaluationWeights()");
    if (evaluationWeights == null) {
      Ops tf = scope.withSubScope("evaluation");
      List<EvaluationWeight<?>> weights = new ArrayList<>();
      for (Layer<?> layer : updatedLayers) {
        Operand<?> value = evaluationOf(tf, layer);
        if (value != null) {
          weights.add(EvaluationWeight.of(layer.variable(), value));
        }
      }
      evaluationWeights = List.copyOf(weights);
    }
    return evaluationWeights;
  }

  @SuppressWarnings("unchecked")
  private <T extends TType> Operand<T> evaluationOf(Ops tf, Layer<T> layer) {
    if (emaDecay > 0) {
      return tf.identity((Variable<T>) slot(layer, "ema"));
    }
    if (lookaheadSteps > 0) {
      return tf.identity((Variable<T>) slot(layer, "lookahead_slow"));
    }
    return evaluationValue(tf, layer);
  }

  /**
   * The value of {@code layer}'s variable to evaluate, computed from state by pure reads, or null when it is the
   * variable itself (the default). Override for optimizers that train at one point and estimate another.
   */
  protected <T extends TType> Operand<T> evaluationValue(Ops tf, Layer<T> layer) {
    return null;
  }

  /** Whether the update needs the loss value (KaFiStO does; gradient-only methods do not). */
  protected boolean needsLoss() {
    return false;
  }

  /**
   * The learning rate this step applies, given the schedule's value at the step (a float64 scalar). The default is
   * the schedule's value; Apollo overrides it with its warmup. {@link #learningRate()} and
   * {@link UpdateStep#learningRate()} return this.
   */
  protected Operand<TFloat64> stepLearningRate(Ops tf, Operand<TInt64> step, Operand<TFloat64> scheduled) {
    return scheduled;
  }

  /**
   * Creates the optimizer's state for the layers it will update (slots with {@link #createZeroSlot}, scalars with
   * {@link #createScalar}). Called once, before {@link #update}.
   *
   * @param layers the variables that have a gradient, in graph order
   */
  protected abstract void build(List<Layer<?>> layers);

  /**
   * Computes one update step from {@code step}'s reads and requests its writes there ({@link UpdateStep#assign},
   * {@link UpdateStep#descend}, {@link UpdateStep#inPlace}). Every write waits for every op built here.
   *
   * @param step the step's inputs and write requests
   */
  protected abstract void update(UpdateStep step);

  /**
   * Creates a float64 scalar state variable {@code <name scope>/<name>} initialised to {@code initial}.
   *
   * @param name the variable's name inside the optimizer's scope
   * @param initial its initial value
   * @return the variable
   */
  protected final Variable<TFloat64> createScalar(String name, double initial) {
    return scope.withName(name).variable(scope.withInitScope().constant(initial));
  }

  /**
   * Creates a zero-initialised slot of {@code layer}'s shape and type, found later by {@link #getSlot}. Its name is
   * the variable's with '/' replaced by '.', then '-' and the slot name, in this optimizer's scope: the slot "m" of
   * {@code wrn/group1/conv1/kernel} is {@code adam/wrn.group1.conv1.kernel-m}. (The framework's own
   * {@code createSlot} names it without the replacement, which TF-Java rejects for any variable in a name scope.)
   */
  protected final <T extends TType> Variable<T> createZeroSlot(Layer<T> layer, String slotName) {
    Ops init = scope.withInitScope();
    return registerSlot(layer, slotName, init.zeros(init.constant(layer.variable().shape()), layer.type()));
  }

  /** Creates the zero-initialised slots {@code names} for every layer (see {@link #createZeroSlot}). */
  protected final void createZeroSlots(List<Layer<?>> layers, String... names) {
    for (Layer<?> layer : layers) {
      for (String name : names) {
        createZeroSlot(layer, name);
      }
    }
  }

  /**
   * Creates a slot that starts as a copy of the variable (EMA, Lookahead's slow weights, Schedule-Free's z): of its
   * current value when it is initialised already (weights restored before the optimizer was built), else of its
   * initial value, which the variable's own initializer assigns in the same run. A restored checkpoint restores the
   * slot like any other.
   */
  @SuppressWarnings("unchecked")
  protected final <T extends TType> Variable<T> createCopySlot(Layer<T> layer, String slotName) {
    Ops init = scope.withInitScope();
    Operand<T> initialValue = null;
    for (Iterator<GraphOperation> it = graph.operations(); it.hasNext(); ) {
      GraphOperation op = it.next();
      if (graph.isInitializer(op) && op.type().equals("Assign") && op.numInputs() == 2
          && op.input(0).op().name().equals(layer.variable().op().name())) {
        initialValue = (Operand<T>) op.input(1);
      }
    }
    if (initialValue == null) {
      return registerSlot(layer, slotName, init.identity(layer.variable()));
    }
    // tf.cond(is_initialized, read, initial value): the read must not run on an uninitialised variable.
    org.tensorflow.op.core.SwitchCond<TFloat32> initialized =
        init.switchCond(init.constant(0f), init.isVariableInitialized(layer.variable()));
    Operand<T> current =
        init.withControlDependencies(List.of(init.identity(initialized.outputTrue()))).identity(layer.variable());
    Operand<T> initial =
        init.withControlDependencies(List.of(init.identity(initialized.outputFalse()))).identity(initialValue);
    return registerSlot(layer, slotName, init.merge(List.of(current, initial)).output());
  }

  private <T extends TType> Variable<T> registerSlot(Layer<T> layer, String slotName, Operand<T> initial) {
    String variableName = layer.variable().op().name();
    Variable<T> slot = scope.withName(variableName.replace('/', '.') + "-" + slotName).variable(initial);
    slots.computeIfAbsent(slotName, k -> new HashMap<>()).put(variableName, slot);
    return slot;
  }

  /**
   * The slot {@code slotName} (e.g. Adam's "m") of a variable this optimizer updates.
   *
   * @return the slot, or empty if the variable has no such slot (not trained by this optimizer, or not built yet)
   */
  @Override
  public <T extends TType> Optional<Variable<T>> getSlot(Output<T> variable, String slotName) {
    Map<String, Variable<?>> bySlot = slots.get(slotName);
    Variable<?> slot = bySlot == null ? null : bySlot.get(variable.op().name());
    @SuppressWarnings("unchecked") // a slot has its variable's type
    Variable<T> typed = (Variable<T>) slot;
    return Optional.ofNullable(typed);
  }

  /** The slot {@code slotName} of a layer this optimizer created it for. */
  protected final <T extends TType> Variable<T> slot(Layer<T> layer, String slotName) {
    return getSlot(layer.variable(), slotName)
        .orElseThrow(() -> new IllegalStateException(scopeName + ": no slot " + slotName + " for " + layer.name()));
  }

  /** Ops under this optimizer's name scope. */
  protected final Ops scope() {
    return scope;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Building the train op

  /**
   * Builds the train op for the variables {@code loss} depends on.
   *
   * @param loss a float scalar, or a rank-1 vector of per-example losses
   * @return the train op: run it once per step
   */
  @Override
  public Op minimize(Operand<?> loss) {
    return minimize(loss, variablesOf(loss));
  }

  /**
   * As {@link #minimize(Operand)}, with {@code name} for the train op.
   */
  @Override
  public Op minimize(Operand<?> loss, String name) {
    return build(loss, variablesOf(loss), name);
  }

  /**
   * Builds the train op for the given variables only. A listed variable the loss does not reach gets no update.
   *
   * @param loss a float scalar, or a rank-1 vector of per-example losses
   * @param variables the {@code VariableV2} variables to train
   * @return the train op
   */
  public Op minimize(Operand<?> loss, List<? extends Variable<?>> variables) {
    return build(loss, variables, "train");
  }

  /**
   * The gradients of the loss (the mean, for per-example losses) for the variables the loss depends on.
   * Variables without a gradient are left out.
   */
  @Override
  public <T extends TType> List<GradAndVar<?>> computeGradients(Operand<?> loss) {
    return computeGradients(loss, variablesOf(loss));
  }

  /**
   * The gradients of the loss (the mean, for per-example losses) for the given variables. Variables the loss does
   * not reach, or reaches only through ops without a gradient, are left out.
   */
  public List<GradAndVar<?>> computeGradients(Operand<?> loss, List<? extends Variable<?>> variables) {
    return gradients(LossStatistics.of(scope, loss), variables);
  }

  /**
   * Applies precomputed gradients without a loss.
   *
   * @throws IllegalStateException for optimizers that need the loss (KaFiStO): use
   *     {@link #applyGradients(List, Operand)}
   */
  @Override
  public Op applyGradients(List<GradAndVar<? extends TType>> gradsAndVars, String name) {
    if (needsLoss()) {
      throw new IllegalStateException(
          scopeName + " needs the loss: use minimize(loss) or applyGradients(gradsAndVars, loss)");
    }
    return single(gradsAndVars, null, name);
  }

  /**
   * Applies precomputed gradients, with the loss they came from (for KaFiStO's measurement).
   *
   * @param gradsAndVars (gradient, variable) pairs; the gradients should be of the loss's mean
   * @param loss the scalar loss, or per-example losses
   * @return the train op
   */
  public Op applyGradients(List<GradAndVar<? extends TType>> gradsAndVars, Operand<?> loss) {
    return single(gradsAndVars, LossStatistics.of(scope, loss), "train");
  }

  /** Never called: this class applies all variables in one step ({@link #update}), not one by one. */
  @Override
  protected final <T extends TType> Op applyDense(Ops tf, Output<T> gradient, Output<T> variable) {
    throw new UnsupportedOperationException("tftrain optimizers update all variables together in update()");
  }

  private Op build(Operand<?> loss, List<? extends Variable<?>> variables, String name) {
    requireNotBuilt();
    LossStatistics stats = LossStatistics.of(scope, loss);
    return single(gradients(stats, variables), stats, name);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private Op single(List<? extends GradAndVar<?>> gradsAndVars, LossStatistics loss, String name) {
    Prepared prepared = prepare((List) gradsAndVars, loss);
    Op barrier = prepared.base.withControlDependencies(prepared.computed).withName("computed").noOp();
    return commit(prepared, barrier, name);
  }

  List<GradAndVar<?>> gradients(LossStatistics stats, List<? extends Variable<?>> variables) {
    MissingGradients.register(); // TF-Java's own ops, e.g. sparseSoftmaxCrossEntropyWithLogits, lack some gradients
    Set<GraphOperation> reachable = reachableOps(stats.objective());
    List<Output<?>> reached = new ArrayList<>();
    for (Variable<?> variable : variables) {
      checkVariable(variable);
      if (reachable.contains((GraphOperation) variable.op())) {
        reached.add(variable.asOutput());
      }
    }
    List<GradAndVar<?>> pairs = new ArrayList<>();
    if (reached.isEmpty()) {
      return pairs;
    }
    Output<?>[] xs = reached.toArray(new Output<?>[0]);
    RawVariableReads.check(scopeName, stats.objective(), reached);
    // Each call gets its own prefix: TF refuses a prefix that already names nodes.
    String prefix = scopeName + "/gradients" + (gradientCalls == 0 ? "" : "_" + gradientCalls);
    gradientCalls++;
    Output<?>[] grads = graph.addGradients(prefix, new Output<?>[] {stats.objective().asOutput()}, xs, null);
    for (int i = 0; i < xs.length; i++) {
      if (!isMissing(grads[i])) {
        pairs.add(pair(grads[i], xs[i]));
      }
    }
    return pairs;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static GradAndVar<?> pair(Output<?> gradient, Output<?> variable) {
    return new GradAndVar(gradient, variable);
  }

  /** TF returns an output with no operation for a variable reached only through ops without a gradient. */
  private static boolean isMissing(Output<?> gradient) {
    if (gradient == null) {
      return true;
    }
    GraphOperation op = (GraphOperation) gradient.op();
    return op.getUnsafeNativeHandle() == null || op.getUnsafeNativeHandle().isNull();
  }

  void checkVariable(Variable<?> variable) {
    if (variable == null) {
      throw new IllegalArgumentException(scopeName + ": variable list contains null");
    }
    if (!Variable.OP_NAME.equals(variable.op().type())) {
      throw new IllegalArgumentException(
          scopeName + ": '" + variable.op().name() + "' is a " + variable.op().type()
              + ", not a VariableV2 (create variables with tf.variable)");
    }
    if (variable.env() != graph) {
      throw new IllegalArgumentException(
          scopeName + ": variable '" + variable.op().name() + "' belongs to another graph");
    }
  }

  void requireNotBuilt() {
    if (trainOp != null || prepared) {
      throw new IllegalStateException(
          scopeName + " already built a train op; an optimizer owns its step counter and state, so create one "
              + "optimizer per train op");
    }
  }

  /** What one optimizer's step computes before the barrier, and what it writes after it. */
  static final class Prepared {
    final List<Op> computed;
    final List<Function<Ops, Op>> writes;
    final List<Function<Ops, Op>> lateWrites;
    final List<Layer<?>> layers;
    final Operand<TInt64> step;
    final Ops tf;
    final Ops base;
    final Gate gate;
    final List<Op> alwaysWrites;

    Prepared(
        List<Op> computed,
        List<Function<Ops, Op>> writes,
        List<Function<Ops, Op>> lateWrites,
        List<Layer<?>> layers,
        Operand<TInt64> step,
        Ops tf,
        Ops base,
        Gate gate,
        List<Op> alwaysWrites) {
      this.computed = computed;
      this.writes = writes;
      this.lateWrites = lateWrites;
      this.layers = layers;
      this.step = step;
      this.tf = tf;
      this.base = base;
      this.gate = gate;
      this.alwaysWrites = alwaysWrites;
    }

    boolean accumulates() {
      return gate != null;
    }
  }

  /**
   * Everything of the step up to the barrier: gradients prepared (accumulated, clipped, L2-decayed), state built,
   * the optimizer's computations made; returns what the barrier must wait for and the writes to issue after it.
   */
  Prepared prepare(List<GradAndVar<? extends TType>> gradsAndVars, LossStatistics loss) {
    requireNotBuilt();
    prepared = true;
    if (needsLoss() && loss == null) {
      throw new IllegalStateException(scopeName + " needs the loss");
    }
    Ops base = scope.withSubScope("update");
    Set<GraphOperation> before = allOps();
    rawLayers = layers(base, gradsAndVars);
    if (config.replicas().isDistributed()) {
      // Data parallelism: every replica continues with the mean gradient and the global batch's loss statistics, so
      // the finiteness check, clipping, the update and every state agree bit for bit on all replicas.
      Ops replicated = base.withSubScope("replicas");
      rawLayers = averaged(replicated, rawLayers);
      if (loss != null) {
        loss = loss.averagedOver(replicated, config.replicas());
      }
    }
    unmatchedGroups = unmatched(config.groups(), rawLayers);
    if (!unmatchedGroups.isEmpty()) {
      System.getLogger(LossAwareOptimizer.class.getName()).log(System.Logger.Level.WARNING, scopeName + ": "
          + describeUnmatched(unmatchedGroups, rawLayers.stream().map(Layer::name).toList())
          + "; their settings apply to no variable");
    }
    // The step, its learning rate and the finiteness check belong to every run of the train op, also the runs that
    // only accumulate: built outside the accumulation gate, on this run's gradients.
    Operand<TInt64> step = base.identity(globalStep);
    learningRateAtStep = base.identity(stepLearningRate(base, step, learningRate.value(base, step)));
    if (loss != null) {
      lossMean = loss.mean();
    }
    if (checkFinite) {
      finiteCheck = finiteAssertion(base, loss);
    }
    List<Op> alwaysWrites = new ArrayList<>();
    Gate gate = null;
    List<Layer<?>> layers = rawLayers;
    Ops tf = base;
    if (accumulate > 1) {
      // A non-finite batch must not reach the sums either: their writes wait for the check.
      Ops accumulationWrites = finiteCheck == null ? base : base.withControlDependencies(List.of(finiteCheck));
      Accumulation accumulation = Accumulation.of(this, base, accumulationWrites, rawLayers, accumulate);
      gate = accumulation.gate();
      tf = gate.inside();
      layers = accumulation.meanLayers();
      alwaysWrites.addAll(accumulation.writes());
    }
    if (clipNorm != 0) {
      layers = clip(tf, layers);
    }
    layers = l2Decay(tf, layers);
    build(layers);
    buildWrappers(layers);
    Set<GraphOperation> beforeUpdate = allOps();
    UpdateStep updateStep = new UpdateStep(tf, layers, step, learningRateAtStep, loss, config);
    update(updateStep);
    rejectWritesIn(beforeUpdate);
    updateStep.checkComplete(scopeName, config.spec().weightDecayMode());
    // The barrier waits for every op built for this step (reads, gradients, loss, the optimizer's computations):
    // the sinks of the new ops suffice, since each op runs after its inputs.
    List<Op> computed = new ArrayList<>(sinks(before));
    if (config.tracksUpdateNorm()) {
      // The weights before the step, copied (a read would alias the buffer the writes change) before the barrier,
      // and only once the step is known finite: a step the check stops writes nothing.
      Ops copies = finiteCheck == null ? tf : tf.withControlDependencies(List.of(finiteCheck));
      for (Layer<?> layer : layers) {
        computed.add(copyBefore(copies, layer));
      }
    }
    for (Layer<?> layer : layers) {
      computed.add(layer.gradient());
    }
    if (loss != null) {
      computed.add(loss.mean());
      computed.add(loss.meanSquare());
    }
    updatedLayers = layers;
    return new Prepared(
        computed, updateStep.writes(), updateStep.lateWrites(), layers, step, tf, base, gate, alwaysWrites);
  }

  /** The layers with their gradients averaged over the replicas (one collective per dtype). */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private List<Layer<?>> averaged(Ops tf, List<Layer<?>> layers) {
    List<Operand<? extends TType>> gradients = new ArrayList<>();
    for (Layer<?> layer : layers) {
      gradients.add(layer.gradient());
    }
    List<Operand<? extends TType>> means = config.replicas().allReduceMean(tf, gradients);
    List<Layer<?>> averaged = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      averaged.add(((Layer) layers.get(i)).withGradient((Operand) means.get(i)));
    }
    return averaged;
  }

  /** Issues the writes of a prepared step after {@code barrier}, then the wrappers' writes and the step increment. */
  Op commit(Prepared p, Op barrier, String name) {
    Ops after = p.tf.withControlDependencies(List.of(barrier));
    List<Op> writes = new ArrayList<>();
    for (Function<Ops, Op> write : p.writes) {
      writes.add(write.apply(after));
    }
    for (Function<Ops, Op> write : p.lateWrites) {
      writes.add(write.apply(after));
    }
    writes.add(barrier);
    writes = wrapperWrites(p, writes);
    Op increment = p.tf.withControlDependencies(writes).assignAdd(globalStep, p.tf.constant(1L));
    List<Op> done = new ArrayList<>(p.alwaysWrites);
    done.add(p.gate == null ? increment : p.gate.close(List.of(increment)));
    trainOp = scope.withControlDependencies(done).withName(name).noOp();
    if (config.tracksUpdateNorm()) {
      // After the whole step: fetched alone it runs one complete step (never a write without the step's increment).
      updateNorm = updateNorm(p.tf.withControlDependencies(List.of(trainOp)), p.layers);
    }
    return trainOp;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // What the base applies to every optimizer

  /** L2 weight decay of the base: g ← g + wd·x, per variable (groups), for specs whose mode is L2. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private List<Layer<?>> l2Decay(Ops tf, List<Layer<?>> layers) {
    if (config.spec().weightDecayMode() == null) {
      return layers;
    }
    List<Layer<?>> decayed = new ArrayList<>();
    for (Layer<?> layer : layers) {
      double wd = config.get(CommonHyperparameters.WEIGHT_DECAY, layer);
      if (wd == 0 || config.get(CommonHyperparameters.WEIGHT_DECAY_MODE) != WeightDecayMode.L2) {
        decayed.add(layer);
        continue;
      }
      Operand rate = castScalar(tf, tf.constant(wd), layer.type());
      Operand gradient = Tensors.add(tf, (Operand) layer.gradient(), Tensors.mul(tf, rate, (Operand) layer.value()));
      decayed.add(layer.withGradient(gradient));
    }
    return decayed;
  }

  private void buildWrappers(List<Layer<?>> layers) {
    for (Layer<?> layer : layers) {
      if (config.tracksUpdateNorm()) {
        createZeroSlot(layer, UPDATE_PREVIOUS);
      }
      if (lookaheadSteps > 0) {
        createCopySlot(layer, "lookahead_slow");
      }
      if (emaDecay > 0) {
        createCopySlot(layer, "ema");
      }
    }
  }

  /**
   * Lookahead, then the EMA, after the optimizer's writes: each step reads the weights its predecessor wrote.
   * Returns the ops the step increment must wait for.
   */
  private List<Op> wrapperWrites(Prepared p, List<Op> writes) {
    List<Op> last = writes;
    if (lookaheadSteps > 0) {
      Ops after = p.tf.withControlDependencies(last);
      Operand<TInt64> t = after.math.add(p.step, after.constant(1L));
      Operand<TBool> sync = after.math.equal(after.math.mod(t, after.constant(lookaheadSteps)), after.constant(0L));
      Gate gate = Gate.open(after, sync);
      List<Op> syncWrites = new ArrayList<>();
      for (Layer<?> layer : p.layers) {
        syncWrites.add(lookaheadSync(gate.inside(), layer));
      }
      last = List.of(gate.close(syncWrites));
    }
    if (emaDecay > 0) {
      Ops after = p.tf.withControlDependencies(last);
      List<Op> emaWrites = new ArrayList<>();
      for (Layer<?> layer : p.layers) {
        emaWrites.add(emaUpdate(after, layer));
      }
      last = emaWrites;
    }
    return last;
  }

  private <T extends TType> Op copyBefore(Ops tf, Layer<T> layer) {
    return tf.assign(slot(layer, UPDATE_PREVIOUS), tf.identity(layer.variable()));
  }

  /** ‖x − x_before‖ over all layers, in float64, read after {@code tf}'s control dependencies (the step's writes). */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private Operand<TFloat64> updateNorm(Ops tf, List<Layer<?>> layers) {
    Operand<TFloat64> sumSquares = tf.constant(0.0);
    for (Layer layer : layers) {
      Operand difference = Tensors.sub(tf, tf.identity(layer.variable()), tf.identity(slot(layer, UPDATE_PREVIOUS)));
      sumSquares = tf.math.add(sumSquares, Tensors.squaredNorm(tf, difference, true));
    }
    return tf.withName("update_norm").math.sqrt(sumSquares);
  }

  /** slow ← slow + α(fast − slow); fast ← slow. */
  private <T extends TType> Op lookaheadSync(Ops tf, Layer<T> layer) {
    Variable<T> slow = slot(layer, "lookahead_slow");
    Operand<T> alpha = castScalar(tf, tf.constant(config.get(CommonHyperparameters.LOOKAHEAD_ALPHA)), layer.type());
    Operand<T> slowValue = tf.identity(slow);
    Operand<T> fast = tf.identity(layer.variable());
    Operand<T> synced = Tensors.add(tf, slowValue, Tensors.mul(tf, alpha, Tensors.sub(tf, fast, slowValue)));
    Op slowWrite = tf.assign(slow, synced);
    return tf.withControlDependencies(List.of(slowWrite)).assign(layer.variable(), synced);
  }

  /** average ← d·average + (1 − d)·x. */
  private <T extends TType> Op emaUpdate(Ops tf, Layer<T> layer) {
    Variable<T> average = slot(layer, "ema");
    Operand<T> d = castScalar(tf, tf.constant(emaDecay), layer.type());
    Operand<T> oneMinusD = castScalar(tf, tf.constant(1 - emaDecay), layer.type());
    Operand<T> value =
        Tensors.add(
            tf, Tensors.mul(tf, d, tf.identity(average)), Tensors.mul(tf, oneMinusD, tf.identity(layer.variable())));
    return tf.assign(average, value);
  }

  @SuppressWarnings("unchecked")
  static <T extends TType> Operand<T> castScalar(Ops tf, Operand<TFloat64> value, Class<T> type) {
    return type == TFloat64.class ? (Operand<T>) value : tf.dtypes.cast(value, type);
  }

  private Op finiteAssertion(Ops tf, LossStatistics loss) {
    Operand<TFloat64> norm = gradientNorm == null ? globalNorm(tf, rawLayers) : gradientNorm;
    gradientNorm = norm;
    Operand<TBool> finite = tf.math.isFinite(norm);
    if (loss != null) {
      finite = tf.math.logicalAnd(finite, tf.math.isFinite(loss.mean()));
    }
    List<Operand<?>> data = new ArrayList<>();
    data.add(tf.constant(scopeName + ": " + NON_FINITE + "; loss, gradient norm:"));
    data.add(loss != null ? loss.mean() : tf.constant(Double.NaN));
    data.add(norm);
    return tf.withName("check_finite").assertThat(finite, data);
  }

  private static final Set<String> WRITE_OPS =
      Set.of("VariableV2", "Variable", "VarHandleOp", "Assign", "AssignAdd", "AssignSub", "AssignVariableOp",
          NativeKernels.KAFISTO_DYNAMICS, NativeKernels.KAFISTO_DYNAMICS_FIXED_Q, NativeKernels.APOLLO);

  /** update() computes; it may not create state or write (those go through build() and the UpdateStep). */
  private void rejectWritesIn(Set<GraphOperation> before) {
    for (Iterator<GraphOperation> it = graph.operations(); it.hasNext(); ) {
      GraphOperation op = it.next();
      if (before.contains(op) || graph.isInitializer(op)) {
        continue;
      }
      String type = op.type();
      if (WRITE_OPS.contains(type) || type.contains("Apply") || type.contains("Scatter") || type.contains("Assign")
          || type.equals("CountUpTo") || type.startsWith(NativeKernels.ELEMENTWISE)) {
        throw new IllegalStateException(
            scopeName + ": update() built the write op '" + op.name() + "' (" + type + ") itself; create state in"
                + " build() and request writes through UpdateStep.assign/descend/inPlace, which order them after"
                + " every read of the step");
      }
    }
  }

  private Set<GraphOperation> allOps() {
    Set<GraphOperation> ops = new HashSet<>();
    for (Iterator<GraphOperation> it = graph.operations(); it.hasNext(); ) {
      ops.add(it.next());
    }
    return ops;
  }

  /** The ops built since {@code before} that no other new op consumes (state and initializers aside). */
  private List<Op> sinks(Set<GraphOperation> before) {
    List<GraphOperation> created = new ArrayList<>();
    for (Iterator<GraphOperation> it = graph.operations(); it.hasNext(); ) {
      GraphOperation op = it.next();
      if (!before.contains(op) && !graph.isInitializer(op) && !Variable.OP_NAME.equals(op.type())) {
        created.add(op);
      }
    }
    Set<GraphOperation> consumed = new HashSet<>();
    for (GraphOperation op : created) {
      for (Operand<?> input : op.inputs()) {
        consumed.add((GraphOperation) input.op());
      }
      consumed.addAll(op.controlInputs());
    }
    List<Op> sinks = new ArrayList<>();
    for (GraphOperation op : created) {
      if (!consumed.contains(op)) {
        sinks.add(asOp(op));
      }
    }
    return sinks;
  }

  private static Op asOp(GraphOperation op) {
    return new Op() {
      @Override
      public org.tensorflow.ExecutionEnvironment env() {
        return op.env();
      }

      @Override
      public Operation op() {
        return op;
      }
    };
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private List<Layer<?>> layers(Ops tf, List<GradAndVar<? extends TType>> gradsAndVars) {
    List<Layer<?>> layers = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (GradAndVar<? extends TType> pair : gradsAndVars) {
      Output variable = pair.getVariable();
      Output gradient = pair.getGradient();
      String name = variable.op().name();
      if (!Variable.OP_NAME.equals(variable.op().type())) {
        throw new IllegalArgumentException(
            scopeName + ": '" + name + "' is a " + variable.op().type() + ", not a VariableV2");
      }
      if (!seen.add(name)) {
        throw new IllegalArgumentException(scopeName + ": variable '" + name + "' is listed twice");
      }
      Class<?> type = variable.type();
      if (type != TFloat32.class && type != TFloat64.class) {
        throw new IllegalArgumentException(
            scopeName + ": variable '" + name + "' is " + variable.dataType() + "; only float32 and float64 train");
      }
      if (gradient.type() != type) {
        throw new IllegalArgumentException(
            scopeName + ": gradient of '" + name + "' is " + gradient.dataType() + ", variable is "
                + variable.dataType());
      }
      Shape shape = variable.shape();
      if (shape.isUnknown() || shape.hasUnknownDimension()) {
        throw new IllegalArgumentException(
            scopeName + ": variable '" + name + "' needs a fully known shape, got " + shape);
      }
      Operand value = tf.identity(variable);
      layers.add(new Layer(name, variable, value, gradient, shape.size()));
    }
    return layers;
  }

  private static Operand<TFloat64> globalNorm(Ops tf, List<Layer<?>> layers) {
    Operand<TFloat64> sumSquares = tf.constant(0.0);
    for (Layer<?> layer : layers) {
      sumSquares = tf.math.add(sumSquares, Tensors.squaredNorm(tf, layer.gradient(), true));
    }
    return tf.withName("gradient_norm").math.sqrt(sumSquares);
  }

  /**
   * Global-norm clipping, with the norm of all gradients computed in float64 (the diagnostic {@link #gradientNorm()}
   * when the layers are this run's gradients; with accumulation the mean's norm is computed inside the gate).
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private List<Layer<?>> clip(Ops tf, List<Layer<?>> layers) {
    Operand<TFloat64> norm;
    if (layers == rawLayers) {
      norm = gradientNorm == null ? globalNorm(tf, layers) : gradientNorm;
      gradientNorm = norm;
    } else {
      norm = globalNorm(tf, layers);
    }
    Operand<TFloat64> threshold = tf.constant(clipNorm);
    Operand<TFloat64> factor = tf.math.div(threshold, tf.math.maximum(norm, threshold));
    List<Layer<?>> clipped = new ArrayList<>();
    for (Layer<?> layer : layers) {
      Operand scale = layer.type() == TFloat64.class ? factor : tf.dtypes.cast(factor, layer.type());
      Operand gradient = tf.math.mul((Operand) layer.gradient(), scale);
      clipped.add(layer.withGradient(gradient));
    }
    return clipped;
  }

  private void requireBuilt(String what) {
    if (trainOp == null) {
      throw new IllegalStateException(scopeName + "." + what + " is available once minimize/applyGradients ran");
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Graph walking

  /**
   * The {@code VariableV2} variables that {@code loss} depends on through data edges, in graph creation order.
   *
   * @param loss any tensor
   * @return the variables it reads (possibly through other ops)
   */
  public static List<Variable<?>> variablesOf(Operand<?> loss) {
    Set<GraphOperation> reachable = reachableOps(loss);
    Graph graph = (Graph) loss.env();
    List<Variable<?>> variables = new ArrayList<>();
    for (Iterator<GraphOperation> it = graph.operations(); it.hasNext(); ) {
      GraphOperation op = it.next();
      if (Variable.OP_NAME.equals(op.type()) && reachable.contains(op)) {
        variables.add(new Variable<>(op));
      }
    }
    return variables;
  }

  static Set<GraphOperation> reachableOps(Operand<?> from) {
    Set<GraphOperation> seen = new LinkedHashSet<>();
    Deque<GraphOperation> todo = new ArrayDeque<>();
    Operation start = from.op();
    if (!(start instanceof GraphOperation)) {
      throw new IllegalArgumentException("the loss must be a graph tensor, not an eager one");
    }
    todo.push((GraphOperation) start);
    while (!todo.isEmpty()) {
      GraphOperation op = todo.pop();
      if (!seen.add(op)) {
        continue;
      }
      for (Operand<?> input : op.inputs()) {
        todo.push((GraphOperation) input.op());
      }
    }
    return seen;
  }

  Map<String, Map<String, Variable<?>>> slotsView() {
    return new LinkedHashMap<>(slots);
  }
}
