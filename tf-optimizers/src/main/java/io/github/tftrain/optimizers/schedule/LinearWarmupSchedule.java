package io.github.tftrain.optimizers.schedule;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt64;

/** {@code inner(t) * (start + (1 - start) * min(t, W) / W)}. */
final class LinearWarmupSchedule implements Schedule {
  private final Schedule inner;
  private final long warmupSteps;
  private final double startFactor;

  LinearWarmupSchedule(Schedule inner, long warmupSteps, double startFactor) {
    if (inner == null) {
      throw new IllegalArgumentException("the schedule to warm up must not be null");
    }
    this.inner = inner;
    this.warmupSteps = ScheduleArguments.positive("warmupSteps", warmupSteps);
    if (!(startFactor >= 0 && startFactor <= 1)) {
      throw new IllegalArgumentException("startFactor must be in [0, 1], got " + startFactor);
    }
    this.startFactor = startFactor;
  }

  private double factorAt(long step) {
    return startFactor + (1 - startFactor) * ((double) Math.min(step, warmupSteps) / warmupSteps);
  }

  @Override
  public double valueAt(long step) {
    ScheduleArguments.nonNegativeStep(step);
    return inner.valueAt(step) * factorAt(step);
  }

  @Override
  public Operand<TFloat64> value(Ops tf, Operand<TInt64> step) {
    Operand<TFloat64> done =
        tf.math.div(
            tf.dtypes.cast(tf.math.minimum(step, tf.constant(warmupSteps)), TFloat64.class),
            tf.constant((double) warmupSteps));
    Operand<TFloat64> factor =
        tf.math.add(tf.constant(startFactor), tf.math.mul(tf.constant(1 - startFactor), done));
    return tf.math.mul(inner.value(tf, step), factor);
  }

  // The factor lies in [startFactor, 1] and the inner value in [min, max]; a product of two intervals takes its
  // extremes at their corners. (0 * infinity counts as 0: a zero factor zeroes any finite value.)
  private double[] corners() {
    double[] values = {inner.minimumValue(), inner.maximumValue()};
    double[] factors = {startFactor, 1.0};
    double[] out = new double[4];
    int i = 0;
    for (double v : values) {
      for (double f : factors) {
        out[i++] = f == 0 ? 0.0 : v * f;
      }
    }
    return out;
  }

  @Override
  public double minimumValue() {
    return java.util.Arrays.stream(corners()).min().orElseThrow();
  }

  @Override
  public double maximumValue() {
    return java.util.Arrays.stream(corners()).max().orElseThrow();
  }

  @Override
  public String toString() {
    return inner + ".withLinearWarmup(steps=" + warmupSteps + ", startFactor=" + startFactor + ")";
  }
}
