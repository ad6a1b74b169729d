package io.github.tftrain.optimizers.reference;

import java.util.function.LongToDoubleFunction;

/** LAMB (trust ratio ‖x‖/‖r‖ per variable, 1 when either norm is 0; weight decay inside r) in double precision. */
public final class ReferenceLamb implements ReferenceOptimizer {
  public LongToDoubleFunction lr = step -> 1e-3;
  public double beta1 = 0.9;
  public double beta2 = 0.999;
  public double eps = 1e-6;
  public double weightDecay = 0;

  /** How many times, over all steps and variables, the ratio fell back to 1. */
  public int fallbacks;

  private final double[][] x;
  private final double[][] m;
  private final double[][] v;
  private long t;

  public ReferenceLamb(double[][] x0) {
    this.x = ReferenceOptimizer.copy(x0);
    this.m = ReferenceOptimizer.zerosLike(x0);
    this.v = ReferenceOptimizer.zerosLike(x0);
  }

  @Override
  public void step(Objective objective, int step) {
    Objective.Evaluation e = objective.evaluate(x, step);
    double rate = lr.applyAsDouble(step);
    t++;
    double bc1 = 1 - Math.pow(beta1, t);
    double bc2 = 1 - Math.pow(beta2, t);
    for (int i = 0; i < x.length; i++) {
      int n = x[i].length;
      double[] r = new double[n];
      for (int j = 0; j < n; j++) {
        double g = e.gradients[i][j];
        m[i][j] = beta1 * m[i][j] + (1 - beta1) * g;
        v[i][j] = beta2 * v[i][j] + (1 - beta2) * g * g;
        r[j] = (m[i][j] / bc1) / (Math.sqrt(v[i][j] / bc2) + eps) + weightDecay * x[i][j];
      }
      double xNorm = Math.sqrt(ReferenceOptimizer.squaredNorm(x[i]));
      double rNorm = Math.sqrt(ReferenceOptimizer.squaredNorm(r));
      double ratio;
      if (xNorm == 0 || rNorm == 0) {
        ratio = 1;
        fallbacks++;
      } else {
        ratio = xNorm / rNorm;
      }
      for (int j = 0; j < n; j++) {
        x[i][j] -= rate * ratio * r[j];
      }
    }
  }

  @Override
  public double[][] currentPoint() {
    return ReferenceOptimizer.copy(x);
  }
}
