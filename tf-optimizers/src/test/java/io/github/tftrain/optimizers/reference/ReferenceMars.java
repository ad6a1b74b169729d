package io.github.tftrain.optimizers.reference;

import java.util.function.LongToDoubleFunction;

/**
 * MARS-AdamW (approximate: the previous step's gradient) on every variable, in double precision, with decoupled
 * weight decay and optional global-norm gradient clipping in front (as the base applies it).
 */
public final class ReferenceMars implements ReferenceOptimizer {
  public LongToDoubleFunction lr = step -> 3e-3;
  public double beta1 = 0.95;
  public double beta2 = 0.99;
  public double gamma = 0.025;
  public double eps = 1e-8;
  public double weightDecay = 0;
  /** Global-norm clipping of the gradients before the update (0 = off). */
  public double clipNorm = 0;

  /** How many times, over all steps and variables, ‖c‖ &gt; 1 rescaled c. */
  public int clipped;
  /** How many times, over all steps and variables, c was left as it was. */
  public int notClipped;

  private final double[][] x;
  private final double[][] m;
  private final double[][] v;
  private final double[][] gPrev;
  private long t;

  public ReferenceMars(double[][] x0) {
    this.x = ReferenceOptimizer.copy(x0);
    this.m = ReferenceOptimizer.zerosLike(x0);
    this.v = ReferenceOptimizer.zerosLike(x0);
    this.gPrev = ReferenceOptimizer.zerosLike(x0);
  }

  @Override
  public void step(Objective objective, int step) {
    Objective.Evaluation e = objective.evaluate(x, step);
    double[][] grads = e.gradients;
    if (clipNorm > 0) {
      double total = 0;
      for (double[] g : grads) {
        total += ReferenceOptimizer.squaredNorm(g);
      }
      double factor = clipNorm / Math.max(Math.sqrt(total), clipNorm);
      for (double[] g : grads) {
        for (int j = 0; j < g.length; j++) {
          g[j] *= factor;
        }
      }
    }
    double rate = lr.applyAsDouble(step);
    t++;
    double bc1 = 1 - Math.pow(beta1, t);
    double bc2 = 1 - Math.pow(beta2, t);
    double k = gamma * beta1 / (1 - beta1);
    for (int i = 0; i < x.length; i++) {
      int n = x[i].length;
      double[] c = new double[n];
      for (int j = 0; j < n; j++) {
        c[j] = grads[i][j] + k * (grads[i][j] - gPrev[i][j]);
      }
      double norm = Math.sqrt(ReferenceOptimizer.squaredNorm(c));
      if (norm > 1) {
        clipped++;
        for (int j = 0; j < n; j++) {
          c[j] /= norm;
        }
      } else {
        notClipped++;
      }
      for (int j = 0; j < n; j++) {
        m[i][j] = beta1 * m[i][j] + (1 - beta1) * c[j];
        v[i][j] = beta2 * v[i][j] + (1 - beta2) * c[j] * c[j];
        double update = (m[i][j] / bc1) / (Math.sqrt(v[i][j] / bc2) + eps);
        x[i][j] = x[i][j] * (1 - rate * weightDecay) - rate * update;
        gPrev[i][j] = grads[i][j];
      }
    }
  }

  @Override
  public double[][] currentPoint() {
    return ReferenceOptimizer.copy(x);
  }
}
