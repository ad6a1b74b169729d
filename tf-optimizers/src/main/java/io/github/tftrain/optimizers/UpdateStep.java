package io.github.tftrain.optimizers;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.tensorflow.Operand;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TType;

/**
 * Everything one optimizer step may read, and the writes it asks for.
 *
 * <p>An optimizer's {@link LossAwareOptimizer#update} computes new values as pure tensors from the reads here
 * ({@link Layer#value()}, {@link Layer#gradient()}, {@link #read} of a slot), then requests the writes:
 * {@link #assign} (copy a new value into a state variable), {@link #descend} (move a variable along a direction,
 * with the base's decoupled weight decay), {@link #inPlace} (a fused kernel such as {@code ApplyAdam} that reads and
 * writes its variables itself). The base class issues every write only after every op built during
 * {@code update} (and every gradient and the loss) has run. This ordering matters for legacy {@code VariableV2}
 * state: a read of such a variable aliases its buffer, so without it a gradient op still reading a weight could see
 * the weight's updated value, or one layer could see another's new state. An optimizer cannot get it wrong: the
 * writes are built after {@code update} returns, and {@code update} may not build write ops itself.
 */
public final class UpdateStep {
  private final Ops tf;
  private final List<Layer<?>> layers;
  private final Operand<TInt64> step;
  private final Operand<TFloat64> learningRate;
  private final LossStatistics loss;
  private final OptimizerConfig config;
  private final List<Function<Ops, Op>> writes = new ArrayList<>();
  private final List<Function<Ops, Op>> lateWrites = new ArrayList<>();
  private final Set<String> decayed = new HashSet<>();
  private final Set<String> written = new HashSet<>();
  private final Set<ElementwiseUpdate<?>> open = new HashSet<>();
  private Operand<TFloat64> count;

  UpdateStep(
      Ops tf,
      List<Layer<?>> layers,
      Operand<TInt64> step,
      Operand<TFloat64> learningRate,
      LossStatistics loss,
      OptimizerConfig config) {
    this.tf = tf;
    this.layers = Collections.unmodifiableList(new ArrayList<>(layers));
    this.step = step;
    this.learningRate = learningRate;
    this.loss = loss;
    this.config = config;
  }

  /** Ops to build the step's computations with, under the optimizer's name scope. */
  public Ops tf() {
    return tf;
  }

  /** The variables that received a gradient this step, in graph order. */
  public List<Layer<?>> layers() {
    return layers;
  }

  /** The number of updates applied before this one (int64 scalar; 0 on the first step). */
  public Operand<TInt64> step() {
    return step;
  }

  /** The step as float64. */
  public Operand<TFloat64> stepAsDouble() {
    return tf.dtypes.cast(step, TFloat64.class);
  }

  /** t = step + 1: the 1-based count of this update, as the papers write it (float64). */
  public Operand<TFloat64> count() {
    if (count == null) {
      count = tf.math.add(stepAsDouble(), tf.constant(1.0));
    }
    return count;
  }

  /**
   * The learning rate (KaFiStO: gain) this step applies, float64: the schedule's value at {@link #step()}, or what
   * the optimizer's {@code stepLearningRate} makes of it (Apollo's warmup).
   */
  public Operand<TFloat64> learningRate() {
    return learningRate;
  }

  /**
   * β·average + (1 − β)·value: the exponential moving average Adam-like updates keep (a pure value; the optimizer
   * assigns it or uses it further). Computed as two products and a sum, in the value's type.
   */
  public <T extends TType> Operand<T> ema(Operand<T> average, Operand<T> value, double beta) {
    Class<T> type = typeOf(value);
    return Tensors.add(tf, Tensors.mul(tf, scalar(beta, type), average), Tensors.mul(tf, scalar(1 - beta, type), value));
  }

  /** 1 − β^t with t = {@link #count()}: Adam's bias correction (float64). */
  public Operand<TFloat64> biasCorrection(double beta) {
    return tf.math.sub(tf.constant(1.0), tf.math.pow(tf.constant(beta), count()));
  }

  @SuppressWarnings("unchecked")
  private static <T extends TType> Class<T> typeOf(Operand<T> value) {
    return (Class<T>) value.type();
  }

