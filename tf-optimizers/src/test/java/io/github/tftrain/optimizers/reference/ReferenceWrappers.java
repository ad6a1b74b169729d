package io.github.tftrain.optimizers.reference;

/**
 * Lookahead and the EMA of the weights around any reference optimizer, in plain Java double precision, written from
 * the definitions: slow and average start as the initial weights; after update t (1-based), if k divides t:
 * slow ← slow + α(fast − slow), fast ← slow; then average ← d·average + (1 − d)·x.
 */
public final class ReferenceWrappers implements ReferenceOptimizer {
  private final ReferenceOptimizer inner;
  private final long lookaheadSteps;
  private final double lookaheadAlpha;
  private final double emaDecay;
  private final double[][] slow;
  private final double[][] average;
  private long t;

  public ReferenceWrappers(
      ReferenceOptimizer inner, double[][] x0, long lookaheadSteps, double lookaheadAlpha, double emaDecay) {
    this.inner = inner;
    this.lookaheadSteps = lookaheadSteps;
    this.lookaheadAlpha = lookaheadAlpha;
    this.emaDecay = emaDecay;
    this.slow = ReferenceOptimizer.copy(x0);
    this.average = ReferenceOptimizer.copy(x0);
  }

  @Override
  public void step(Objective objective, int step) {
    inner.step(objective, step);
    t++;
    if (lookaheadSteps > 0 && t % lookaheadSteps == 0) {
      double[][] fast = inner.currentPoint();
      for (int i = 0; i < slow.length; i++) {
        for (int j = 0; j < slow[i].length; j++) {
          slow[i][j] += lookaheadAlpha * (fast[i][j] - slow[i][j]);
        }
      }
      inner.setPoint(slow);
    }
    if (emaDecay > 0) {
      double[][] x = inner.currentPoint();
      for (int i = 0; i < average.length; i++) {
        for (int j = 0; j < average[i].length; j++) {
          average[i][j] = emaDecay * average[i][j] + (1 - emaDecay) * x[i][j];
        }
      }
    }
  }

  @Override
  public double[][] currentPoint() {
    return inner.currentPoint();
  }

  /** The weights to evaluate: the average with an EMA, else the slow weights with Lookahead, else the point. */
  public double[][] evaluationPoint() {
    if (emaDecay > 0) {
      return ReferenceOptimizer.copy(average);
    }
    if (lookaheadSteps > 0) {
      return ReferenceOptimizer.copy(slow);
    }
    return currentPoint();
  }
}
