package io.github.tftrain.cli.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * {@link FrechetDistance} against closed forms (1-D, diagonal and commuting covariances, where
 * Tr((Σ1Σ2)^{1/2}) = Σ √(a_i b_i)), against a plain-Java double implementation for a general non-commuting pair
 * (Jacobi eigenvalues, itself cross-checked by a Denman–Beavers matrix square root of the non-symmetric product
 * Σ1Σ2), on samples of two known Gaussians, and numpy.cov's covariance on a hand example.
 */
class FrechetDistanceTest {

  // -----------------------------------------------------------------------------------------------------------
  // Closed forms

  /** 1-D: d² = (μ1 − μ2)² + (σ1 − σ2)². */
  @Test
  void oneDimensional() {
    // (1.5 - (-0.5))² + (2 - 0.5)² = 4 + 2.25
    assertEquals(6.25, FrechetDistance.of(new double[] {1.5}, new double[][] {{4}}, new double[] {-0.5},
        new double[][] {{0.25}}), 1e-12);
    // from features: {1, 2, 3, 4} has mean 2.5 and variance (2.25 + 0.25 + 0.25 + 2.25) / 3 = 5/3;
    // {0, 2} has mean 1 and variance (1 + 1) / 1 = 2
    double expected = 1.5 * 1.5 + Math.pow(Math.sqrt(5.0 / 3) - Math.sqrt(2), 2);
    assertEquals(expected, FrechetDistance.between(column(1, 2, 3, 4), column(0, 2)), 1e-12);
  }

  /** Diagonal covariances: d² = ‖Δμ‖² + Σ(√a_i − √b_i)². */
  @Test
  void diagonalCovariances() {
    double[] mean1 = {0, 1, 2};
    double[] mean2 = {1, 1, 0};
    // ‖Δμ‖² = 1 + 0 + 4 = 5; Σ(√a − √b)² = (1 − 2)² + (2 − 1)² + (3 − 4)² = 3
    assertEquals(8, FrechetDistance.of(mean1, diagonal(1, 4, 9), mean2, diagonal(4, 1, 16)), 1e-12);
    // a zero variance: (√0 − √4)² = 4, plus (√2 − √2)² = 0
    assertEquals(4, FrechetDistance.of(new double[] {0, 0}, diagonal(0, 2), new double[] {0, 0}, diagonal(4, 2)),
        1e-12);
  }

  /**
   * Commuting covariances R diag(a) Rᵀ and R diag(b) Rᵀ with a random rotation R share eigenvectors, so
   * (Σ1Σ2)^{1/2} = R diag(√(a b)) Rᵀ and d² = ‖Δμ‖² + Σ(√a_i − √b_i)².
   */
  @Test
  void commutingCovariances() {
    Random random = new Random(7);
    int d = 5;
    for (int trial = 0; trial < 3; trial++) {
      double[][] r = randomRotation(random, d);
      double[] a = new double[d];
      double[] b = new double[d];
      double[] mean1 = new double[d];
      double[] mean2 = new double[d];
      double expected = 0;
      for (int i = 0; i < d; i++) {
        a[i] = 0.1 + 3 * random.nextDouble();
        b[i] = 0.1 + 3 * random.nextDouble();
        mean1[i] = random.nextGaussian();
        mean2[i] = random.nextGaussian();
        expected += square(mean1[i] - mean2[i]) + square(Math.sqrt(a[i]) - Math.sqrt(b[i]));
      }
      double[][] cov1 = symmetric(multiply(multiply(r, diagonal(a)), transpose(r)));
      double[][] cov2 = symmetric(multiply(multiply(r, diagonal(b)), transpose(r)));
      assertEquals(expected, FrechetDistance.of(mean1, cov1, mean2, cov2), 1e-10 * Math.max(1, expected));
    }
  }

  // -----------------------------------------------------------------------------------------------------------
  // General pairs against the plain-Java reference

