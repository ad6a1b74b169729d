package io.github.tftrain.optimizers.reference;

import java.util.function.LongToDoubleFunction;

/** torch.optim.NAdam 1.13 in double precision. */
public final class ReferenceNAdam implements ReferenceOptimizer {
  public LongToDoubleFunction lr = step -> 2e-3;
  public double beta1 = 0.9;
  public double beta2 = 0.999;
  public double eps = 1e-8;
  public double momentumDecay = 4e-3;
  public double weightDecay = 0;

  private final double[][] x;
  private final double[][] m;
  private final double[][] v;
  private double muProduct = 1;
  private long t;

  public ReferenceNAdam(double[][] x0) {
    this.x = ReferenceOptimizer.copy(x0);
    this.m = ReferenceOptimizer.zerosLike(x0);
    this.v = ReferenceOptimizer.zerosLike(x0);
  }

  @Override
  public void step(Objective objective, int step) {
    Objective.Evaluation e = objective.evaluate(x, step);
    double rate = lr.applyAsDouble(step);
    t++;
    double mu = beta1 * (1 - 0.5 * Math.pow(0.96, t * momentumDecay));
    double muNext = beta1 * (1 - 0.5 * Math.pow(0.96, (t + 1) * momentumDecay));
    muProduct *= mu;
    double muProductNext = muProduct * muNext;
    double c2 = 1 - Math.pow(beta2, t);
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < x[i].length; j++) {
        double g = e.gradients[i][j] + weightDecay * x[i][j];
        m[i][j] = beta1 * m[i][j] + (1 - beta1) * g;
        v[i][j] = beta2 * v[i][j] + (1 - beta2) * g * g;
        double denom = Math.sqrt(v[i][j] / c2) + eps;
        x[i][j] -= rate * (1 - mu) / (1 - muProduct) * g / denom;
        x[i][j] -= rate * muNext / (1 - muProductNext) * m[i][j] / denom;
      }
    }
  }

  @Override
  public double[][] currentPoint() {
    return ReferenceOptimizer.copy(x);
  }
}
