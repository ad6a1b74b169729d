package io.github.tftrain.optimizers.schedule;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt64;

/** {@code min + (initial - min) * (1 + cos(pi * min(step, total) / total)) / 2}. */
final class CosineSchedule implements Schedule {
  private final double initial;
  private final long totalSteps;
  private final double minValue;

  CosineSchedule(double initial, long totalSteps, double minValue) {
    this.initial = ScheduleArguments.finite("initial", initial);
    this.totalSteps = ScheduleArguments.positive("totalSteps", totalSteps);
    this.minValue = ScheduleArguments.finite("minValue", minValue);
  }

  @Override
  public double valueAt(long step) {
    ScheduleArguments.nonNegativeStep(step);
    double progress = (double) Math.min(step, totalSteps) / totalSteps;
    return minValue + (initial - minValue) * (1 + Math.cos(Math.PI * progress)) / 2;
  }

  @Override
  public Operand<TFloat64> value(Ops tf, Operand<TInt64> step) {
    Operand<TFloat64> clipped = tf.dtypes.cast(tf.math.minimum(step, tf.constant(totalSteps)), TFloat64.class);
    Operand<TFloat64> progress = tf.math.div(clipped, tf.constant((double) totalSteps));
    Operand<TFloat64> cosine = tf.math.cos(tf.math.mul(tf.constant(Math.PI), progress));
    Operand<TFloat64> half = tf.math.mul(tf.constant(0.5), tf.math.add(tf.constant(1.0), cosine));
    return tf.math.add(tf.constant(minValue), tf.math.mul(tf.constant(initial - minValue), half));
  }

  @Override
  public double minimumValue() {
    return Math.min(initial, minValue);
  }

  @Override
  public double maximumValue() {
    return Math.max(initial, minValue);
  }

  @Override
  public String toString() {
    return "cosine(initial=" + initial + ", totalSteps=" + totalSteps + ", min=" + minValue + ")";
  }
}