  /** Non-commuting random covariances (G Gᵀ + 0.1 I) of dimension 6: TF against the plain-Java reference. */
  @Test
  void generalPairMatchesReference() {
    Random random = new Random(11);
    for (int d : new int[] {2, 6}) {
      double[][] cov1 = randomCovariance(random, d);
      double[][] cov2 = randomCovariance(random, d);
      double[] mean1 = gaussians(random, d);
      double[] mean2 = gaussians(random, d);
      double jacobi = traceSqrtProductJacobi(cov1, cov2);
      double denmanBeavers = trace(sqrtDenmanBeavers(multiply(cov1, cov2)));
      assertEquals(jacobi, denmanBeavers, 1e-10 * jacobi, "the two references agree");
      double commutingGuess = 0; // what the commuting formula would give: not the answer for this pair
      double[] e1 = jacobiEigen(cov1).values;
      double[] e2 = jacobiEigen(cov2).values;
      java.util.Arrays.sort(e1);
      java.util.Arrays.sort(e2);
      for (int i = 0; i < d; i++) {
        commutingGuess += Math.sqrt(e1[i] * e2[i]);
      }
      assertTrue(Math.abs(commutingGuess - jacobi) > 1e-3, "the pair does not commute (d = " + d + ")");

      double expected = referenceDistance(mean1, cov1, mean2, cov2);
      double actual = FrechetDistance.of(mean1, cov1, mean2, cov2);
      assertEquals(expected, actual, 1e-10 * expected, "d = " + d);
      // symmetric in its arguments
      assertEquals(expected, FrechetDistance.of(mean2, cov2, mean1, cov1), 1e-10 * expected, "d = " + d);
    }
  }

  /** A hand-checkable non-commuting 2-D pair: Σ1 = diag(4, 1) with Σ2 = [[2, 1], [1, 2]]. */
  @Test
  void smallNonCommutingPair() {
    // S = Σ1^{1/2} = diag(2, 1); S Σ2 S = [[8, 2], [2, 2]], eigenvalues 5 ± √13; Tr sqrt = √(5 + √13) + √(5 − √13)
    // and (√(5 + √13) + √(5 − √13))² = 10 + 2√(25 − 13) = 10 + 2√12, so Tr sqrt = √(10 + 4√3)
    double traceRoot = Math.sqrt(10 + 4 * Math.sqrt(3));
    double expected = 4 + 1 + 2 + 2 - 2 * traceRoot;
    double[][] cov2 = {{2, 1}, {1, 2}};
    assertEquals(expected, FrechetDistance.of(new double[] {0, 0}, diagonal(4, 1), new double[] {0, 0}, cov2),
        1e-12);
    assertEquals(traceRoot, traceSqrtProductJacobi(diagonal(4, 1), cov2), 1e-12, "the reference itself");
  }

  /** Identical feature sets and identical statistics give 0 (up to rounding, returned as exactly 0 if negative). */
  @Test
  void identicalSetsGiveZero() {
    Random random = new Random(3);
    double[][] features = new double[50][4];
    for (double[] row : features) {
      for (int j = 0; j < row.length; j++) {
        row[j] = 10 * random.nextGaussian() + j;
      }
    }
    double d2 = FrechetDistance.between(features, features);
    assertTrue(d2 >= 0 && d2 < 1e-9, "d² = " + d2);
    double[][] cov = randomCovariance(random, 7);
    double[] mean = gaussians(random, 7);
    double same = FrechetDistance.of(mean, cov, mean, cov);
    assertTrue(same >= 0 && same < 1e-10, "d² = " + same);
  }

