package io.github.tftrain.optimizers.reference;

import java.util.function.LongToDoubleFunction;

/** torch.optim.RMSprop 1.13 in double precision. */
public final class ReferenceRmsProp implements ReferenceOptimizer {
  public LongToDoubleFunction lr = step -> 1e-2;
  public double alpha = 0.99;
  public double eps = 1e-8;
  public double momentum = 0;
  public boolean centered = false;
  public double weightDecay = 0;

  private final double[][] x;
  private final double[][] squareAvg;
  private final double[][] gradAvg;
  private final double[][] buffer;

  public ReferenceRmsProp(double[][] x0) {
    this.x = ReferenceOptimizer.copy(x0);
    this.squareAvg = ReferenceOptimizer.zerosLike(x0);
    this.gradAvg = ReferenceOptimizer.zerosLike(x0);
    this.buffer = ReferenceOptimizer.zerosLike(x0);
  }

  @Override
  public void step(Objective objective, int step) {
    Objective.Evaluation e = objective.evaluate(x, step);
    double rate = lr.applyAsDouble(step);
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < x[i].length; j++) {
        double g = e.gradients[i][j] + weightDecay * x[i][j];
        squareAvg[i][j] = alpha * squareAvg[i][j] + (1 - alpha) * g * g;
        double avg;
        if (centered) {
          gradAvg[i][j] = alpha * gradAvg[i][j] + (1 - alpha) * g;
          avg = Math.sqrt(squareAvg[i][j] - gradAvg[i][j] * gradAvg[i][j]) + eps;
        } else {
          avg = Math.sqrt(squareAvg[i][j]) + eps;
        }
        if (momentum > 0) {
          buffer[i][j] = momentum * buffer[i][j] + g / avg;
          x[i][j] -= rate * buffer[i][j];
        } else {
          x[i][j] -= rate * g / avg;
        }
      }
    }
  }

  @Override
  public double[][] currentPoint() {
    return ReferenceOptimizer.copy(x);
  }
}