  /** The loss, when the caller provided one. */
  public Optional<LossStatistics> loss() {
    return Optional.ofNullable(loss);
  }

  /** The optimizer's configuration. */
  public OptimizerConfig config() {
    return config;
  }

  /** A hyperparameter's value for one variable (its group's, else the optimizer's). */
  public <V> V hyperparameter(Hyperparameter<V> parameter, Layer<?> layer) {
    return config.get(parameter, layer);
  }

  /** A scalar constant in a layer's element type. */
  public <T extends TType> Operand<T> scalar(double value, Class<T> type) {
    return cast(tf.constant(value), type);
  }

  /** This step's read of a state variable (one read; every write waits for it). */
  public <T extends TType> Operand<T> read(Variable<T> state) {
    return tf.identity(state);
  }

  /**
   * Requests {@code state <- newValue} once the step's computations are done.
   *
   * @param state a variable's reference output (a {@code VariableV2})
   * @param newValue its value after this step
   */
  public <T extends TType> void assign(Operand<T> state, Operand<T> newValue) {
    if (!written.add(state.op().name())) {
      throw new IllegalStateException("'" + state.op().name() + "' is written twice in one step");
    }
    // A read of another state aliases that state's buffer, which its own write may change before this one copies
    // it: copy it now, with the step's computations.
    Operand<T> value = aliasesState(newValue) ? tf.snapshot(newValue) : newValue;
    writes.add(after -> after.assign(state, value));
  }

  private static boolean aliasesState(Operand<?> value) {
    org.tensorflow.Operation op = value.op();
    String type = op.type();
    if (type.equals("VariableV2")) {
      return true;
    }
    return type.equals("Identity") && op instanceof org.tensorflow.GraphOperation
        && ((org.tensorflow.GraphOperation) op).numInputs() == 1
        && ((org.tensorflow.GraphOperation) op).input(0).op().type().equals("VariableV2");
  }

  /**
   * Requests {@code x ← x − lr·direction} for a layer's variable, after the base's decoupled weight decay when the
   * optimizer's spec leaves weight decay to the base and its mode is decoupled:
   * {@code x ← (x − (lr·wd)·x) − lr·direction}.
   *
   * @param layer the layer whose variable moves
   * @param direction the update direction (the optimizer's step before the learning rate)
   */
  public <T extends TType> void descend(Layer<T> layer, Operand<T> direction) {
    Operand<T> lr = cast(learningRate, layer.type());
    Operand<T> start = decayedValue(layer, lr);
    assign(layer.variable(), Tensors.sub(tf, start, Tensors.mul(tf, lr, direction)));
  }

  /**
   * The layer's value after the base's decoupled weight decay, {@code x − (lr·wd)·x} (x itself when there is none),
   * for optimizers that compute their new weights from it and {@link #assign} them.
   */
  public <T extends TType> Operand<T> decayedValue(Layer<T> layer, Operand<T> lr) {
    decayed.add(layer.name());
    double wd = decoupledDecay(layer);
    if (wd == 0) {
      return layer.value();
    }
    Operand<T> rate = Tensors.mul(tf, lr, cast(tf.constant(wd), layer.type()));
    return Tensors.sub(tf, layer.value(), Tensors.mul(tf, rate, layer.value()));
  }

  /**
   * The weight decay wd of the base's decoupled decay for {@code layer} (0 when none applies), for optimizers that
   * apply x − (lr·wd)·x inside a fused kernel. Marks the decay as applied.
   */
  public double decoupledWeightDecay(Layer<?> layer) {
    decayed.add(layer.name());
    return decoupledDecay(layer);
  }

  /**
   * Requests a fused in-place kernel (which reads and writes its variables itself) once the step's computations are
   * done. Its tensor inputs are computations of this step.
   *
   * @param kernel builds the kernel with the given ops (which carry the ordering)
   * @return a handle to the kernel's op, for {@link #lateWrite} values computed from its outputs
   */
  public PendingKernel inPlace(Function<Ops, Op> kernel) {
    PendingKernel pending = new PendingKernel();
    writes.add(
        after -> {
          pending.op = kernel.apply(after);
          return pending.op;
        });
    return pending;
  }

