package io.github.tftrain.optimizers.reference;

import java.util.function.LongToDoubleFunction;

/** AdEMAMix (Pagliardini et al. 2024, Algorithm 1 with the f_α and f_β3 warmups) in double precision. */
public final class ReferenceAdEMAMix implements ReferenceOptimizer {
  public LongToDoubleFunction lr = step -> 1e-3;
  public double beta1 = 0.9;
  public double beta2 = 0.999;
  public double beta3 = 0.9999;
  public double alpha = 5;
  public double eps = 1e-8;
  public double weightDecay = 0;
  /** Tα; 0 = none. */
  public long alphaWarmup = 0;
  /** T of β3; 0 = none. */
  public long beta3Warmup = 0;

  private final double[][] x;
  private final double[][] m1;
  private final double[][] m2;
  private final double[][] nu;
  private long t;

  public ReferenceAdEMAMix(double[][] x0) {
    this.x = ReferenceOptimizer.copy(x0);
    this.m1 = ReferenceOptimizer.zerosLike(x0);
    this.m2 = ReferenceOptimizer.zerosLike(x0);
    this.nu = ReferenceOptimizer.zerosLike(x0);
  }

  /** α(t) = min(t α / Tα, α). */
  public double alphaAt(long t) {
    return alphaWarmup == 0 ? alpha : Math.min(t * alpha / alphaWarmup, alpha);
  }

  /** β3(t) = min(exp(ln β1 ln β3 / ((1 - t/T) ln β3 + (t/T) ln β1)), β3). */
  public double beta3At(long t) {
    if (beta3Warmup == 0) {
      return beta3;
    }
    double a = (double) t / beta3Warmup;
    double lnStart = Math.log(beta1);
    double lnEnd = Math.log(beta3);
    return Math.min(Math.exp(lnStart * lnEnd / ((1 - a) * lnEnd + a * lnStart)), beta3);
  }

  @Override
  public void step(Objective objective, int step) {
    Objective.Evaluation e = objective.evaluate(x, step);
    double rate = lr.applyAsDouble(step);
    t++;
    double bc1 = 1 - Math.pow(beta1, t);
    double bc2 = 1 - Math.pow(beta2, t);
    double a = alphaAt(t);
    double b3 = beta3At(t);
    for (int i = 0; i < x.length; i++) {
      for (int j = 0; j < x[i].length; j++) {
        double g = e.gradients[i][j];
        m1[i][j] = beta1 * m1[i][j] + (1 - beta1) * g;
        m2[i][j] = b3 * m2[i][j] + (1 - b3) * g;
        nu[i][j] = beta2 * nu[i][j] + (1 - beta2) * g * g;
        double u = (m1[i][j] / bc1 + a * m2[i][j]) / (Math.sqrt(nu[i][j] / bc2) + eps);
        x[i][j] -= rate * (u + weightDecay * x[i][j]);
      }
    }
  }

  @Override
  public double[][] currentPoint() {
    return ReferenceOptimizer.copy(x);
  }
}
