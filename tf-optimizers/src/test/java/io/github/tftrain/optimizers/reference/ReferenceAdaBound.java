package io.github.tftrain.optimizers.reference;

import java.util.function.LongToDoubleFunction;

/** AdaBound (finalLr not rescaled by the schedule) with L2 or decoupled weight decay, in double precision. */
public final class ReferenceAdaBound implements ReferenceOptimizer {
  public LongToDoubleFunction lr = step -> 1e-3;
  public double finalLr = 0.1;
  public double gamma = 1e-3;
  public double beta1 = 0.9;
  public double beta2 = 0.999;
  public double eps = 1e-8;
  public double weightDecay = 0;
  public boolean decoupled = false;

  /** How many element updates, over all steps, were cut to the lower bound, cut to the upper one, or neither. */
  public int atLower;
  public int atUpper;
  public int inside;

  private final double[][] x;
  private final double[][] m;
  private final double[][] v;
  private long t;

  public ReferenceAdaBound(double[][] x0) {
    this.x = ReferenceOptimizer.copy(x0);
    this.m = ReferenceOptimizer.zerosLike(x0);
    this.v = ReferenceOptimizer.zerosLike(x0);
  }

  @Override
  public void step(Objective objective, int step) {
    Objective.Evaluation e = objective.evaluate(x, step);
    double rate = lr.applyAsDouble(step);
    t++;
    double bc1 = 1 - Math.pow(beta1, t);
    double bc2 = 1 - Math.pow(beta2, t);
    double stepSize = rate * Math.sqrt(bc2) / bc1;
    double lower = finalLr * (1 - 1 / (gamma * t + 1));
    double upper = finalLr * (1 + 1 / (gamma * t));
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < x[i].length; j++) {
        double g = e.gradients[i][j];
        double start = x[i][j];
        if (decoupled) {
          start = x[i][j] * (1 - rate * weightDecay);
        } else {
          g += weightDecay * x[i][j];
        }
        m[i][j] = beta1 * m[i][j] + (1 - beta1) * g;
        v[i][j] = beta2 * v[i][j] + (1 - beta2) * g * g;
        double elementRate = stepSize / (Math.sqrt(v[i][j]) + eps);
        if (elementRate < lower) {
          elementRate = lower;
          atLower++;
        } else if (elementRate > upper) {
          elementRate = upper;
          atUpper++;
        } else {
          inside++;
        }
        x[i][j] = start - elementRate * m[i][j];
      }
    }
  }

  @Override
  public double[][] currentPoint() {
    return ReferenceOptimizer.copy(x);
  }
}