  /**
   * 20,000 samples each of N(μ1, Σ1) and N(μ2, Σ2) in 3-D, commuting covariances (eigenvalues 1, 2, 3 and 0.5, 2,
   * 1.5) with the closed form ‖Δμ‖² + Σ(√a − √b)² = 1.3125 + 0.3431 = 1.6556. The fitted distance equals the
   * plain-Java reference on the samples' own statistics to rounding, and the closed form within 0.12. The sampling
   * error is dominated by the mean term, 2 Δμᵀ(μ̂ − μ) with standard deviation 2 √(Δμᵀ(Σ1 + Σ2)Δμ / n) ≈ 0.03; over
   * the 20 seeds 2024..2043 the errors had a standard deviation of 0.027 and a largest magnitude of 0.071, and this
   * seed's is +0.021, so 0.12 is about 4.4 standard deviations.
   */
  @Test
  void samplesOfKnownGaussians() {
    Random random = new Random(2024);
    double[][] r = randomRotation(random, 3);
    double[] a = {1, 2, 3};
    double[] b = {0.5, 2, 1.5};
    double[] mean1 = {0, 0, 0};
    double[] mean2 = {1, -0.5, 0.25};
    double[][] cov1 = symmetric(multiply(multiply(r, diagonal(a)), transpose(r)));
    double[][] cov2 = symmetric(multiply(multiply(r, diagonal(b)), transpose(r)));
    double closedForm = 1 + 0.25 + 0.0625;
    for (int i = 0; i < 3; i++) {
      closedForm += square(Math.sqrt(a[i]) - Math.sqrt(b[i]));
    }
    assertEquals(1.6556, closedForm, 1e-4);
    double[][] x = sample(random, mean1, cov1, 20_000);
    double[][] y = sample(random, mean2, cov2, 20_000);

    double fitted = FrechetDistance.between(x, y);
    double reference =
        referenceDistance(referenceMean(x), referenceCovariance(x), referenceMean(y), referenceCovariance(y));
    assertEquals(reference, fitted, 1e-10 * reference, "the samples' own statistics");
    assertEquals(closedForm, fitted, 0.12,
        String.format(Locale.ROOT, "closed form %.5f, fitted %.5f, error %.5f", closedForm, fitted,
            fitted - closedForm));
  }

  // -----------------------------------------------------------------------------------------------------------
  // Statistics

  /**
   * numpy.cov on a hand example: columns x = (1, 3, 4, 0), y = (2, 5, 4, 1), z = 7. Means 2, 3, 7; deviations
   * x (−1, 1, 2, −2), y (−1, 2, 1, −2), z 0; sums of products xx 10, yy 10, xy 1 + 2 + 2 + 4 = 9, over n − 1 = 3.
   */
  @Test
  void statisticsMatchNumpyCov() {
    double[][] features = {{1, 2, 7}, {3, 5, 7}, {4, 4, 7}, {0, 1, 7}};
    FrechetDistance.Statistics stats = FrechetDistance.statistics(features);
    assertArrayEquals(new double[] {2, 3, 7}, stats.mean(), 1e-12);
    double[][] expected = {{10.0 / 3, 3, 0}, {3, 10.0 / 3, 0}, {0, 0, 0}};
    for (int i = 0; i < 3; i++) {
      assertArrayEquals(expected[i], stats.covariance()[i], 1e-12, "row " + i);
    }
    assertEquals(3, stats.dimension());
    // the record copies: changing what it returned changes nothing
    stats.covariance()[0][0] = 99;
    stats.mean()[0] = 99;
    assertEquals(10.0 / 3, stats.covariance()[0][0], 1e-12);
    assertEquals(2, stats.mean()[0], 1e-12);
    // the distance from statistics equals the one from features
    double[][] other = {{0, 1, 2}, {2, 2, 2}, {1, 0, 3}};
    assertEquals(FrechetDistance.between(features, other),
        FrechetDistance.of(stats, FrechetDistance.statistics(other)), 1e-10);
  }

