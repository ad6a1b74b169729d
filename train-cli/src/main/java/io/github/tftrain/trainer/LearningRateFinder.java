package io.github.tftrain.trainer;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongToDoubleFunction;
import org.tensorflow.Session;

/**
 * The learning-rate range test (Smith, Cyclical Learning Rates for Training Neural Networks, 2017; as fastai runs
 * it): train from the initial weights while the learning rate grows exponentially from a tiny value, record the loss
 * of every step, smooth it with an exponential moving average (β = 0.98, bias-corrected), stop once the smoothed loss
 * exceeds four times its minimum or a loss is not finite, and suggest a tenth of the learning rate at which the
 * smoothed loss was lowest: the largest rate at which the loss still clearly falls.
 */
public final class LearningRateFinder {
  /** The smoothing of the loss. */
  public static final double BETA = 0.98;
  /** Stop when the smoothed loss exceeds this multiple of its minimum. */
  public static final double DIVERGED = 4;

  private LearningRateFinder() {}

  /** One step: its learning rate, its loss and the smoothed loss. */
  public record Point(long step, double lr, double loss, double smoothed) {}

  /**
   * The sweep's points and the suggestion.
   *
   * @param points every step taken
   * @param suggestion a tenth of the learning rate at the lowest smoothed loss
   * @param stoppedEarly whether the loss diverged before the sweep's last step
   */
  public record Result(List<Point> points, double suggestion, boolean stoppedEarly) {
    /** The point with the lowest smoothed loss. */
    public Point minimum() {
      return points.stream().min(java.util.Comparator.comparingDouble(Point::smoothed)).orElseThrow();
    }
  }

  /**
   * Runs the test on a job whose optimizer follows {@code lr} (an exponential sweep, {@code Schedule.exponential}),
   * from the session's current (initial) weights.
   *
   * @param lr the learning rate of each step, as the job's schedule gives it
   * @param steps the sweep's steps
   * @throws IllegalStateException when not even the first step had a finite loss
   */
  public static Result run(TrainingJob job, Session session, LongToDoubleFunction lr, long steps) {
    List<Point> points = new ArrayList<>();
    double average = 0;
    double best = Double.POSITIVE_INFINITY;
    long perEpoch = job.stepsPerEpoch();
    boolean stoppedEarly = false;
    for (long step = 0; step < steps; step++) {
      if (step % perEpoch == 0) {
        job.seek((int) (step / perEpoch), 0);
      }
      double loss;
      try {
        loss = job.step(session, step)[0];
      } catch (NonFiniteStepException e) {
        stoppedEarly = step < steps - 1;
        break;
      }
      average = BETA * average + (1 - BETA) * loss;
      double smoothed = average / (1 - Math.pow(BETA, step + 1));
      points.add(new Point(step, lr.applyAsDouble(step), loss, smoothed));
      best = Math.min(best, smoothed);
      if (!Double.isFinite(loss) || smoothed > DIVERGED * best) {
        stoppedEarly = step < steps - 1;
        break;
      }
    }
    if (points.isEmpty()) {
      throw new IllegalStateException("the first step's loss was not finite: nothing to measure");
    }
    Result partial = new Result(points, Double.NaN, stoppedEarly);
    return new Result(List.copyOf(points), partial.minimum().lr() / 10, stoppedEarly);
  }
}
