package io.github.tftrain.optimizers.reference;

import java.util.function.LongToDoubleFunction;

/**
 * Muon in double precision, from the catalogue's equations. Variables of rank >= 2 (row-major, viewed as the matrix
 * [product of all dimensions but the last, last dimension] = [fan_in, fan_out]): b = μ b + g;
 * u = nesterov ? g + μ b : b; O = NewtonSchulz5(u); x = x(1 − lr wd) − lr sqrt(max(1, fan_out/fan_in)) O.
 * Others: torch.optim.AdamW at the rate adamwLr·lr(t)/lr(0) with decay adamwLr(t)·wd.
 */
public final class ReferenceMuon implements ReferenceOptimizer {
  public LongToDoubleFunction lr = step -> 0.02;
  public double momentum = 0.95;
  public boolean nesterov = true;
  public int nsSteps = 5;
  public double weightDecay = 0;
  public double adamwLr = 3e-4;
  public double adamwBeta1 = 0.9;
  public double adamwBeta2 = 0.95;
  public double adamwEps = 1e-10;

  private final int[][] shapes;
  private final double[][] x;
  private final double[][] buffer;
  private final double[][] m;
  private final double[][] v;
  private long t;

  /**
   * @param x0 the initial values, row-major
   * @param shapes each variable's shape ({} for a scalar)
   */
  public ReferenceMuon(double[][] x0, int[][] shapes) {
    this.shapes = shapes;
    this.x = ReferenceOptimizer.copy(x0);
    this.buffer = ReferenceOptimizer.zerosLike(x0);
    this.m = ReferenceOptimizer.zerosLike(x0);
    this.v = ReferenceOptimizer.zerosLike(x0);
  }

  @Override
  public void step(Objective objective, int step) {
    Objective.Evaluation e = objective.evaluate(x, step);
    double rate = lr.applyAsDouble(step);
    double rate0 = lr.applyAsDouble(0);
    double adamwRate = rate0 == 0 ? 0 : adamwLr * rate / rate0;
    t++;
    for (int i = 0; i < x.length; i++) {
      double[] g = e.gradients[i];
      if (shapes[i].length >= 2) {
        int cols = shapes[i][shapes[i].length - 1];
        int rows = x[i].length / cols;
        double[][] u = new double[rows][cols];
        for (int r = 0; r < rows; r++) {
          for (int c = 0; c < cols; c++) {
            int k = r * cols + c;
            buffer[i][k] = momentum * buffer[i][k] + g[k];
            u[r][c] = nesterov ? g[k] + momentum * buffer[i][k] : buffer[i][k];
          }
        }
        double[][] o = newtonSchulz5(u, nsSteps);
        double scale = Math.sqrt(Math.max(1.0, (double) cols / rows));
        for (int r = 0; r < rows; r++) {
          for (int c = 0; c < cols; c++) {
            int k = r * cols + c;
            x[i][k] = x[i][k] * (1 - rate * weightDecay) - rate * scale * o[r][c];
          }
        }
      } else {
        double c1 = 1 - Math.pow(adamwBeta1, t);
        double c2 = 1 - Math.pow(adamwBeta2, t);
        for (int k = 0; k < x[i].length; k++) {
          m[i][k] = adamwBeta1 * m[i][k] + (1 - adamwBeta1) * g[k];
          v[i][k] = adamwBeta2 * v[i][k] + (1 - adamwBeta2) * g[k] * g[k];
          x[i][k] *= 1 - adamwRate * weightDecay;
          x[i][k] -= adamwRate * (m[i][k] / c1) / (Math.sqrt(v[i][k] / c2) + adamwEps);
        }
      }
    }
  }

  @Override
  public double[][] currentPoint() {
    return ReferenceOptimizer.copy(x);
  }

  /**
   * The quintic Newton-Schulz iteration: X = G/(‖G‖_F + 1e-7) on the orientation with fewer rows,
   * X ← aX + (bA + cA²)X with A = XXᵀ, (a, b, c) = (3.4445, −4.7750, 2.0315); transposed back.
   */
  public static double[][] newtonSchulz5(double[][] g, int steps) {
    boolean transpose = g.length > g[0].length;
    double[][] x = transpose ? transpose(g) : copy(g);
    double norm = 0;
    for (double[] row : x) {
      for (double value : row) {
        norm += value * value;
      }
    }
    norm = Math.sqrt(norm) + 1e-7;
    for (double[] row : x) {
      for (int c = 0; c < row.length; c++) {
        row[c] /= norm;
      }
    }
    for (int s = 0; s < steps; s++) {
      double[][] a = multiply(x, transpose(x));
      double[][] aa = multiply(a, a);
      double[][] poly = new double[a.length][a.length];
      for (int r = 0; r < a.length; r++) {
        for (int c = 0; c < a.length; c++) {
          poly[r][c] = -4.7750 * a[r][c] + 2.0315 * aa[r][c];
        }
      }
      double[][] px = multiply(poly, x);
      for (int r = 0; r < x.length; r++) {
        for (int c = 0; c < x[r].length; c++) {
          x[r][c] = 3.4445 * x[r][c] + px[r][c];
        }
      }
    }
    return transpose ? transpose(x) : x;
  }

  private static double[][] multiply(double[][] p, double[][] q) {
    double[][] out = new double[p.length][q[0].length];
    for (int r = 0; r < p.length; r++) {
      for (int c = 0; c < q[0].length; c++) {
        double s = 0;
        for (int k = 0; k < q.length; k++) {
          s += p[r][k] * q[k][c];
        }
        out[r][c] = s;
      }
    }
    return out;
  }

  private static double[][] transpose(double[][] p) {
    double[][] out = new double[p[0].length][p.length];
    for (int r = 0; r < p.length; r++) {
      for (int c = 0; c < p[0].length; c++) {
        out[c][r] = p[r][c];
      }
    }
    return out;
  }

  private static double[][] copy(double[][] p) {
    double[][] out = new double[p.length][];
    for (int r = 0; r < p.length; r++) {
      out[r] = p[r].clone();
    }
    return out;
  }
}
