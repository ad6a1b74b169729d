package io.github.tftrain.optimizers.schedule;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt64;

/**
 * A hyperparameter value as a function of the optimizer's global step (the number of updates applied so far).
 *
 * <p>Every schedule has two faces that compute the same function: {@link #value(Ops, Operand)} builds it into the
 * graph, so the training step reads it from the optimizer's own step counter (and it survives checkpoints without
 * extra state), and {@link #valueAt(long)} evaluates it in plain Java for logs, plots and configuration checks.
 *
 * <p>Schedules are immutable. Build them with the static factories and wrap them with {@link #withLinearWarmup}:
 *
 * <pre>{@code
 * Schedule lr = Schedule.multiStep(0.1, new long[] {60 * stepsPerEpoch, 120 * stepsPerEpoch}, 0.2)
 *                       .withLinearWarmup(500, 0.0);
 * }</pre>
 */
public interface Schedule {

  /**
   * The value at {@code step} (0 for the first update), in plain Java double precision.
   *
   * @param step the number of updates applied before the one that uses the value; must be non-negative
   * @return the scheduled value
   */
  double valueAt(long step);

  /**
   * Builds the value at {@code step} into the graph.
   *
   * @param tf ops to build with
   * @param step an int64 scalar: the number of updates applied before the one that uses the value
   * @return a float64 scalar
   */
  Operand<TFloat64> value(Ops tf, Operand<TInt64> step);

  /** A fixed value. */
  static Schedule constant(double value) {
    return new ConstantSchedule(value);
  }

  /**
   * Step decay (torch {@code StepLR}): {@code initial * gamma^floor(step / stepSize)}.
   *
   * @param initial value before the first decay
   * @param stepSize number of steps between decays, positive
   * @param gamma multiplicative factor per decay, positive
   */
  static Schedule step(double initial, long stepSize, double gamma) {
    return new StepDecaySchedule(initial, stepSize, gamma);
  }

  /**
   * Multi-step decay (torch {@code MultiStepLR}): {@code initial * gamma^k} where k is the number of milestones
   * {@code <= step}.
   *
   * @param initial value before the first milestone
   * @param milestones strictly increasing, positive step numbers
   * @param gamma multiplicative factor per milestone, positive
   */
  static Schedule multiStep(double initial, long[] milestones, double gamma) {
    return new MultiStepSchedule(initial, milestones, gamma);
  }

  /**
   * Cosine annealing (torch {@code CosineAnnealingLR}, closed form):
   * {@code min + (initial - min) * (1 + cos(pi * min(step, totalSteps) / totalSteps)) / 2}; it stays at {@code min}
   * after {@code totalSteps}.
   *
   * @param initial value at step 0
   * @param totalSteps length of the half cosine period, positive
   * @param minValue value reached at {@code totalSteps}
   */
  static Schedule cosine(double initial, long totalSteps, double minValue) {
    return new CosineSchedule(initial, totalSteps, minValue);
  }

  /**
   * An exponential sweep from {@code start} at step 0 to {@code end} at step {@code steps - 1} (then {@code end}):
   * {@code start * (end / start)^(step / (steps - 1))}, the learning-rate range test's (Smith 2017).
   *
   * @param start value at step 0, positive
   * @param end value at step {@code steps - 1}, positive
   * @param steps steps of the sweep, at least 2
   */
  static Schedule exponential(double start, double end, long steps) {
    return new ExponentialRangeSchedule(start, end, steps);
  }

  /**
   * Linear warmup multiplying this schedule (torch {@code LinearLR} chained with it): the value at step t is
   * {@code this.valueAt(t) * (startFactor + (1 - startFactor) * min(t, warmupSteps) / warmupSteps)}. Milestones of
   * the wrapped schedule keep their absolute step numbers.
   *
   * @param warmupSteps number of warmup steps, positive
   * @param startFactor factor at step 0, in [0, 1]
   * @return the wrapped schedule
   */
  default Schedule withLinearWarmup(long warmupSteps, double startFactor) {
    return new LinearWarmupSchedule(this, warmupSteps, startFactor);
  }

  /**
   * The value at step 0. Optimizers whose own warmup interpolates towards a "base" value (Apollo) use it.
   *
   * @return {@code valueAt(0)}
   */
  default double initialValue() {
    return valueAt(0);
  }

  /**
   * A lower bound of the values the schedule takes over all steps: exact (the infimum) for the basic schedules,
   * possibly lower for a warmup wrapper. Optimizers use it to reject schedules that leave a hyperparameter's valid
   * range (a negative learning rate, say) when they are built rather than mid-training.
   *
   * @return the bound, possibly {@code -Infinity}
   */
  double minimumValue();

  /**
   * An upper bound of the values the schedule takes over all steps, in the same sense as {@link #minimumValue()}.
   *
   * @return the bound, possibly {@code +Infinity}
   */
  double maximumValue();
}
