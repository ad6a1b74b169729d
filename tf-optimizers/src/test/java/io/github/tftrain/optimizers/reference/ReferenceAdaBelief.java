package io.github.tftrain.optimizers.reference;

import java.util.function.LongToDoubleFunction;

/** AdaBelief (rectify off, decoupled weight decay) in double precision. */
public final class ReferenceAdaBelief implements ReferenceOptimizer {
  public LongToDoubleFunction lr = step -> 1e-3;
  public double beta1 = 0.9;
  public double beta2 = 0.999;
  public double eps = 1e-16;
  public double weightDecay = 0;

  private final double[][] x;
  private final double[][] m;
  private final double[][] s;
  private long t;

  public ReferenceAdaBelief(double[][] x0) {
    this.x = ReferenceOptimizer.copy(x0);
    this.m = ReferenceOptimizer.zerosLike(x0);
    this.s = ReferenceOptimizer.zerosLike(x0);
  }

  @Override
  public void step(Objective objective, int step) {
    Objective.Evaluation e = objective.evaluate(x, step);
    double rate = lr.applyAsDouble(step);
    t++;
    double bc1 = 1 - Math.pow(beta1, t);
    double bc2 = 1 - Math.pow(beta2, t);
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < x[i].length; j++) {
        double g = e.gradients[i][j];
        m[i][j] = beta1 * m[i][j] + (1 - beta1) * g;
        double residual = g - m[i][j];
        s[i][j] = beta2 * s[i][j] + (1 - beta2) * residual * residual + eps;
        double update = (m[i][j] / bc1) / (Math.sqrt(s[i][j]) / Math.sqrt(bc2) + eps);
        x[i][j] = x[i][j] * (1 - rate * weightDecay) - rate * update;
      }
    }
  }

  @Override
  public double[][] currentPoint() {
    return ReferenceOptimizer.copy(x);
  }
}
