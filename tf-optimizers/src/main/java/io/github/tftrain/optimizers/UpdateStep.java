package io.github.tftrain.optimizers;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.tensorflow.Operand;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TType;

/**
 * Everything one optimizer step may read, and the writes it asks for.
 *
 * <p>An optimizer's {@link LossAwareOptimizer#update} computes new values as pure tensors from the reads here, then
 * registers the writes with {@link #assign} (copy a new value into a state variable) or {@link #inPlace} (a fused
 * kernel such as {@code ApplyAdam} that reads and writes its variables itself). The base class issues every write only
 * after every new value, gradient and loss of the step has been computed. This ordering matters for legacy
 * {@code VariableV2} state: a read of such a variable aliases its buffer, so without it a gradient op still reading a
 * weight could see the weight's updated value, or one layer could see another's new state.
 */
public final class UpdateStep {
  private final Ops tf;
  private final List<Layer<?>> layers;
  private final Operand<TInt64> step;
  private final Operand<TFloat64> learningRate;
  private final LossStatistics loss;
  private final List<Op> computed = new ArrayList<>();
  private final List<Function<Ops, Op>> writes = new ArrayList<>();
  private final List<Function<Ops, Op>> lateWrites = new ArrayList<>();

  UpdateStep(
      Ops tf,
      List<Layer<?>> layers,
      Operand<TInt64> step,
      Operand<TFloat64> learningRate,
      LossStatistics loss) {
    this.tf = tf;
    this.layers = Collections.unmodifiableList(new ArrayList<>(layers));
    this.step = step;
    this.learningRate = learningRate;
    this.loss = loss;
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

  /**
   * The learning rate (KaFiStO: gain) this step applies, float64: the schedule's value at {@link #step()}, or what
   * the optimizer's {@code stepLearningRate} makes of it (Apollo's warmup).
   */
  public Operand<TFloat64> learningRate() {
    return learningRate;
  }

  /** The loss, when the caller provided one. */
  public Optional<LossStatistics> loss() {
    return Optional.ofNullable(loss);
  }

  /**
   * Requests {@code state <- newValue} once the step's computations are done.
   *
   * @param state a variable's reference output (a {@code VariableV2})
   * @param newValue its value after this step
   */
  public <T extends TType> void assign(Operand<T> state, Operand<T> newValue) {
    computed.add(newValue);
    writes.add(after -> after.assign(state, newValue));
  }

  /**
   * Requests a fused in-place kernel (which reads and writes its variables itself) once the step's computations are
   * done. Its tensor inputs should come from this step's computations, registered with {@link #dependOn}.
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

  /** Marks a computed tensor as an input the writes must wait for (new values given to {@link #assign} already are). */
  public void dependOn(Op value) {
    computed.add(value);
  }

  /** Casts a float64 scalar to a layer's element type (no-op for float64). */
  public <T extends TType> Operand<T> cast(Operand<TFloat64> value, Class<T> type) {
    if (type == TFloat64.class) {
      @SuppressWarnings("unchecked")
      Operand<T> same = (Operand<T>) value;
      return same;
    }
    return tf.dtypes.cast(value, type);
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

  List<Op> computed() {
    return computed;
  }

  List<Function<Ops, Op>> writes() {
    return writes;
  }

  List<Function<Ops, Op>> lateWrites() {
    return lateWrites;
  }
}