  /** Statistics of random data against the plain-Java two-pass mean and covariance. */
  @Test
  void statisticsMatchReferenceOnRandomData() {
    Random random = new Random(5);
    double[][] features = new double[200][5];
    for (double[] row : features) {
      for (int j = 0; j < row.length; j++) {
        row[j] = 3 * random.nextGaussian() + 100 * j;
      }
    }
    FrechetDistance.Statistics stats = FrechetDistance.statistics(features);
    assertArrayEquals(referenceMean(features), stats.mean(), 1e-10);
    double[][] cov = referenceCovariance(features);
    for (int i = 0; i < 5; i++) {
      assertArrayEquals(cov[i], stats.covariance()[i], 1e-10, "row " + i);
    }
  }

  // -----------------------------------------------------------------------------------------------------------
  // Bad input

  @Test
  void rejectsBadFeatures() {
    double[][] good = {{1, 2}, {3, 4}, {5, 7}};
    rejects("featuresA needs at least 2 samples (rows) for a covariance, got 1",
        () -> FrechetDistance.between(new double[][] {{1, 2}}, good));
    rejects("featuresB needs at least 2 samples (rows) for a covariance, got 0",
        () -> FrechetDistance.between(good, new double[0][]));
    rejects("featuresA must not be null", () -> FrechetDistance.between(null, good));
    rejects("featuresB row 1 has 3 features, row 0 has 2",
        () -> FrechetDistance.between(good, new double[][] {{1, 2}, {3, 4, 5}}));
    rejects("featuresA row 0 has no features", () -> FrechetDistance.between(new double[][] {{}, {}}, good));
    rejects("featuresA and featuresB must have the same number of features per row, got 2 and 3",
        () -> FrechetDistance.between(good, new double[][] {{1, 2, 3}, {4, 5, 6}}));
    rejects("featuresA[1][0] is not finite: NaN",
        () -> FrechetDistance.between(new double[][] {{1, 2}, {Double.NaN, 4}}, good));
    rejects("featuresB[2][1] is not finite: Infinity",
        () -> FrechetDistance.between(good, new double[][] {{1, 2}, {3, 4}, {5, Double.POSITIVE_INFINITY}}));
    rejects("features needs at least 2 samples (rows) for a covariance, got 1",
        () -> FrechetDistance.statistics(new double[][] {{1}}));
  }

  @Test
  void rejectsBadStatistics() {
    double[] m2 = {0, 0};
    double[][] c2 = {{1, 0}, {0, 1}};
    rejects("mean1 and mean2 must have the same length, got 3 and 2",
        () -> FrechetDistance.of(new double[3], diagonal(1, 1, 1), m2, c2));
    rejects("cov1 must be 2 x 2 (the mean's length), got 3 rows",
        () -> FrechetDistance.of(m2, diagonal(1, 1, 1), m2, c2));
    rejects("cov2 must be 2 x 2, row 1 has 1 columns",
        () -> FrechetDistance.of(m2, c2, m2, new double[][] {{1, 0}, {0}}));
    rejects("cov2 must be symmetric: [0][1] = 0.5 but [1][0] = 0.4",
        () -> FrechetDistance.of(m2, c2, m2, new double[][] {{1, 0.5}, {0.4, 1}}));
    rejects("cov1[1][0] is not finite: NaN",
        () -> FrechetDistance.of(m2, new double[][] {{1, 0}, {Double.NaN, 1}}, m2, c2));
    rejects("mean2[1] is not finite: -Infinity",
        () -> FrechetDistance.of(m2, c2, new double[] {0, Double.NEGATIVE_INFINITY}, c2));
    rejects("mean1 must have at least one feature",
        () -> FrechetDistance.of(new double[0], new double[0][], new double[0], new double[0][]));
    rejects("means and covariances must not be null", () -> FrechetDistance.of(m2, null, m2, c2));
    rejects("covariance must be 2 x 2 (the mean's length), got 1 rows",
        () -> new FrechetDistance.Statistics(m2, new double[][] {{1, 0}}));
    // asymmetry within the relative tolerance (rounding in a computed covariance) is accepted
    double tiny = 1e-12;
    assertEquals(0, FrechetDistance.of(m2, c2, m2, new double[][] {{1, tiny}, {0, 1}}), 1e-10);
  }

