package io.github.tftrain.optimizers.reference;

import java.util.function.LongToDoubleFunction;

/**
 * Schedule-Free AdamW in double precision, from the catalogue's equations (k = the 0-based step, t = k + 1):
 * sched = k &lt; warmup ? (k+1)/warmup : 1; lr_k = lr(k)·sched; lr_max = max(lr_max, lr_k);
 * w = (k+1)^r·lr_max^weightLrPower; W += w; c = w/W (0 if W = 0); v = β2 v + (1−β2) g²;
 * ĝ = g/(√(v/(1−β2^t)) + eps) + wd·y; y = (1−c) y + c z; y += lr_k(β1(1−c) − 1) ĝ; z −= lr_k ĝ.
 * The model variables hold y; the evaluation point is x = (y − (1−β1) z)/β1.
 */
public final class ReferenceScheduleFreeAdamW implements ReferenceOptimizer {
  public LongToDoubleFunction lr = step -> 2.5e-3;
  public double beta1 = 0.9;
  public double beta2 = 0.999;
  public double eps = 1e-8;
  public double weightDecay = 0;
  public long warmup = 0;
  public double r = 0;
  public double weightLrPower = 2;

  private final double[][] y;
  private final double[][] z;
  private final double[][] v;
  private double lrMax = -1; // the authors' start; any value <= 0 gives the same max with lr_k >= 0
  private double weightSum = 0;
  private long k;

  public ReferenceScheduleFreeAdamW(double[][] x0) {
    this.y = ReferenceOptimizer.copy(x0);
    this.z = ReferenceOptimizer.copy(x0);
    this.v = ReferenceOptimizer.zerosLike(x0);
  }

  @Override
  public void step(Objective objective, int step) {
    Objective.Evaluation e = objective.evaluate(y, step);
    double sched = k < warmup ? (k + 1.0) / warmup : 1.0;
    double lrK = lr.applyAsDouble(step) * sched;
    lrMax = Math.max(lrMax, lrK);
    double w = Math.pow(k + 1.0, r) * Math.pow(lrMax, weightLrPower);
    weightSum += w;
    double c = weightSum == 0 ? 0 : w / weightSum;
    double bc2 = 1 - Math.pow(beta2, k + 1.0);
    for (int i = 0; i < y.length; i++) {
      for (int j = 0; j < y[i].length; j++) {
        double g = e.gradients[i][j];
        v[i][j] = beta2 * v[i][j] + (1 - beta2) * g * g;
        double gHat = g / (Math.sqrt(v[i][j] / bc2) + eps) + weightDecay * y[i][j];
        y[i][j] = (1 - c) * y[i][j] + c * z[i][j];
        y[i][j] += lrK * (beta1 * (1 - c) - 1) * gHat;
        z[i][j] -= lrK * gHat;
      }
    }
    k++;
  }

  /** y: what the model variables hold. */
  @Override
  public double[][] currentPoint() {
    return ReferenceOptimizer.copy(y);
  }

  /** x = (y − (1 − β1) z) / β1: the point to evaluate. */
  public double[][] evaluationPoint() {
    double[][] x = ReferenceOptimizer.zerosLike(y);
    for (int i = 0; i < y.length; i++) {
      for (int j = 0; j < y[i].length; j++) {
        x[i][j] = (y[i][j] - (1 - beta1) * z[i][j]) / beta1;
      }
    }
    return x;
  }

  /** z, the base sequence. */
  public double[][] z() {
    return ReferenceOptimizer.copy(z);
  }
}
