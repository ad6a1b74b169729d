package io.github.tftrain.optimizers.reference;

import java.util.function.LongToDoubleFunction;

/** ADOPT (Taniguchi et al. 2024) in double precision, element by element; clip bound t^¼ with t 1-based. */
public final class ReferenceAdopt implements ReferenceOptimizer {
  public LongToDoubleFunction lr = step -> 1e-3;
  public double beta1 = 0.9;
  public double beta2 = 0.9999;
  public double eps = 1e-6;
  public boolean clip = true;
  public double weightDecay = 0;
  /** Decoupled decay x(1 - lr wd) on the steps that move x; false: L2, g + wd x. */
  public boolean decoupled = false;

  private final double[][] x;
  private final double[][] m;
  private final double[][] v;
  private long t;

  public ReferenceAdopt(double[][] x0) {
    this.x = ReferenceOptimizer.copy(x0);
    this.m = ReferenceOptimizer.zerosLike(x0);
    this.v = ReferenceOptimizer.zerosLike(x0);
  }

  @Override
  public void step(Objective objective, int step) {
    Objective.Evaluation e = objective.evaluate(x, step);
    double rate = lr.applyAsDouble(step);
    t++;
    double bound = Math.pow(t, 0.25);
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < x[i].length; j++) {
        double g = e.gradients[i][j];
        if (!decoupled) {
          g += weightDecay * x[i][j];
        }
        if (t == 1) {
          v[i][j] = g * g;
          continue;
        }
        if (decoupled) {
          x[i][j] *= 1 - rate * weightDecay;
        }
        double normalised = g / Math.max(Math.sqrt(v[i][j]), eps);
        if (clip) {
          normalised = Math.max(-bound, Math.min(bound, normalised));
        }
        m[i][j] = beta1 * m[i][j] + (1 - beta1) * normalised;
        x[i][j] -= rate * m[i][j];
        v[i][j] = beta2 * v[i][j] + (1 - beta2) * g * g;
      }
    }
  }

  @Override
  public double[][] currentPoint() {
    return ReferenceOptimizer.copy(x);
  }
}