  private static void rejects(String message, Executable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertEquals(message, e.getMessage());
  }

  // -----------------------------------------------------------------------------------------------------------
  // Plain-Java reference

  /** d² = ‖Δμ‖² + Tr Σ1 + Tr Σ2 − 2 Tr((Σ1Σ2)^{1/2}), the last term by Jacobi eigenvalues. */
  static double referenceDistance(double[] mean1, double[][] cov1, double[] mean2, double[][] cov2) {
    double d2 = 0;
    for (int i = 0; i < mean1.length; i++) {
      d2 += square(mean1[i] - mean2[i]);
    }
    return d2 + trace(cov1) + trace(cov2) - 2 * traceSqrtProductJacobi(cov1, cov2);
  }

  /** Tr((Σ1Σ2)^{1/2}) = Σ √μ over the eigenvalues μ of S Σ2 S, S = V diag(√λ) Vᵀ from Σ1 = V diag(λ) Vᵀ. */
  static double traceSqrtProductJacobi(double[][] cov1, double[][] cov2) {
    Eigen e = jacobiEigen(cov1);
    int d = cov1.length;
    double[][] s = new double[d][d];
    for (int i = 0; i < d; i++) {
      for (int j = 0; j < d; j++) {
        double sum = 0;
        for (int k = 0; k < d; k++) {
          sum += e.vectors[i][k] * Math.sqrt(Math.max(e.values[k], 0)) * e.vectors[j][k];
        }
        s[i][j] = sum;
      }
    }
    double[] mu = jacobiEigen(symmetric(multiply(multiply(s, cov2), s))).values;
    double total = 0;
    for (double m : mu) {
      total += Math.sqrt(Math.max(m, 0));
    }
    return total;
  }

  /** Eigenvalues and eigenvectors (columns) of a symmetric matrix. */
  record Eigen(double[] values, double[][] vectors) {}

