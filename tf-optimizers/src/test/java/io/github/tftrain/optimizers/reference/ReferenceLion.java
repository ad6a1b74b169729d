package io.github.tftrain.optimizers.reference;

import java.util.function.LongToDoubleFunction;

/** Lion (Chen et al. 2023) in double precision, element by element. */
public final class ReferenceLion implements ReferenceOptimizer {
  public LongToDoubleFunction lr = step -> 1e-4;
  public double beta1 = 0.9;
  public double beta2 = 0.99;
  public double weightDecay = 0;
  /** Decoupled decay x(1 - lr wd) (Lion's own); false: L2, g + wd x. */
  public boolean decoupled = true;
  /** The smallest |c| whose sign a step took: how far the run stays from a sign flip. */
  public double smallestSignArgument = Double.POSITIVE_INFINITY;

  private final double[][] x;
  private final double[][] m;

  public ReferenceLion(double[][] x0) {
    this.x = ReferenceOptimizer.copy(x0);
    this.m = ReferenceOptimizer.zerosLike(x0);
  }

  @Override
  public void step(Objective objective, int step) {
    Objective.Evaluation e = objective.evaluate(x, step);
    double rate = lr.applyAsDouble(step);
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < x[i].length; j++) {
        double g = e.gradients[i][j];
        if (decoupled) {
          x[i][j] *= 1 - rate * weightDecay;
        } else {
          g += weightDecay * x[i][j];
        }
        double c = beta1 * m[i][j] + (1 - beta1) * g;
        smallestSignArgument = Math.min(smallestSignArgument, Math.abs(c));
        x[i][j] -= rate * Math.signum(c);
        m[i][j] = beta2 * m[i][j] + (1 - beta2) * g;
      }
    }
  }

  @Override
  public double[][] currentPoint() {
    return ReferenceOptimizer.copy(x);
  }
}
