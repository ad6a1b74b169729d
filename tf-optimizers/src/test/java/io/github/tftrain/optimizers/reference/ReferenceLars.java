package io.github.tftrain.optimizers.reference;

import java.util.function.LongToDoubleFunction;

/** LARS (You et al. 2017, Algorithm 1; local rate 1 when ‖x‖ or ‖g‖ is 0) in double precision. */
public final class ReferenceLars implements ReferenceOptimizer {
  public LongToDoubleFunction lr = step -> 0.1;
  public double momentum = 0.9;
  public double trustCoefficient = 1e-3;
  public double weightDecay = 0;

  /** How many times, over all steps and variables, the local rate fell back to 1. */
  public int fallbacks;

  private final double[][] x;
  private final double[][] b;

  public ReferenceLars(double[][] x0) {
    this.x = ReferenceOptimizer.copy(x0);
    this.b = ReferenceOptimizer.zerosLike(x0);
  }

  @Override
  public void step(Objective objective, int step) {
    Objective.Evaluation e = objective.evaluate(x, step);
    double rate = lr.applyAsDouble(step);
    for (int i = 0; i < x.length; i++) {
      double xNorm = Math.sqrt(ReferenceOptimizer.squaredNorm(x[i]));
      double gNorm = Math.sqrt(ReferenceOptimizer.squaredNorm(e.gradients[i]));
      double local;
      if (xNorm == 0 || gNorm == 0) {
        local = 1;
        fallbacks++;
      } else {
        local = trustCoefficient * xNorm / (gNorm + weightDecay * xNorm);
      }
      for (int j = 0; j < x[i].length; j++) {
        b[i][j] = momentum * b[i][j] + rate * local * (e.gradients[i][j] + weightDecay * x[i][j]);
        x[i][j] -= b[i][j];
      }
    }
  }

  @Override
  public double[][] currentPoint() {
    return ReferenceOptimizer.copy(x);
  }
}
