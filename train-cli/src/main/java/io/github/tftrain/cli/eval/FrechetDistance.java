package io.github.tftrain.cli.eval;

import java.util.Arrays;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.op.linalg.SelfAdjointEig;
import org.tensorflow.types.TFloat64;

/**
 * The Fréchet distance between two Gaussians fitted to feature sets, the quantity behind the Fréchet Inception
 * Distance (FID, Heusel et al. 2017):
 *
 * <pre>d² = ‖μ1 − μ2‖² + Tr(Σ1 + Σ2 − 2 (Σ1 Σ2)^{1/2})</pre>
 *
 * <p>As FID does, the methods return the squared distance d². Everything is computed with TensorFlow ops in float64,
 * in a private graph and session that each call opens and closes: means, unbiased covariances (divided by n − 1, as
 * {@code numpy.cov}), and the trace of the matrix square root through two symmetric eigendecompositions
 * (TensorFlow's {@code SelfAdjointEigV2}). With Σ1 = V diag(λ) Vᵀ and S = Σ1^{1/2} = V diag(√λ) Vᵀ, the product
 * Σ1 Σ2 = S (S Σ2 S) S⁻¹ is similar to the symmetric positive semi-definite S Σ2 S, so
 * Tr((Σ1 Σ2)^{1/2}) = Σ √μ over the eigenvalues μ of S Σ2 S. Eigenvalues that rounding makes slightly negative
 * count as 0; covariances are symmetrised as (Σ + Σᵀ) / 2 before they are decomposed; and a result that rounding
 * makes slightly negative (identical statistics) is returned as 0.
 */
public final class FrechetDistance {
  /** Relative tolerance of the symmetry check in {@link #of(double[], double[][], double[], double[][])}. */
  public static final double SYMMETRY_TOLERANCE = 1e-9;

  private FrechetDistance() {}

  /**
   * The mean and unbiased covariance of a feature set.
   *
   * @param mean the per-feature mean, length d
   * @param covariance the d x d covariance, normalised by n − 1 (like {@code numpy.cov(features, rowvar=False)})
   */
  public record Statistics(double[] mean, double[][] covariance) {
    /**
     * Copies the arrays (the record owns its data), after checking that the covariance is d x d for a mean of
     * length d ≥ 1.
     *
     * @throws IllegalArgumentException for mismatched or empty arrays
     */
    public Statistics {
      if (mean == null || covariance == null) {
        throw new IllegalArgumentException("mean and covariance must not be null");
      }
      if (mean.length == 0) {
        throw new IllegalArgumentException("mean must have at least one feature");
      }
      checkSquare("covariance", covariance, mean.length);
      mean = mean.clone();
      covariance = deepCopy(covariance);
    }

    /** A copy of the mean. */
    @Override
    public double[] mean() {
      return mean.clone();
    }

    /** A copy of the covariance. */
    @Override
    public double[][] covariance() {
      return deepCopy(covariance);
    }

    /** The feature dimension d. */
    public int dimension() {
      return mean.length;
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Statistics s
          && Arrays.equals(mean, s.mean)
          && Arrays.deepEquals(covariance, s.covariance);
    }

    @Override
    public int hashCode() {
      return 31 * Arrays.hashCode(mean) + Arrays.deepHashCode(covariance);
    }

    @Override
    public String toString() {
      return "Statistics[mean=" + Arrays.toString(mean) + ", covariance=" + Arrays.deepToString(covariance) + "]";
    }
  }

