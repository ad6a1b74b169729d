package io.github.tftrain.optimizers.schedule;

import java.util.Arrays;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt64;

/** {@code initial * gamma^(number of milestones <= step)}. */
final class MultiStepSchedule implements Schedule {
  private final double initial;
  private final long[] milestones;
  private final double gamma;

  MultiStepSchedule(double initial, long[] milestones, double gamma) {
    this.initial = ScheduleArguments.finite("initial", initial);
    this.gamma = ScheduleArguments.positive("gamma", gamma);
    if (milestones == null || milestones.length == 0) {
      throw new IllegalArgumentException("milestones must list at least one step");
    }
    this.milestones = milestones.clone();
    for (int i = 0; i < this.milestones.length; i++) {
      if (this.milestones[i] <= 0 || (i > 0 && this.milestones[i] <= this.milestones[i - 1])) {
        throw new IllegalArgumentException(
            "milestones must be strictly increasing steps > 0, got " + Arrays.toString(milestones));
      }
    }
  }

  @Override
  public double valueAt(long step) {
    ScheduleArguments.nonNegativeStep(step);
    int passed = 0;
    for (long milestone : milestones) {
      if (step >= milestone) {
        passed++;
      }
    }
    return initial * Math.pow(gamma, passed);
  }

  @Override
  public Operand<TFloat64> value(Ops tf, Operand<TInt64> step) {
    // Count the milestones already reached: sum(cast(step >= milestones)).
    Operand<TFloat64> reached =
        tf.dtypes.cast(tf.math.greaterEqual(step, tf.constant(milestones)), TFloat64.class);
    Operand<TFloat64> passed = tf.sum(reached, tf.constant(0));
    return tf.math.mul(tf.constant(initial), tf.math.pow(tf.constant(gamma), passed));
  }

  @Override
  public double minimumValue() {
    double last = initial * Math.pow(gamma, milestones.length);
    return Math.min(initial, last);
  }

  @Override
  public double maximumValue() {
    double last = initial * Math.pow(gamma, milestones.length);
    return Math.max(initial, last);
  }

  @Override
  public String toString() {
    return "multiStep(initial=" + initial + ", milestones=" + Arrays.toString(milestones) + ", gamma=" + gamma + ")";
  }
}
