package io.github.tftrain.optimizers;

import io.github.tftrain.optimizers.schedule.Schedule;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
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
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TType;

/**
 * The base of every tftrain optimizer: a TF-Java {@link Optimizer} that sees the loss, owns a step counter, trains
 * exactly the variables it is given, and orders its writes safely.
 *
 * <p>What it adds to the framework class:
 *
 * <ul>
 *   <li>{@link #minimize(Operand)} trains the variables the loss depends on (not every variable in the graph), and
 *       {@link #minimize(Operand, List)} a given list, so several optimizers can share a graph (a GAN's generator and
 *       critic) and non-trainable variables (batch-norm moving statistics) stay untouched.
 *   <li>The loss reaches the update. A rank-1 loss is read as per-example losses; gradients are taken of their mean
 *       (see {@link LossStatistics}).
 *   <li>A global step: an int64 {@code VariableV2} named {@code <name>/global_step}, 0 before the first update and
 *       incremented once per applied update, after all of that update's writes.
 *   <li>The learning rate is a {@link Schedule} evaluated on the global step inside the graph.
 *   <li>Optional clipping of the gradients by their global norm: {@code g <- g * c / max(||g||, c)}.
 *   <li>All state is legacy {@code VariableV2} (slots and scalars), so {@code Session.save/restore} and SavedModel
 *       keep the whole optimizer state, and a restored run continues bitwise identically.
 * </ul>
 *
 * <p>Subclasses follow the Keras split between state creation and the step: {@link #build} creates slots and
 * scalars once, {@link #update} writes one step as pure tensor computations plus requested writes (see
 * {@link UpdateStep}).
 *
 * <p>One optimizer instance builds one train op: it owns its step counter and per-variable state. Create one
 * optimizer per train op (two for a GAN).
 */
public abstract class LossAwareOptimizer extends Optimizer {
  /** The text in the error of a step stopped by {@link OptimizerBuilder#checkFinite}. */
  public static final String NON_FINITE = "non-finite loss or gradient";

  private final String scopeName;
  private final Ops scope;
  private final Variable<TInt64> globalStep;
  private final Map<String, Map<String, Variable<?>>> slots = new HashMap<>();
  private final Schedule learningRate;
  private final double clipNorm;
  private final boolean checkFinite;
  private Op finiteCheck;
  private Op trainOp;
  private int gradientCalls;
  private List<Layer<?>> rawLayers;
  private Operand<TFloat64> learningRateAtStep;
  private Operand<TFloat64> gradientNorm;

  /**
   * @param graph the graph to build in
   * @param name the name scope for the optimizer's ops and state (made unique in the graph with a numeric suffix,
   *     deterministic for a given order of construction, which is what restoring a checkpoint needs)
   * @param learningRate the learning-rate schedule (already validated by the subclass builder)
   * @param clipNorm the global-norm clipping threshold, or 0 for no clipping
   */
  protected LossAwareOptimizer(Graph graph, String name, Schedule learningRate, double clipNorm) {
    this(graph, name, learningRate, clipNorm, false);
  }

  /**
   * @param checkFinite whether every write waits for an assertion that the loss and the gradients are finite (see
   *     {@link OptimizerBuilder#checkFinite})
   */
  protected LossAwareOptimizer(
      Graph graph, String name, Schedule learningRate, double clipNorm, boolean checkFinite) {
    super(graph, name);
    this.checkFinite = checkFinite;
    if (!(clipNorm >= 0) || Double.isInfinite(clipNorm)) {
      throw new IllegalArgumentException(name + ": clipNorm must be >= 0 (0 = off), got " + clipNorm);
    }
    // withSubScope makes the scope name unique in the graph (kafisto, then kafisto_N); read it back from an op.
    Ops scoped = Ops.create(graph).withSubScope(name);
    this.globalStep = scoped.withName("global_step").variable(scoped.withInitScope().constant(0L));
    String stepName = globalStep.op().name();
    this.scopeName = stepName.substring(0, stepName.length() - "/global_step".length());
    this.scope = scoped;
    this.learningRate = learningRate;
    this.clipNorm = clipNorm;
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
   * The learning rate the train op uses, evaluated on the step being applied (float64 scalar). Fetch it in the same
   * run as the train op to log it.
   *
   * @throws IllegalStateException before the train op is built
   */
  public Operand<TFloat64> learningRate() {
    requireBuilt("learningRate()");
    return learningRateAtStep;
  }

  /**
   * The global L2 norm of this step's gradients before clipping (float64 scalar); fetch it with the train op. With
   * clipping on it is the norm the train op clipped with; otherwise it is built on first request, so optimizers that
   * do not need it do not pay an extra pass over the gradients.
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

  private Op finiteAssertion(Ops tf, LossStatistics loss) {
    Operand<TFloat64> norm = gradientNorm == null ? globalNorm(tf, rawLayers) : gradientNorm;
    gradientNorm = norm;
    Operand<org.tensorflow.types.TBool> finite = tf.math.isFinite(norm);
    if (loss != null) {
      finite = tf.math.logicalAnd(finite, tf.math.isFinite(loss.mean()));
    }
    List<Operand<?>> data = new ArrayList<>();
    data.add(tf.constant(scopeName + ": " + NON_FINITE + "; loss, gradient norm:"));
    data.add(loss != null ? loss.mean() : tf.constant(Double.NaN));
    data.add(norm);
    return tf.withName("check_finite").assertThat(finite, data);
  }

  /** The train op, once built. */
  public Op trainOp() {
    requireBuilt("trainOp()");
    return trainOp;
  }

  /** Whether the update needs the loss value (KaFiStO does; gradient-only methods do not). */
  protected boolean needsLoss() {
    return false;
  }

  /**
   * Creates the optimizer's state for the layers it will update (slots with {@link #createZeroSlot}, scalars with
   * {@link #createScalar}). Called once, before {@link #update}.
   *
   * @param layers the variables that have a gradient, in graph order
   */
  protected abstract void build(List<Layer<?>> layers);

  /**
   * Writes one update step: compute new values from {@code step}'s reads, then request the writes.
   *
   * @param step the step's inputs and write requests
   */
  protected abstract void update(UpdateStep step);

  /**
   * The learning rate this step applies, given the schedule's value at the step (a float64 scalar). The default is
   * the schedule's value; Apollo overrides it with its warmup. {@link #learningRate()} and {@link UpdateStep#learningRate()} return this.
   */
  protected Operand<TFloat64> stepLearningRate(Ops tf, Operand<TInt64> step, Operand<TFloat64> scheduled) {
    return scheduled;
  }

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
    Operand<T> zeros = init.zeros(init.constant(layer.variable().shape()), layer.type());
    String variableName = layer.variable().op().name();
    Variable<T> slot = scope.withName(variableName.replace('/', '.') + "-" + slotName).variable(zeros);
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
    return apply(gradsAndVars, null, name);
  }

