package io.github.tftrain.optimizers.reference;

/** A minibatch objective evaluated in plain Java double precision. */
public interface Objective {

  /** Per-example losses and the gradients of their mean, at {@code params}, on minibatch {@code step}. */
  Evaluation evaluate(double[][] params, int step);

  /** The result of one evaluation. */
  final class Evaluation {
    /** Per-example losses l_b; a scalar objective has one entry. */
    public final double[] losses;
    /** d mean(l) / d params, one array per variable. */
    public final double[][] gradients;
    /** Whether the optimizer sees per-example losses (else the scalar mean). */
    public final boolean perExample;

    public Evaluation(double[] losses, double[][] gradients, boolean perExample) {
      this.losses = losses;
      this.gradients = gradients;
      this.perExample = perExample;
    }

    public double mean() {
      double s = 0;
      for (double l : losses) {
        s += l;
      }
      return s / losses.length;
    }

    /** KaFiStO's m2: mean of squared per-example losses, or L² for a scalar loss. */
    public double secondMoment() {
      if (!perExample) {
        double m = mean();
        return m * m;
      }
      double s = 0;
      for (double l : losses) {
        s += l * l;
      }
      return s / losses.length;
    }
  }
}
