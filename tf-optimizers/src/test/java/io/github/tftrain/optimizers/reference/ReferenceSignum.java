package io.github.tftrain.optimizers.reference;

import java.util.function.LongToDoubleFunction;

/** Signum / signSGD (Bernstein et al. 2018) in double precision, element by element. */
public final class ReferenceSignum implements ReferenceOptimizer {
  public LongToDoubleFunction lr = step -> 1e-3;
  public double momentum = 0.9;
  /** The smallest |m| whose sign a step took: how far the run stays from a sign flip. */
  public double smallestSignArgument = Double.POSITIVE_INFINITY;

  private final double[][] x;
  private final double[][] m;

  public ReferenceSignum(double[][] x0) {
    this.x = ReferenceOptimizer.copy(x0);
    this.m = ReferenceOptimizer.zerosLike(x0);
  }

  @Override
  public void step(Objective objective, int step) {
    Objective.Evaluation e = objective.evaluate(x, step);
    double rate = lr.applyAsDouble(step);
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < x[i].length; j++) {
        m[i][j] = momentum * m[i][j] + (1 - momentum) * e.gradients[i][j];
        smallestSignArgument = Math.min(smallestSignArgument, Math.abs(m[i][j]));
        x[i][j] -= rate * Math.signum(m[i][j]);
      }
    }
  }

  @Override
  public double[][] currentPoint() {
    return ReferenceOptimizer.copy(x);
  }
}