  /**
   * The squared Fréchet distance between Gaussians fitted to two feature sets.
   *
   * @param featuresA one sample per row, d features per row; at least 2 rows
   * @param featuresB the same for the other set (any number ≥ 2 of rows, the same d)
   * @return d² ≥ 0
   * @throws IllegalArgumentException for fewer than 2 rows, ragged rows, different feature dimensions, or values
   *     that are not finite
   */
  public static double between(double[][] featuresA, double[][] featuresB) {
    int d = checkFeatures("featuresA", featuresA);
    int dB = checkFeatures("featuresB", featuresB);
    if (d != dB) {
      throw new IllegalArgumentException(
          "featuresA and featuresB must have the same number of features per row, got " + d + " and " + dB);
    }
    try (Graph graph = new Graph();
        Session session = new Session(graph);
        TFloat64 a = matrixTensor(featuresA);
        TFloat64 b = matrixTensor(featuresB)) {
      Ops tf = Ops.create(graph);
      Placeholder<TFloat64> x = tf.placeholder(TFloat64.class, Placeholder.shape(Shape.of(featuresA.length, d)));
      Placeholder<TFloat64> y = tf.placeholder(TFloat64.class, Placeholder.shape(Shape.of(featuresB.length, d)));
      Moments ma = moments(tf, x, featuresA.length);
      Moments mb = moments(tf, y, featuresB.length);
      Operand<TFloat64> distance = squaredDistance(tf, ma.mean, ma.covariance, mb.mean, mb.covariance, d);
      try (Result r = session.runner().feed(x, a).feed(y, b).fetch(distance).run()) {
        return Math.max(0, ((TFloat64) r.get(0)).getDouble());
      }
    }
  }

  /**
   * The mean and unbiased covariance of a feature set, computed with TensorFlow in float64.
   *
   * @param features one sample per row, d features per row; at least 2 rows
   * @throws IllegalArgumentException for fewer than 2 rows, ragged rows or values that are not finite
   */
  public static Statistics statistics(double[][] features) {
    int d = checkFeatures("features", features);
    try (Graph graph = new Graph();
        Session session = new Session(graph);
        TFloat64 values = matrixTensor(features)) {
      Ops tf = Ops.create(graph);
      Placeholder<TFloat64> x = tf.placeholder(TFloat64.class, Placeholder.shape(Shape.of(features.length, d)));
      Moments m = moments(tf, x, features.length);
      try (Result r = session.runner().feed(x, values).fetch(m.mean).fetch(m.covariance).run()) {
        double[] mean = new double[d];
        r.get(0).asRawTensor().data().asDoubles().read(mean);
        double[] flat = new double[d * d];
        r.get(1).asRawTensor().data().asDoubles().read(flat);
        double[][] covariance = new double[d][];
        for (int i = 0; i < d; i++) {
          covariance[i] = Arrays.copyOfRange(flat, i * d, (i + 1) * d);
        }
        return new Statistics(mean, covariance);
      }
    }
  }

  /**
   * The squared Fréchet distance between two Gaussians given by their statistics.
   *
   * @return d² ≥ 0
   * @throws IllegalArgumentException if the dimensions differ or a covariance is not symmetric
   */
  public static double of(Statistics a, Statistics b) {
    return of(a.mean, a.covariance, b.mean, b.covariance);
  }

