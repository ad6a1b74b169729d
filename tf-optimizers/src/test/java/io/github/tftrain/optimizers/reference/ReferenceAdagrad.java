package io.github.tftrain.optimizers.reference;

import java.util.function.LongToDoubleFunction;

/** torch.optim.Adagrad 1.13 in double precision. */
public final class ReferenceAdagrad implements ReferenceOptimizer {
  public LongToDoubleFunction lr = step -> 1e-2;
  public double lrDecay = 0;
  public double eps = 1e-10;
  public double weightDecay = 0;

  private final double[][] x;
  private final double[][] sum;
  private long t;

  /** The accumulator starts at {@code initialAccumulator} in every element. */
  public ReferenceAdagrad(double[][] x0, double initialAccumulator) {
    this.x = ReferenceOptimizer.copy(x0);
    this.sum = ReferenceOptimizer.zerosLike(x0);
    for (double[] row : sum) {
      java.util.Arrays.fill(row, initialAccumulator);
    }
  }

  public ReferenceAdagrad(double[][] x0) {
    this(x0, 0);
  }

  @Override
  public void step(Objective objective, int step) {
    Objective.Evaluation e = objective.evaluate(x, step);
    t++;
    double clr = lr.applyAsDouble(step) / (1 + (t - 1) * lrDecay);
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < x[i].length; j++) {
        double g = e.gradients[i][j] + weightDecay * x[i][j];
        sum[i][j] += g * g;
        x[i][j] -= clr * g / (Math.sqrt(sum[i][j]) + eps);
      }
    }
  }

  @Override
  public double[][] currentPoint() {
    return ReferenceOptimizer.copy(x);
  }
}
