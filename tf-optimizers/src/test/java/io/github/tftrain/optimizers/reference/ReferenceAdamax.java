package io.github.tftrain.optimizers.reference;

import java.util.function.LongToDoubleFunction;

/** torch.optim.Adamax 1.13 in double precision. */
public final class ReferenceAdamax implements ReferenceOptimizer {
  public LongToDoubleFunction lr = step -> 2e-3;
  public double beta1 = 0.9;
  public double beta2 = 0.999;
  public double eps = 1e-8;
  public double weightDecay = 0;

  private final double[][] x;
  private final double[][] m;
  private final double[][] u;
  private long t;

  public ReferenceAdamax(double[][] x0) {
    this.x = ReferenceOptimizer.copy(x0);
    this.m = ReferenceOptimizer.zerosLike(x0);
    this.u = ReferenceOptimizer.zerosLike(x0);
  }

  @Override
  public void step(Objective objective, int step) {
    Objective.Evaluation e = objective.evaluate(x, step);
    t++;
    double clr = lr.applyAsDouble(step) / (1 - Math.pow(beta1, t));
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < x[i].length; j++) {
        double g = e.gradients[i][j] + weightDecay * x[i][j];
        m[i][j] = beta1 * m[i][j] + (1 - beta1) * g;
        u[i][j] = Math.max(beta2 * u[i][j], Math.abs(g) + eps);
        x[i][j] -= clr * m[i][j] / u[i][j];
      }
    }
  }

  @Override
  public double[][] currentPoint() {
    return ReferenceOptimizer.copy(x);
  }
}