  /**
   * The squared Fréchet distance between N(mean1, cov1) and N(mean2, cov2).
   *
   * @param mean1 length d ≥ 1
   * @param cov1 d x d, symmetric within {@link #SYMMETRY_TOLERANCE} times its largest absolute entry; meant to be
   *     positive semi-definite (negative eigenvalues count as 0)
   * @param mean2 length d
   * @param cov2 d x d, like cov1
   * @return d² ≥ 0
   * @throws IllegalArgumentException for mismatched dimensions, non-square or non-symmetric covariances, or values
   *     that are not finite
   */
  public static double of(double[] mean1, double[][] cov1, double[] mean2, double[][] cov2) {
    if (mean1 == null || mean2 == null || cov1 == null || cov2 == null) {
      throw new IllegalArgumentException("means and covariances must not be null");
    }
    int d = mean1.length;
    if (d == 0) {
      throw new IllegalArgumentException("mean1 must have at least one feature");
    }
    if (mean2.length != d) {
      throw new IllegalArgumentException("mean1 and mean2 must have the same length, got " + d + " and "
          + mean2.length);
    }
    checkFinite("mean1", mean1);
    checkFinite("mean2", mean2);
    checkCovariance("cov1", cov1, d);
    checkCovariance("cov2", cov2, d);
    try (Graph graph = new Graph();
        Session session = new Session(graph);
        TFloat64 m1 = TFloat64.vectorOf(mean1);
        TFloat64 m2 = TFloat64.vectorOf(mean2);
        TFloat64 c1 = matrixTensor(cov1);
        TFloat64 c2 = matrixTensor(cov2)) {
      Ops tf = Ops.create(graph);
      Placeholder<TFloat64> mu1 = tf.placeholder(TFloat64.class, Placeholder.shape(Shape.of(d)));
      Placeholder<TFloat64> mu2 = tf.placeholder(TFloat64.class, Placeholder.shape(Shape.of(d)));
      Placeholder<TFloat64> sigma1 = tf.placeholder(TFloat64.class, Placeholder.shape(Shape.of(d, d)));
      Placeholder<TFloat64> sigma2 = tf.placeholder(TFloat64.class, Placeholder.shape(Shape.of(d, d)));
      Operand<TFloat64> distance = squaredDistance(tf, mu1, sigma1, mu2, sigma2, d);
      try (Result r =
          session.runner()
              .feed(mu1, m1)
              .feed(mu2, m2)
              .feed(sigma1, c1)
              .feed(sigma2, c2)
              .fetch(distance)
              .run()) {
        return Math.max(0, ((TFloat64) r.get(0)).getDouble());
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The graph

  private record Moments(Operand<TFloat64> mean, Operand<TFloat64> covariance) {}

  /** Mean [d] and unbiased covariance [d, d] of x [n, d]: centred, then Xcᵀ Xc / (n − 1). */
  private static Moments moments(Ops tf, Operand<TFloat64> x, int n) {
    Operand<TFloat64> mean = tf.math.mean(x, tf.constant(0));
    Operand<TFloat64> centred = tf.math.sub(x, mean);
    Operand<TFloat64> scatter = tf.linalg.matMul(centred, centred, MatMul.transposeA(true));
    return new Moments(mean, tf.math.div(scatter, tf.constant((double) (n - 1))));
  }

  /** ‖μ1 − μ2‖² + Tr Σ1 + Tr Σ2 − 2 Σ √max(μ, 0) over the eigenvalues μ of S Σ2 S, S = Σ1^{1/2}. */
  private static Operand<TFloat64> squaredDistance(
      Ops tf, Operand<TFloat64> mean1, Operand<TFloat64> cov1, Operand<TFloat64> mean2, Operand<TFloat64> cov2,
      int d) {
    Operand<TFloat64> sigma1 = symmetrised(tf, cov1);
    Operand<TFloat64> sigma2 = symmetrised(tf, cov2);
    Operand<TFloat64> diff = tf.math.sub(mean1, mean2);
    Operand<TFloat64> meanTerm = tf.reduceSum(tf.math.square(diff), tf.constant(0));

    SelfAdjointEig<TFloat64> eig1 = tf.linalg.selfAdjointEig(sigma1, SelfAdjointEig.computeV(true));
    Operand<TFloat64> roots1 = nonNegativeSqrt(tf, eig1.e());
    // V diag(√λ): column j of V scaled by √λ_j (broadcast along the rows)
    Operand<TFloat64> scaled = tf.math.mul(eig1.v(), roots1);
    Operand<TFloat64> root1 = tf.linalg.matMul(scaled, eig1.v(), MatMul.transposeB(true));
    Operand<TFloat64> inner = tf.linalg.matMul(tf.linalg.matMul(root1, sigma2), root1);
    SelfAdjointEig<TFloat64> eig2 =
        tf.linalg.selfAdjointEig(symmetrised(tf, inner), SelfAdjointEig.computeV(false));
    Operand<TFloat64> traceOfRoot = tf.reduceSum(nonNegativeSqrt(tf, eig2.e()), tf.constant(0));

    Operand<TFloat64> traces = tf.math.add(trace(tf, sigma1, d), trace(tf, sigma2, d));
    return tf.math.sub(tf.math.add(meanTerm, traces), tf.math.mul(tf.constant(2.0), traceOfRoot));
  }

  private static Operand<TFloat64> symmetrised(Ops tf, Operand<TFloat64> m) {
    Operand<TFloat64> transposed = tf.linalg.transpose(m, tf.constant(new int[] {1, 0}));
    return tf.math.mul(tf.constant(0.5), tf.math.add(m, transposed));
  }

  private static Operand<TFloat64> nonNegativeSqrt(Ops tf, Operand<TFloat64> values) {
    return tf.math.sqrt(tf.math.maximum(values, tf.constant(0.0)));
  }

  private static Operand<TFloat64> trace(Ops tf, Operand<TFloat64> m, int d) {
    double[][] identity = new double[d][d];
    for (int i = 0; i < d; i++) {
      identity[i][i] = 1;
    }
    return tf.reduceSum(tf.math.mul(m, tf.constant(identity)), tf.constant(new int[] {0, 1}));
  }

  private static TFloat64 matrixTensor(double[][] rows) {
    int columns = rows[0].length;
    double[] flat = new double[Math.multiplyExact(rows.length, columns)];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(rows[i], 0, flat, i * columns, columns);
    }
    return TFloat64.tensorOf(Shape.of(rows.length, columns), DataBuffers.of(flat, true, false));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Validation

  /** @return the number of features per row */
  private static int checkFeatures(String name, double[][] features) {
    if (features == null) {
      throw new IllegalArgumentException(name + " must not be null");
    }
    if (features.length < 2) {
      throw new IllegalArgumentException(
          name + " needs at least 2 samples (rows) for a covariance, got " + features.length);
    }
    if (features[0] == null || features[0].length == 0) {
      throw new IllegalArgumentException(name + " row 0 has no features");
    }
    int d = features[0].length;
    for (int i = 0; i < features.length; i++) {
      if (features[i] == null || features[i].length != d) {
        throw new IllegalArgumentException(name + " row " + i + " has "
            + (features[i] == null ? "no" : Integer.toString(features[i].length)) + " features, row 0 has " + d);
      }
      for (int j = 0; j < d; j++) {
        if (!Double.isFinite(features[i][j])) {
          throw new IllegalArgumentException(name + "[" + i + "][" + j + "] is not finite: " + features[i][j]);
        }
      }
    }
    return d;
  }

  private static void checkFinite(String name, double[] values) {
    for (int i = 0; i < values.length; i++) {
      if (!Double.isFinite(values[i])) {
        throw new IllegalArgumentException(name + "[" + i + "] is not finite: " + values[i]);
      }
    }
  }

  private static void checkSquare(String name, double[][] matrix, int d) {
    if (matrix.length != d) {
      throw new IllegalArgumentException(name + " must be " + d + " x " + d + " (the mean's length), got "
          + matrix.length + " rows");
    }
    for (int i = 0; i < d; i++) {
      if (matrix[i] == null || matrix[i].length != d) {
        throw new IllegalArgumentException(name + " must be " + d + " x " + d + ", row " + i + " has "
            + (matrix[i] == null ? 0 : matrix[i].length) + " columns");
      }
    }
  }

  private static void checkCovariance(String name, double[][] cov, int d) {
    checkSquare(name, cov, d);
    double largest = 0;
    for (int i = 0; i < d; i++) {
      checkFinite(name + "[" + i + "]", cov[i]);
      for (double v : cov[i]) {
        largest = Math.max(largest, Math.abs(v));
      }
    }
    for (int i = 0; i < d; i++) {
      for (int j = i + 1; j < d; j++) {
        if (Math.abs(cov[i][j] - cov[j][i]) > SYMMETRY_TOLERANCE * largest) {
          throw new IllegalArgumentException(name + " must be symmetric: [" + i + "][" + j + "] = " + cov[i][j]
              + " but [" + j + "][" + i + "] = " + cov[j][i]);
        }
      }
    }
  }

  private static double[][] deepCopy(double[][] m) {
    double[][] copy = new double[m.length][];
    for (int i = 0; i < m.length; i++) {
      copy[i] = m[i].clone();
    }
    return copy;
  }
}
