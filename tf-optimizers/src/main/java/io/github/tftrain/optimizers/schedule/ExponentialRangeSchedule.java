package io.github.tftrain.optimizers.schedule;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt64;

/** {@code start * (end / start)^(min(step, steps - 1) / (steps - 1))}: the learning-rate range test's sweep. */
final class ExponentialRangeSchedule implements Schedule {
  private final double start;
  private final double end;
  private final long steps;

  ExponentialRangeSchedule(double start, double end, long steps) {
    this.start = ScheduleArguments.finite("start", start);
    this.end = ScheduleArguments.finite("end", end);
    if (!(start > 0) || !(end > 0)) {
      throw new IllegalArgumentException("an exponential range needs start > 0 and end > 0, got " + start + ", "
          + end);
    }
    if (steps < 2) {
      throw new IllegalArgumentException("an exponential range needs steps >= 2, got " + steps);
    }
    this.steps = steps;
  }

  @Override
  public double valueAt(long step) {
    ScheduleArguments.nonNegativeStep(step);
    double progress = (double) Math.min(step, steps - 1) / (steps - 1);
    return start * Math.pow(end / start, progress);
  }

  @Override
  public Operand<TFloat64> value(Ops tf, Operand<TInt64> step) {
    Operand<TFloat64> clipped = tf.dtypes.cast(tf.math.minimum(step, tf.constant(steps - 1)), TFloat64.class);
    Operand<TFloat64> progress = tf.math.div(clipped, tf.constant((double) (steps - 1)));
    return tf.math.mul(tf.constant(start), tf.math.pow(tf.constant(end / start), progress));
  }

  @Override
  public double minimumValue() {
    return Math.min(start, end);
  }

  @Override
  public double maximumValue() {
    return Math.max(start, end);
  }

  @Override
  public String toString() {
    return "exponential(start=" + start + ", end=" + end + ", steps=" + steps + ")";
  }
}
