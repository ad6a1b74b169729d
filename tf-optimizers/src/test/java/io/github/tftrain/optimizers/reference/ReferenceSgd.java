package io.github.tftrain.optimizers.reference;

import java.util.function.LongToDoubleFunction;

/** torch.optim.SGD (dampening 0) in double precision. */
public final class ReferenceSgd implements ReferenceOptimizer {
  public LongToDoubleFunction lr = step -> 1e-3;
  public double momentum = 0;
  public boolean nesterov = false;
  public double weightDecay = 0;

  private final double[][] x;
  private final double[][] buffer;
  private boolean first = true;

  public ReferenceSgd(double[][] x0) {
    this.x = ReferenceOptimizer.copy(x0);
    this.buffer = ReferenceOptimizer.zerosLike(x0);
  }

  @Override
  public void step(Objective objective, int step) {
    Objective.Evaluation e = objective.evaluate(x, step);
    double rate = lr.applyAsDouble(step);
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < x[i].length; j++) {
        double g = e.gradients[i][j] + weightDecay * x[i][j];
        if (momentum != 0) {
          buffer[i][j] = first ? g : momentum * buffer[i][j] + g;
          g = nesterov ? g + momentum * buffer[i][j] : buffer[i][j];
        }
        x[i][j] -= rate * g;
      }
    }
    first = false;
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
