package io.github.tftrain.optimizers.reference;

import java.util.function.LongToDoubleFunction;

/** torch.optim.RAdam 1.13 in double precision. */
public final class ReferenceRAdam implements ReferenceOptimizer {
  public LongToDoubleFunction lr = step -> 1e-3;
  public double beta1 = 0.9;
  public double beta2 = 0.999;
  public double eps = 1e-8;
  public double weightDecay = 0;

  private final double[][] x;
  private final double[][] m;
  private final double[][] v;
  private long t;
  private int rectifiedSteps;

  public ReferenceRAdam(double[][] x0) {
    this.x = ReferenceOptimizer.copy(x0);
    this.m = ReferenceOptimizer.zerosLike(x0);
    this.v = ReferenceOptimizer.zerosLike(x0);
  }

  @Override
  public void step(Objective objective, int step) {
    Objective.Evaluation e = objective.evaluate(x, step);
    double rate = lr.applyAsDouble(step);
    t++;
    double c1 = 1 - Math.pow(beta1, t);
    double c2 = 1 - Math.pow(beta2, t);
    double rhoInf = 2 / (1 - beta2) - 1;
    double rhoT = rhoInf - 2 * t * Math.pow(beta2, t) / c2;
    boolean rectify = rhoT > 5;
    if (rectify) {
      rectifiedSteps++;
    }
    double r = Math.sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < x[i].length; j++) {
        double g = e.gradients[i][j] + weightDecay * x[i][j];
        m[i][j] = beta1 * m[i][j] + (1 - beta1) * g;
        v[i][j] = beta2 * v[i][j] + (1 - beta2) * g * g;
        double mHat = m[i][j] / c1;
        if (rectify) {
          double l = Math.sqrt(c2) / (Math.sqrt(v[i][j]) + eps);
          x[i][j] -= rate * mHat * l * r;
        } else {
          x[i][j] -= rate * mHat;
        }
      }
    }
  }

  /** How many steps so far took the rectified branch (tests check both branches ran). */
  public int rectifiedSteps() {
    return rectifiedSteps;
  }

  @Override
  public double[][] currentPoint() {
    return ReferenceOptimizer.copy(x);
  }
}