  /** Cyclic Jacobi rotations until the off-diagonal part vanishes. */
  static Eigen jacobiEigen(double[][] symmetricMatrix) {
    int n = symmetricMatrix.length;
    double[][] a = new double[n][];
    for (int i = 0; i < n; i++) {
      a[i] = symmetricMatrix[i].clone();
    }
    double[][] v = identity(n);
    for (int sweep = 0; sweep < 100; sweep++) {
      double off = 0;
      double scale = 0;
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          if (i != j) {
            off += a[i][j] * a[i][j];
          }
          scale += a[i][j] * a[i][j];
        }
      }
      if (off <= 1e-30 * scale) {
        break;
      }
      for (int p = 0; p < n - 1; p++) {
        for (int q = p + 1; q < n; q++) {
          if (a[p][q] == 0) {
            continue;
          }
          // the rotation in the (p, q) plane that zeroes a[p][q]: tan 2θ = 2 a_pq / (a_qq − a_pp)
          double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
          double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
          if (theta == 0) {
            t = 1;
          }
          double c = 1 / Math.sqrt(t * t + 1);
          double s = t * c;
          for (int k = 0; k < n; k++) { // A ← A J (columns p, q)
            double akp = a[k][p];
            double akq = a[k][q];
            a[k][p] = c * akp - s * akq;
            a[k][q] = s * akp + c * akq;
          }
          for (int k = 0; k < n; k++) { // A ← Jᵀ A (rows p, q)
            double apk = a[p][k];
            double aqk = a[q][k];
            a[p][k] = c * apk - s * aqk;
            a[q][k] = s * apk + c * aqk;
          }
          for (int k = 0; k < n; k++) { // V ← V J
            double vkp = v[k][p];
            double vkq = v[k][q];
            v[k][p] = c * vkp - s * vkq;
            v[k][q] = s * vkp + c * vkq;
          }
        }
      }
    }
    double[] values = new double[n];
    for (int i = 0; i < n; i++) {
      values[i] = a[i][i];
    }
    return new Eigen(values, v);
  }

  /**
   * The principal square root of a matrix with positive eigenvalues by the Denman–Beavers iteration
   * Y ← (Y + Z⁻¹)/2, Z ← (Z + Y⁻¹)/2 from Y = A, Z = I (Y → A^{1/2}); no eigendecomposition involved.
   */
  static double[][] sqrtDenmanBeavers(double[][] a) {
    double[][] y = a;
    double[][] z = identity(a.length);
    for (int k = 0; k < 100; k++) {
      double[][] yInverse = inverse(y);
      double[][] zInverse = inverse(z);
      double[][] nextY = average(y, zInverse);
      double[][] nextZ = average(z, yInverse);
      double change = 0;
      double size = 0;
      for (int i = 0; i < a.length; i++) {
        for (int j = 0; j < a.length; j++) {
          change = Math.max(change, Math.abs(nextY[i][j] - y[i][j]));
          size = Math.max(size, Math.abs(nextY[i][j]));
        }
      }
      y = nextY;
      z = nextZ;
      if (change <= 1e-15 * size) {
        break;
      }
    }
    return y;
  }

  /** Gauss–Jordan elimination with partial pivoting. */
  static double[][] inverse(double[][] m) {
    int n = m.length;
    double[][] a = new double[n][2 * n];
    for (int i = 0; i < n; i++) {
      System.arraycopy(m[i], 0, a[i], 0, n);
      a[i][n + i] = 1;
    }
    for (int col = 0; col < n; col++) {
      int pivot = col;
      for (int r = col + 1; r < n; r++) {
        if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) {
          pivot = r;
        }
      }
      double[] swap = a[col];
      a[col] = a[pivot];
      a[pivot] = swap;
      double p = a[col][col];
      for (int j = 0; j < 2 * n; j++) {
        a[col][j] /= p;
      }
      for (int r = 0; r < n; r++) {
        if (r != col) {
          double f = a[r][col];
          for (int j = 0; j < 2 * n; j++) {
            a[r][j] -= f * a[col][j];
          }
        }
      }
    }
    double[][] inv = new double[n][n];
    for (int i = 0; i < n; i++) {
      System.arraycopy(a[i], n, inv[i], 0, n);
    }
    return inv;
  }

  static double[] referenceMean(double[][] x) {
    int d = x[0].length;
    double[] mean = new double[d];
    for (double[] row : x) {
      for (int j = 0; j < d; j++) {
        mean[j] += row[j];
      }
    }
    for (int j = 0; j < d; j++) {
      mean[j] /= x.length;
    }
    return mean;
  }

  /** Σ (x − x̄)(x − x̄)ᵀ / (n − 1), as numpy.cov(x, rowvar=False). */
  static double[][] referenceCovariance(double[][] x) {
    double[] mean = referenceMean(x);
    int d = mean.length;
    double[][] cov = new double[d][d];
    for (double[] row : x) {
      for (int i = 0; i < d; i++) {
        for (int j = 0; j < d; j++) {
          cov[i][j] += (row[i] - mean[i]) * (row[j] - mean[j]);
        }
      }
    }
    for (int i = 0; i < d; i++) {
      for (int j = 0; j < d; j++) {
        cov[i][j] /= x.length - 1;
      }
    }
    return cov;
  }

  // -----------------------------------------------------------------------------------------------------------
  // Matrix helpers

  /** n samples of N(mean, cov) as mean + L z, L the Cholesky factor of cov. */
  private static double[][] sample(Random random, double[] mean, double[][] cov, int n) {
    int d = mean.length;
    double[][] l = cholesky(cov);
    double[][] out = new double[n][d];
    for (int s = 0; s < n; s++) {
      double[] z = gaussians(random, d);
      for (int i = 0; i < d; i++) {
        double v = mean[i];
        for (int k = 0; k <= i; k++) {
          v += l[i][k] * z[k];
        }
        out[s][i] = v;
      }
    }
    return out;
  }

  private static double[][] cholesky(double[][] a) {
    int n = a.length;
    double[][] l = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j <= i; j++) {
        double sum = a[i][j];
        for (int k = 0; k < j; k++) {
          sum -= l[i][k] * l[j][k];
        }
        l[i][j] = i == j ? Math.sqrt(sum) : sum / l[j][j];
      }
    }
    return l;
  }

  /** An orthogonal matrix from Gram–Schmidt on Gaussian columns. */
  private static double[][] randomRotation(Random random, int d) {
    double[][] q = new double[d][d]; // q[j] is column j
    for (int j = 0; j < d; j++) {
      double[] v = gaussians(random, d);
      for (int k = 0; k < j; k++) {
        double dot = 0;
        for (int i = 0; i < d; i++) {
          dot += v[i] * q[k][i];
        }
        for (int i = 0; i < d; i++) {
          v[i] -= dot * q[k][i];
        }
      }
      double norm = 0;
      for (double x : v) {
        norm += x * x;
      }
      norm = Math.sqrt(norm);
      for (int i = 0; i < d; i++) {
        q[j][i] = v[i] / norm;
      }
    }
    return transpose(q);
  }

  /** G Gᵀ / d + 0.1 I for a Gaussian d x d G: symmetric positive definite, generally not commuting with another. */
  private static double[][] randomCovariance(Random random, int d) {
    double[][] g = new double[d][];
    for (int i = 0; i < d; i++) {
      g[i] = gaussians(random, d);
    }
    double[][] c = multiply(g, transpose(g));
    for (int i = 0; i < d; i++) {
      for (int j = 0; j < d; j++) {
        c[i][j] /= d;
      }
      c[i][i] += 0.1;
    }
    return c;
  }

  private static double[] gaussians(Random random, int d) {
    double[] v = new double[d];
    for (int i = 0; i < d; i++) {
      v[i] = random.nextGaussian();
    }
    return v;
  }

  private static double[][] column(double... values) {
    double[][] x = new double[values.length][1];
    for (int i = 0; i < values.length; i++) {
      x[i][0] = values[i];
    }
    return x;
  }

  private static double[][] diagonal(double... values) {
    double[][] m = new double[values.length][values.length];
    for (int i = 0; i < values.length; i++) {
      m[i][i] = values[i];
    }
    return m;
  }

  private static double[][] identity(int n) {
    double[] ones = new double[n];
    java.util.Arrays.fill(ones, 1);
    return diagonal(ones);
  }

  private static double[][] multiply(double[][] a, double[][] b) {
    int n = a.length;
    int m = b[0].length;
    double[][] c = new double[n][m];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < b.length; k++) {
        for (int j = 0; j < m; j++) {
          c[i][j] += a[i][k] * b[k][j];
        }
      }
    }
    return c;
  }

  private static double[][] transpose(double[][] a) {
    double[][] t = new double[a[0].length][a.length];
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < a[0].length; j++) {
        t[j][i] = a[i][j];
      }
    }
    return t;
  }

  /** (A + Aᵀ)/2: exactly symmetric, as a covariance built from products needs to be for the symmetry check. */
  private static double[][] symmetric(double[][] a) {
    return average(a, transpose(a));
  }

  private static double[][] average(double[][] a, double[][] b) {
    double[][] c = new double[a.length][a[0].length];
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < a[0].length; j++) {
        c[i][j] = 0.5 * (a[i][j] + b[i][j]);
      }
    }
    return c;
  }

  private static double trace(double[][] a) {
    double t = 0;
    for (int i = 0; i < a.length; i++) {
      t += a[i][i];
    }
    return t;
  }

  private static double square(double x) {
    return x * x;
  }
}
