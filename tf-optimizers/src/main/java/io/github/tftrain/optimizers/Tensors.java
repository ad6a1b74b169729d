package io.github.tftrain.optimizers;

import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TType;

/**
 * Typed element-wise and full-reduction helpers. TF-Java's math ops are generic over {@code TNumber}; optimizer
 * code is generic over a layer's float type {@code T}, so these keep the casts in one place.
 */
public final class Tensors {
  private Tensors() {}

  @SuppressWarnings({"unchecked", "rawtypes"})
  public static <T extends TType> Operand<T> add(Ops tf, Operand<T> a, Operand<T> b) {
    return (Operand<T>) tf.math.add((Operand) a, (Operand) b);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  public static <T extends TType> Operand<T> sub(Ops tf, Operand<T> a, Operand<T> b) {
    return (Operand<T>) tf.math.sub((Operand) a, (Operand) b);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  public static <T extends TType> Operand<T> mul(Ops tf, Operand<T> a, Operand<T> b) {
    return (Operand<T>) tf.math.mul((Operand) a, (Operand) b);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  public static <T extends TType> Operand<T> div(Ops tf, Operand<T> a, Operand<T> b) {
    return (Operand<T>) tf.math.div((Operand) a, (Operand) b);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  public static <T extends TType> Operand<T> maximum(Ops tf, Operand<T> a, Operand<T> b) {
    return (Operand<T>) tf.math.maximum((Operand) a, (Operand) b);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  public static <T extends TType> Operand<T> square(Ops tf, Operand<T> a) {
    return (Operand<T>) tf.math.square((Operand) a);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  public static <T extends TType> Operand<T> sqrt(Ops tf, Operand<T> a) {
    return (Operand<T>) tf.math.sqrt((Operand) a);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  public static <T extends TType> Operand<T> abs(Ops tf, Operand<T> a) {
    return (Operand<T>) tf.math.abs((Operand) a);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  public static <T extends TType> Operand<T> neg(Ops tf, Operand<T> a) {
    return (Operand<T>) tf.math.neg((Operand) a);
  }

  /** Sum over all elements (a scalar). */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public static <T extends TType> Operand<T> sum(Ops tf, Operand<T> a) {
    return (Operand<T>) tf.sum((Operand) a, allAxes(tf, a));
  }

  /** Maximum over all elements (a scalar). */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public static <T extends TType> Operand<T> max(Ops tf, Operand<T> a) {
    return (Operand<T>) tf.max((Operand) a, allAxes(tf, a));
  }

  /** Mean over all elements (a scalar). */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public static <T extends TType> Operand<T> mean(Ops tf, Operand<T> a) {
    return (Operand<T>) tf.math.mean((Operand) a, allAxes(tf, a));
  }

  /** A tensor as float64 (itself when it already is). */
  public static Operand<TFloat64> toDouble(Ops tf, Operand<? extends TType> x) {
    if (x.type() == TFloat64.class) {
      @SuppressWarnings("unchecked")
      Operand<TFloat64> same = (Operand<TFloat64>) x;
      return same;
    }
    return tf.dtypes.cast(x, TFloat64.class);
  }

  /**
   * The squared L2 norm of a tensor as a float64 scalar, in one fused pass ({@code L2Loss} is sum(x^2)/2).
   *
   * @param allowXla whether XLA auto-clustering may take the op. Where the norm's neighbours are elementwise graph
   *     ops, clustering fuses it with them (KaFiStO's graph kernel at 10M parameters: 25 ms per step clustered, 35
   *     ms not); where they are tiny scalar ops around native kernels, Eigen's threaded reduction alone is faster
   *     (native kernel: 8.8 ms clustered, 6.6 ms not), so the op gets {@code _XlaCompile=false}.
   */
  public static Operand<TFloat64> squaredNorm(Ops tf, Operand<? extends TType> x, boolean allowXla) {
    var builder = tf.scope().opBuilder("L2Loss", "L2Loss").addInput(x.asOutput());
    if (!allowXla) {
      builder.setAttr("_XlaCompile", false);
    }
    Operation halfSquare = builder.build();
    return tf.math.mul(tf.constant(2.0), toDouble(tf, halfSquare.output(0)));
  }

  private static Operand<TInt32> allAxes(Ops tf, Operand<?> a) {
    int rank = a.shape().numDimensions();
    int[] axes = new int[rank];
    for (int i = 0; i < rank; i++) {
      axes[i] = i;
    }
    return tf.constant(axes);
  }
}
