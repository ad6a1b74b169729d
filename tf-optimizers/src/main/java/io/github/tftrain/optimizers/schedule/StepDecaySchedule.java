package io.github.tftrain.optimizers.schedule;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt64;

/** {@code initial * gamma^floor(step / stepSize)}. */
final class StepDecaySchedule implements Schedule {
  private final double initial;
  private final long stepSize;
  private final double gamma;

  StepDecaySchedule(double initial, long stepSize, double gamma) {
    this.initial = ScheduleArguments.finite("initial", initial);
    this.stepSize = ScheduleArguments.positive("stepSize", stepSize);
    this.gamma = ScheduleArguments.positive("gamma", gamma);
  }

  @Override
  public double valueAt(long step) {
    ScheduleArguments.nonNegativeStep(step);
    return initial * Math.pow(gamma, (double) (step / stepSize));
  }

  @Override
  public Operand<TFloat64> value(Ops tf, Operand<TInt64> step) {
    // Integer division first, so the exponent is exact for any step count.
    Operand<TFloat64> decays = tf.dtypes.cast(tf.math.floorDiv(step, tf.constant(stepSize)), TFloat64.class);
    return tf.math.mul(tf.constant(initial), tf.math.pow(tf.constant(gamma), decays));
  }

  /** The value after infinitely many decays: 0 when gamma < 1, unbounded (with the sign of initial) when > 1. */
  private double limit() {
    if (gamma == 1 || initial == 0) {
      return initial;
    }
    return gamma < 1 ? 0.0 : Math.copySign(Double.POSITIVE_INFINITY, initial);
  }

  @Override
  public double minimumValue() {
    return Math.min(initial, limit());
  }

  @Override
  public double maximumValue() {
    return Math.max(initial, limit());
  }

  @Override
  public String toString() {
    return "step(initial=" + initial + ", stepSize=" + stepSize + ", gamma=" + gamma + ")";
  }
}
