package io.github.tftrain.optimizers.reference;

import java.util.function.LongToDoubleFunction;

/** Apollo as in the authors' optim/apollo.py, element by element in double precision. */
public final class ReferenceApollo implements ReferenceOptimizer {
  public LongToDoubleFunction lr = step -> 0.01;
  public double baseLr = 0.01;
  public double beta = 0.9;
  public double eps = 1e-4;
  public boolean belief = false;
  public double sigma = 0.01;
  public long warmup = 500;
  public double initLr = 0.01 / 1000;
  public double weightDecay = 0;
  /** "l2", "decoupled" or "stable". */
  public String weightDecayType = "l2";

  private final double[][] x;
  private double[][] m;
  private double[][] b;
  private double[][] d;
  private long t;

  public ReferenceApollo(double[][] x0) {
    this.x = ReferenceOptimizer.copy(x0);
    this.m = ReferenceOptimizer.zerosLike(x0);
    this.b = ReferenceOptimizer.zerosLike(x0);
    this.d = ReferenceOptimizer.zerosLike(x0);
  }

  @Override
  public void step(Objective objective, int step) {
    Objective.Evaluation e = objective.evaluate(x, step);
    double curLr = t < warmup ? (baseLr - initLr) * t / warmup + initLr : lr.applyAsDouble(t);
    t++;
    double bias = 1 - Math.pow(beta, t);
    double alpha = (1 - beta) / bias;
    for (int i = 0; i < x.length; i++) {
      int n = x[i].length;
      double[] grad = e.gradients[i].clone();
      if (weightDecay != 0 && weightDecayType.equals("l2")) {
        for (int j = 0; j < n; j++) {
          grad[j] += weightDecay * x[i][j];
        }
      }
      double[] deltaGrad = new double[n];
      double rebound;
      double epsilon;
      for (int j = 0; j < n; j++) {
        deltaGrad[j] = grad[j] - m[i][j];
      }
      if (belief) {
        rebound = 0;
        for (double g : deltaGrad) {
          rebound = Math.max(rebound, Math.abs(g));
        }
        epsilon = eps;
      } else {
        rebound = sigma;
        epsilon = eps / sigma;
      }
      for (int j = 0; j < n; j++) {
        m[i][j] += alpha * deltaGrad[j];
      }
      double norm4 = 0;
      for (double dj : d[i]) {
        norm4 += dj * dj * dj * dj;
      }
      double denom = Math.pow(norm4, 0.25) + epsilon;
      double[] vSq = new double[n];
      double projection = 0;
      double curvature = 0;
      for (int j = 0; j < n; j++) {
        d[i][j] /= denom;
        vSq[j] = d[i][j] * d[i][j];
        projection += deltaGrad[j] / denom * d[i][j];
        curvature += b[i][j] * vSq[j];
      }
      double delta = -alpha * projection - curvature;
      double[] bigD = new double[n];
      double meanD = 0;
      for (int j = 0; j < n; j++) {
        b[i][j] += delta * vSq[j];
        bigD[j] = belief ? Math.max(Math.abs(b[i][j]), rebound) + epsilon / alpha : Math.max(Math.abs(b[i][j]), rebound);
        meanD += bigD[j] / n;
      }
      for (int j = 0; j < n; j++) {
        d[i][j] = m[i][j] / bigD[j];
        if (weightDecay != 0 && weightDecayType.equals("decoupled")) {
          d[i][j] += weightDecay * x[i][j];
        } else if (weightDecay != 0 && weightDecayType.equals("stable")) {
          d[i][j] += weightDecay / meanD * x[i][j];
        }
        x[i][j] -= curLr * d[i][j];
      }
    }
  }

  @Override
  public double[][] currentPoint() {
    return ReferenceOptimizer.copy(x);
  }
}
