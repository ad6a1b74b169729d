package io.github.tftrain.optimizers;

import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TType;

/**
 * What an update step knows about the minibatch loss.
 *
 * <p>A scalar loss L is used as it is. A rank-1 loss is read as per-example losses l_1..l_B: the gradients are taken
 * of their mean L = (1/B) sum l_b, and {@link #meanSquare()} is their second moment (1/B) sum l_b^2 — KaFiStO's
 * measurement-noise estimate (eq. 23). For a scalar loss the second moment is L^2.
 */
public final class LossStatistics {
  private final Operand<? extends TType> objective;
  private final Operand<TFloat64> mean;
  private final Operand<TFloat64> meanSquare;
  private final boolean perExample;

  private LossStatistics(
      Operand<? extends TType> objective,
      Operand<TFloat64> mean,
      Operand<TFloat64> meanSquare,
      boolean perExample) {
    this.objective = objective;
    this.mean = mean;
    this.meanSquare = meanSquare;
    this.perExample = perExample;
  }

  /**
   * Reads a loss tensor.
   *
   * @param tf ops to build with
   * @param loss a float32 or float64 scalar, or a rank-1 vector of per-example losses
   * @return the statistics
   * @throws IllegalArgumentException if the loss is not floating point, or its rank is not 0 or 1
   */
  static LossStatistics of(Ops tf, Operand<?> loss) {
    if (loss == null) {
      throw new IllegalArgumentException("loss must not be null");
    }
    Class<?> type = loss.type();
    if (type != TFloat32.class && type != TFloat64.class) {
      throw new IllegalArgumentException(
          "loss '" + loss.op().name() + "' must be float32 or float64, got " + loss.asOutput().dataType());
    }
    Shape shape = loss.shape();
    if (shape.isUnknown() || shape.numDimensions() > 1) {
      throw new IllegalArgumentException(
          "loss '" + loss.op().name() + "' must be a scalar or a rank-1 vector of per-example losses, got shape "
              + shape);
    }
    @SuppressWarnings("unchecked")
    Operand<TType> typed = (Operand<TType>) loss;
    return shape.numDimensions() == 0 ? scalar(tf, typed) : perExample(tf, typed);
  }

  private static LossStatistics scalar(Ops tf, Operand<TType> loss) {
    Operand<TFloat64> value = Tensors.toDouble(tf, loss);
    return new LossStatistics(loss, value, tf.math.square(value), false);
  }

  private static LossStatistics perExample(Ops tf, Operand<TType> losses) {
    @SuppressWarnings({"unchecked", "rawtypes"})
    Operand<TType> mean = (Operand<TType>) (Operand) tf.math.mean((Operand) losses, tf.constant(0));
    Operand<TFloat64> asDouble = Tensors.toDouble(tf, losses);
    Operand<TFloat64> meanDouble = tf.math.mean(asDouble, tf.constant(0));
    Operand<TFloat64> meanSquare = tf.math.mean(tf.math.square(asDouble), tf.constant(0));
    return new LossStatistics(mean, meanDouble, meanSquare, true);
  }

  /** The scalar the gradients are taken of (the loss itself, or the mean of per-example losses), in its dtype. */
  public Operand<? extends TType> objective() {
    return objective;
  }

  /** L: the minibatch loss (the mean for per-example losses), float64. */
  public Operand<TFloat64> mean() {
    return mean;
  }

  /** The second moment of the per-example losses, or L^2 for a scalar loss; float64. */
  public Operand<TFloat64> meanSquare() {
    return meanSquare;
  }

  /**
   * These statistics averaged over the replicas: the global batch's mean loss and second moment (exact when every
   * replica has as many examples). The objective stays this replica's: its gradients are averaged separately.
   */
  LossStatistics averagedOver(Ops tf, io.github.tftrain.distributed.Replicas replicas) {
    if (!replicas.isDistributed()) {
      return this;
    }
    if (!perExample) {
      // a scalar loss has no examples to pool: the global batch's L, and L² of it, as one process computes them
      Operand<TFloat64> global = replicas.allReduceMean(tf, mean);
      return new LossStatistics(objective, global, tf.math.square(global), false);
    }
    Operand<TFloat64> both = tf.stack(java.util.List.of(mean, meanSquare));
    Operand<TFloat64> averaged = replicas.allReduceMean(tf, both);
    return new LossStatistics(objective, tf.gather(averaged, tf.constant(0), tf.constant(0)),
        tf.gather(averaged, tf.constant(1), tf.constant(0)), perExample);
  }

  /** Whether the loss was given as per-example values. */
  public boolean isPerExample() {
    return perExample;
  }
}