  /**
   * As {@link #inPlace}, for a kernel that updates {@code layer}'s variable, after the base's decoupled weight decay
   * applied in place ({@code x ← x − (lr·wd)·x}, TF's {@code ApplyGradientDescent} with the variable as its delta)
   * when the spec leaves weight decay to the base and its mode is decoupled.
   */
  public <T extends TType> PendingKernel inPlaceAfterDecay(Layer<T> layer, Function<Ops, Op> kernel) {
    decayed.add(layer.name());
    double wd = decoupledDecay(layer);
    if (wd == 0) {
      return inPlace(kernel);
    }
    Operand<T> rate = Tensors.mul(tf, cast(learningRate, layer.type()), cast(tf.constant(wd), layer.type()));
    return inPlace(
        after -> {
          // The delta input is a read of the variable itself; the kernel reads each element before it writes it.
          Op decay = after.train.applyGradientDescent(layer.variable(), rate, after.identity(layer.variable()));
          return kernel.apply(after.withControlDependencies(List.of(decay)));
        });
  }

  /**
   * Requests a write whose value is computed from the outputs of {@link #inPlace} kernels (KaFiStO's native kernel
   * returns the deviation sum that qX needs). It is built after every other write, so its lambda may read
   * {@link PendingKernel#op()}.
   */
  public void lateWrite(Function<Ops, Op> write) {
    lateWrites.add(write);
  }

  /** A requested in-place kernel, whose op exists once the writes are built. */
  public static final class PendingKernel {
    private Op op;

    /** The kernel's op. Valid inside {@link #lateWrite} lambdas. */
    public Op op() {
      if (op == null) {
        throw new IllegalStateException("the kernel is built with the writes; read it in a lateWrite");
      }
      return op;
    }
  }

  /** Casts a float64 scalar to a layer's element type (no-op for float64). */
  public <T extends TType> Operand<T> cast(Operand<TFloat64> value, Class<T> type) {
    return LossAwareOptimizer.castScalar(tf, value, type);
  }

  /** Casts a layer-typed tensor to float64 (no-op for float64). */
  public Operand<TFloat64> toDouble(Operand<? extends TType> value) {
    return Tensors.toDouble(tf, value);
  }

  /**
   * The squared L2 norm of a tensor as a float64 scalar, in one pass; {@code allowXla=false} keeps it out of XLA
   * clusters (see {@link Tensors#squaredNorm}).
   */
  public Operand<TFloat64> squaredNorm(Operand<? extends TType> x, boolean allowXla) {
    return Tensors.squaredNorm(tf, x, allowXla);
  }

  private double decoupledDecay(Layer<?> layer) {
    if (config.spec().weightDecayMode() == null
        || config.get(CommonHyperparameters.WEIGHT_DECAY_MODE) != WeightDecayMode.DECOUPLED) {
      return 0;
    }
    return config.get(CommonHyperparameters.WEIGHT_DECAY, layer);
  }

  /** Registers an element-wise update of this step, which must be applied before update() returns. */
  void opened(ElementwiseUpdate<?> update) {
    open.add(update);
  }

  void applied(ElementwiseUpdate<?> update) {
    open.remove(update);
  }

  /**
   * Fails the build when an {@link ElementwiseUpdate} was not applied, or the base's decoupled decay applies to a
   * layer whose update did not go through it.
   */
  void checkComplete(String optimizer, WeightDecayMode specMode) {
    if (!open.isEmpty()) {
      throw new IllegalStateException(optimizer + ": update() left an ElementwiseUpdate without apply()");
    }
    if (specMode == null) {
      return;
    }
    for (Layer<?> layer : layers) {
      if (decoupledDecay(layer) != 0 && !decayed.contains(layer.name())) {
        throw new IllegalStateException(
            optimizer + ": decoupled weight decay applies to '" + layer.name() + "' but update() moved it without "
                + "UpdateStep.descend, decayedValue or inPlaceAfterDecay");
      }
    }
  }

  List<Function<Ops, Op>> writes() {
    return writes;
  }

  List<Function<Ops, Op>> lateWrites() {
    return lateWrites;
  }
}
