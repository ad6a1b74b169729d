package io.github.tftrain.optimizers.reference;

import java.util.function.LongToDoubleFunction;

/** torch.optim.Adadelta 1.13 in double precision. */
public final class ReferenceAdadelta implements ReferenceOptimizer {
  public LongToDoubleFunction lr = step -> 1.0;
  public double rho = 0.9;
  public double eps = 1e-6;
  public double weightDecay = 0;

  private final double[][] x;
  private final double[][] squareAvg;
  private final double[][] accDelta;

  public ReferenceAdadelta(double[][] x0) {
    this.x = ReferenceOptimizer.copy(x0);
    this.squareAvg = ReferenceOptimizer.zerosLike(x0);
    this.accDelta = ReferenceOptimizer.zerosLike(x0);
  }

  @Override
  public void step(Objective objective, int step) {
    Objective.Evaluation e = objective.evaluate(x, step);
    double rate = lr.applyAsDouble(step);
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < x[i].length; j++) {
        double g = e.gradients[i][j] + weightDecay * x[i][j];
        squareAvg[i][j] = rho * squareAvg[i][j] + (1 - rho) * g * g;
        double delta = Math.sqrt(accDelta[i][j] + eps) / Math.sqrt(squareAvg[i][j] + eps) * g;
        accDelta[i][j] = rho * accDelta[i][j] + (1 - rho) * delta * delta;
        x[i][j] -= rate * delta;
      }
    }
  }

  @Override
  public double[][] currentPoint() {
    return ReferenceOptimizer.copy(x);
  }
}
