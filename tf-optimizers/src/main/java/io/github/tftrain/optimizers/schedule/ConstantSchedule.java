package io.github.tftrain.optimizers.schedule;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt64;

/** A value that does not change with the step. */
final class ConstantSchedule implements Schedule {
  private final double value;

  ConstantSchedule(double value) {
    this.value = ScheduleArguments.finite("value", value);
  }

  @Override
  public double valueAt(long step) {
    ScheduleArguments.nonNegativeStep(step);
    return value;
  }

  @Override
  public Operand<TFloat64> value(Ops tf, Operand<TInt64> step) {
    return tf.constant(value);
  }

  @Override
  public double minimumValue() {
    return value;
  }

  @Override
  public double maximumValue() {
    return value;
  }

  @Override
  public String toString() {
    return "constant(" + value + ")";
  }
}
