package io.github.tftrain.optimizers.reference;

import java.util.function.LongToDoubleFunction;

/**
 * KaFiStO written as the paper's loop (predict, measure at the predicted point, update), step by step in double
 * precision. Between steps it keeps the posterior (x, v, P); {@link #currentPoint()} is the next predicted x̂.
 */
public final class ReferenceKafisto implements ReferenceOptimizer {
  // Hyperparameters, public for terse test setup.
  public boolean dynamics = true;
  public LongToDoubleFunction lr = step -> 1.0;
  public double alpha = 0.9;
  public double sigmaX = 0.1;
  public double sigmaP = 0.1;
  public double sigmaC = 0.0;
  public double q = 0.01;
  public double qP = 0.01;
  public boolean adaptiveQ = true;
  /** qEstimate=authors: qX = 0.9 qX + 0.1 √(Σ‖x − x_avg‖²) / n (koala.py) instead of eq 25's Σ‖x − x_avg‖² / n. */
  public boolean authorsQ = false;
  public double betaX = 0.9;
  public Double fixedR = null;
  public double betaR = 0.9;
  public double rInit = 1.0;
  public double lossTarget = 0.0;
  public Double lossOffset = null;
  public boolean layerwise = true;
  public double weightDecay = 0.0;

  private double[][] x;
  private double[][] v;
  private double[][] xAverage;
  private double pxx;
  private double pxv;
  private double pvv;
  private double r;
  private double qX;
  private int k;

  // What the last step did, for comparing diagnostics.
  public double lastSigmaX2;
  public double lastR;
  public double lastQxUsed;
  public double lastEffectiveStep;

  public ReferenceKafisto(double[][] x0) {
    this.x = ReferenceOptimizer.copy(x0);
  }

  /** Call after setting hyperparameters. */
  public ReferenceKafisto start() {
    v = ReferenceOptimizer.zerosLike(x);
    xAverage = ReferenceOptimizer.zerosLike(x);
    if (dynamics) {
      pxx = sigmaX;
      pxv = sigmaC;
      pvv = sigmaP;
    } else {
      pxx = sigmaX;
    }
    r = rInit;
    qX = q;
    k = 0;
    return this;
  }

  @Override
  public void step(Objective objective, int step) {
    k++;
    int layers = x.length;
    // ---- Predict
    double[][] xHat = new double[layers][];
    double[][] vHat = new double[layers][];
    double hxx;
    double hxv = 0;
    double hvv = 0;
    if (dynamics) {
      if (adaptiveQ && k > 1) {
        // eqs 24-25, from the posterior x of the previous step
        double sum = 0;
        long n = 0;
        for (int i = 0; i < layers; i++) {
          for (int j = 0; j < x[i].length; j++) {
            xAverage[i][j] = betaX * xAverage[i][j] + (1 - betaX) * x[i][j];
            double dev = x[i][j] - xAverage[i][j];
            sum += dev * dev;
            n++;
          }
        }
        qX = authorsQ ? 0.9 * qX + 0.1 * Math.sqrt(sum) / n : sum / n;
      }
      for (int i = 0; i < layers; i++) {
        xHat[i] = new double[x[i].length];
        vHat[i] = new double[x[i].length];
        for (int j = 0; j < x[i].length; j++) {
          xHat[i][j] = x[i][j] + v[i][j];
          vHat[i][j] = alpha * v[i][j];
        }
      }
      // P̂ = F P Fᵀ + Q, F = [[1,1],[0,α]]: written out entry by entry
      double fp00 = pxx + pxv;
      double fp01 = pxv + pvv;
      double fp11 = alpha * pvv;
      hxx = fp00 + fp01 + qX; // (FP)[0,:]·[1,1]
      hxv = fp01 * alpha; // (FP)[0,:]·[0,α]
      hvv = fp11 * alpha + qP; // (FP)[1,:]·[0,α]
    } else {
      for (int i = 0; i < layers; i++) {
        xHat[i] = x[i].clone();
      }
      hxx = pxx + q;
    }
    lastQxUsed = dynamics ? qX : q;

    // ---- Measure at the predicted point
    Objective.Evaluation e = objective.evaluate(xHat, step);
    double loss = e.mean();
    r = fixedR != null ? fixedR : betaR * r + (1 - betaR) * e.secondMoment();
    double target = lossOffset != null ? loss - lossOffset : lossTarget;
    double rate = lr.applyAsDouble(step);

    // ---- Per-layer (or whole-model) terms
    double[][] dir = new double[layers][];
    double[] gg = new double[layers];
    double[] raw = new double[layers];
    double[] decay = new double[layers];
    for (int i = 0; i < layers; i++) {
      dir[i] = new double[x[i].length];
      for (int j = 0; j < x[i].length; j++) {
        dir[i][j] = e.gradients[i][j] + weightDecay * xHat[i][j];
      }
      gg[i] = ReferenceOptimizer.squaredNorm(dir[i]);
      raw[i] = ReferenceOptimizer.squaredNorm(e.gradients[i]);
      decay[i] = 0.5 * weightDecay * ReferenceOptimizer.squaredNorm(xHat[i]);
    }
    double[] gain = new double[layers];
    double h = 0;
    if (layerwise) {
      for (int i = 0; i < layers; i++) {
        if (Math.sqrt(raw[i]) < 1e-9) {
          continue;
        }
        double s = hxx * gg[i] + r;
        gain[i] = rate * (loss + decay[i] - target) / s;
        h = Math.max(h, gg[i] / s);
      }
    } else {
      double all = 0;
      double allRaw = 0;
      double allDecay = 0;
      for (int i = 0; i < layers; i++) {
        all += gg[i];
        allRaw += raw[i];
        allDecay += decay[i];
      }
      if (Math.sqrt(allRaw) >= 1e-9) {
        double s = hxx * all + r;
        for (int i = 0; i < layers; i++) {
          gain[i] = rate * (loss + allDecay - target) / s;
        }
        h = all / s;
      }
    }
    // ---- Update (eq 13) and covariance (eq 26 / Table 1)
    for (int i = 0; i < layers; i++) {
      for (int j = 0; j < x[i].length; j++) {
        x[i][j] = xHat[i][j] - gain[i] * hxx * dir[i][j];
        if (dynamics) {
          v[i][j] = vHat[i][j] - gain[i] * hxv * dir[i][j];
        }
      }
    }
    if (dynamics) {
      pxx = hxx - h * hxx * hxx;
      pxv = hxv - h * hxx * hxv;
      pvv = hvv - h * hxv * hxv;
    } else {
      pxx = hxx - h * hxx * hxx;
    }
    // Diagnostics
    double all = 0;
    double allDecay = 0;
    for (int i = 0; i < layers; i++) {
      all += gg[i];
      allDecay += decay[i];
    }
    lastSigmaX2 = pxx;
    lastR = r;
    lastEffectiveStep = rate * hxx * (loss + allDecay - target) / (hxx * all + r);
  }

  @Override
  public double[][] currentPoint() {
    if (!dynamics) {
      return ReferenceOptimizer.copy(x);
    }
    double[][] next = new double[x.length][];
    for (int i = 0; i < x.length; i++) {
      next[i] = new double[x[i].length];
      for (int j = 0; j < x[i].length; j++) {
        next[i][j] = x[i][j] + v[i][j];
      }
    }
    return next;
  }
}
