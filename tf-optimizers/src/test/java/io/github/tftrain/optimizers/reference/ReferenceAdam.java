package io.github.tftrain.optimizers.reference;

import java.util.function.LongToDoubleFunction;

/** torch.optim.Adam (L2 weight decay) or torch.optim.AdamW (decoupled) in double precision. */
public final class ReferenceAdam implements ReferenceOptimizer {
  public LongToDoubleFunction lr = step -> 1e-3;
  public double beta1 = 0.9;
  public double beta2 = 0.999;
  public double eps = 1e-8;
  public double weightDecay = 0;
  public boolean decoupled = false;
  /** Per-variable weight decay (variable groups), or null for {@link #weightDecay} everywhere. */
  public double[] weightDecayOf = null;

  private final double[][] x;
  private final double[][] m;
  private final double[][] v;
  private long t;

  public ReferenceAdam(double[][] x0) {
    this.x = ReferenceOptimizer.copy(x0);
    this.m = ReferenceOptimizer.zerosLike(x0);
    this.v = ReferenceOptimizer.zerosLike(x0);
  }

  @Override
  public void step(Objective objective, int step) {
    Objective.Evaluation e = objective.evaluate(x, step);
    double rate = lr.applyAsDouble(step);
    t++;
    double c1 = 1 - Math.pow(beta1, t);
    double c2 = 1 - Math.pow(beta2, t);
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < x[i].length; j++) {
        double g = e.gradients[i][j];
        double wd = weightDecayOf == null ? weightDecay : weightDecayOf[i];
        if (decoupled) {
          x[i][j] *= 1 - rate * wd;
        } else {
          g += wd * x[i][j];
        }
        m[i][j] = beta1 * m[i][j] + (1 - beta1) * g;
        v[i][j] = beta2 * v[i][j] + (1 - beta2) * g * g;
        double mHat = m[i][j] / c1;
        double vHat = v[i][j] / c2;
        x[i][j] -= rate * mHat / (Math.sqrt(vHat) + eps);
      }
    }
  }

  @Override
  public void setPoint(double[][] point) {
    for (int i = 0; i < x.length; i++) {
      System.arraycopy(point[i], 0, x[i], 0, x[i].length);
    }
  }

  @Override
  public double[][] currentPoint() {
    return ReferenceOptimizer.copy(x);
  }
}
