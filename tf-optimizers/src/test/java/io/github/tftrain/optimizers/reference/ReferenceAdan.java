package io.github.tftrain.optimizers.reference;

import java.util.function.LongToDoubleFunction;

/** Adan (Xie et al. 2022, decay-rate betas as in sail-sg/Adan) in double precision, element by element. */
public final class ReferenceAdan implements ReferenceOptimizer {
  public LongToDoubleFunction lr = step -> 1e-3;
  public double beta1 = 0.98;
  public double beta2 = 0.92;
  public double beta3 = 0.99;
  public double eps = 1e-8;
  public double weightDecay = 0;
  public boolean noProx = false;

  private final double[][] x;
  private final double[][] m;
  private final double[][] v;
  private final double[][] n;
  private final double[][] previous;
  private long t;

  public ReferenceAdan(double[][] x0) {
    this.x = ReferenceOptimizer.copy(x0);
    this.m = ReferenceOptimizer.zerosLike(x0);
    this.v = ReferenceOptimizer.zerosLike(x0);
    this.n = ReferenceOptimizer.zerosLike(x0);
    this.previous = ReferenceOptimizer.zerosLike(x0);
  }

  @Override
  public void step(Objective objective, int step) {
    Objective.Evaluation e = objective.evaluate(x, step);
    double rate = lr.applyAsDouble(step);
    t++;
    double bc1 = 1 - Math.pow(beta1, t);
    double bc2 = 1 - Math.pow(beta2, t);
    double bc3 = 1 - Math.pow(beta3, t);
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < x[i].length; j++) {
        double g = e.gradients[i][j];
        double d = t == 1 ? 0 : g - previous[i][j];
        m[i][j] = beta1 * m[i][j] + (1 - beta1) * g;
        v[i][j] = beta2 * v[i][j] + (1 - beta2) * d;
        double nesterov = g + beta2 * d;
        n[i][j] = beta3 * n[i][j] + (1 - beta3) * nesterov * nesterov;
        double u = (m[i][j] / bc1 + beta2 * v[i][j] / bc2) / (Math.sqrt(n[i][j] / bc3) + eps);
        if (noProx) {
          x[i][j] = x[i][j] * (1 - rate * weightDecay) - rate * u;
        } else {
          x[i][j] = (x[i][j] - rate * u) / (1 + rate * weightDecay);
        }
        previous[i][j] = g;
      }
    }
  }

  @Override
  public double[][] currentPoint() {
    return ReferenceOptimizer.copy(x);
  }
}