  /**
   * Applies precomputed gradients, with the loss they came from (for KaFiStO's measurement).
   *
   * @param gradsAndVars (gradient, variable) pairs; the gradients should be of the loss's mean
   * @param loss the scalar loss, or per-example losses
   * @return the train op
   */
  public Op applyGradients(List<GradAndVar<? extends TType>> gradsAndVars, Operand<?> loss) {
    return apply(gradsAndVars, LossStatistics.of(scope, loss), "train");
  }

  /** Never called: this class applies all variables in one step ({@link #update}), not one by one. */
  @Override
  protected final <T extends TType> Op applyDense(Ops tf, Output<T> gradient, Output<T> variable) {
    throw new UnsupportedOperationException("tftrain optimizers update all variables together in update()");
  }

  private Op build(Operand<?> loss, List<? extends Variable<?>> variables, String name) {
    requireNotBuilt();
    LossStatistics stats = LossStatistics.of(scope, loss);
    return apply(gradients(stats, variables), stats, name);
  }

  private List<GradAndVar<?>> gradients(LossStatistics stats, List<? extends Variable<?>> variables) {
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

  private void checkVariable(Variable<?> variable) {
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

  private void requireNotBuilt() {
    if (trainOp != null) {
      throw new IllegalStateException(
          scopeName + " already built a train op; an optimizer owns its step counter and state, so create one "
              + "optimizer per train op");
    }
  }

  private Op apply(List<GradAndVar<? extends TType>> gradsAndVars, LossStatistics loss, String name) {
    requireNotBuilt();
    if (needsLoss() && loss == null) {
      throw new IllegalStateException(scopeName + " needs the loss");
    }
    Ops tf = scope.withSubScope("update");
    Operand<TInt64> step = tf.identity(globalStep);
    rawLayers = layers(tf, gradsAndVars);
    List<Layer<?>> layers = clipNorm == 0 ? rawLayers : clip(tf, rawLayers);
    build(layers);
    learningRateAtStep = tf.identity(stepLearningRate(tf, step, learningRate.value(tf, step)));
    UpdateStep updateStep = new UpdateStep(tf, layers, step, learningRateAtStep, loss);
    update(updateStep);

    // Barrier: every write waits for every new value, gradient and loss of the step (see UpdateStep).
    List<Op> before = new ArrayList<>(updateStep.computed());
    for (Layer<?> layer : layers) {
      before.add(layer.gradient());
    }
    if (loss != null) {
      before.add(loss.mean());
      before.add(loss.meanSquare());
    }
    before.add(learningRateAtStep);
    if (checkFinite) {
      finiteCheck = finiteAssertion(tf, loss);
      before.add(finiteCheck);
    }
    Op computed = tf.withControlDependencies(before).withName("computed").noOp();
    Ops after = tf.withControlDependencies(List.of(computed));
    List<Op> writes = new ArrayList<>();
    for (Function<Ops, Op> write : updateStep.writes()) {
      writes.add(write.apply(after));
    }
    for (Function<Ops, Op> write : updateStep.lateWrites()) {
      writes.add(write.apply(after));
    }
    writes.add(computed);
    Op increment = tf.withControlDependencies(writes).assignAdd(globalStep, tf.constant(1L));
    trainOp = scope.withControlDependencies(List.of(increment)).withName(name).noOp();
    return trainOp;
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

  /** Global-norm clipping, with the norm of all gradients computed in float64. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private List<Layer<?>> clip(Ops tf, List<Layer<?>> layers) {
    gradientNorm = globalNorm(tf, layers);
    Operand<TFloat64> threshold = tf.constant(clipNorm);
    Operand<TFloat64> factor = tf.math.div(threshold, tf.math.maximum(gradientNorm, threshold));
    List<Layer<?>> clipped = new ArrayList<>();
    for (Layer<?> layer : layers) {
      Operand scale = layer.type() == TFloat64.class ? factor : tf.dtypes.cast(factor, layer.type());
      Operand gradient = tf.math.mul((Operand) layer.gradient(), scale);
      clipped.add(new Layer(layer.name(), layer.variable(), layer.value(), gradient, layer.size()));
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

  private static Set<GraphOperation> reachableOps(Operand<?> from) {
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
}
