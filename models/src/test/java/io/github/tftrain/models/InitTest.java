package io.github.tftrain.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;

/**
 * The initializers' distributions against torch.nn.init's definitions: support, variance and kurtosis from large
 * samples (tolerances several standard errors wide), orthogonality, and seed determinism.
 */
class InitTest {
  private static final long[] CONV = {3, 3, 64, 128}; // fan-in 576, fan-out 1152, 73,728 values
  private static final double FAN_IN = 576;
  private static final double FAN_OUT = 1152;

  private static double[] sample(Init init, long seed, long... shape) {
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      try (Result r = s.runner().fetch(init.build(tf, seed, shape, TFloat64.class)).run()) {
        return NetworkGradients.values(r.get(0));
      }
    }
  }

  private static double mean(double[] x) {
    return Arrays.stream(x).average().orElseThrow();
  }

  private static double centralMoment(double[] x, int k) {
    double m = mean(x);
    return Arrays.stream(x).map(v -> Math.pow(v - m, k)).average().orElseThrow();
  }

  private static void assertUniform(double[] x, double bound) {
    double max = Arrays.stream(x).map(Math::abs).max().orElseThrow();
    assertTrue(max < bound, "values inside (-b, b)");
    assertTrue(max > 0.999 * bound, "values reach close to b: max |x| " + max + ", b " + bound);
    // both signs (tensorflow-framework 1.1.0's uniform initializers draw from [0, b) only)
    assertEquals(0, mean(x), 4 * bound / Math.sqrt(3 * x.length), "mean");
    assertEquals(bound * bound / 3, centralMoment(x, 2), 0.02 * bound * bound / 3, "variance b²/3");
    double kurtosis = centralMoment(x, 4) / Math.pow(centralMoment(x, 2), 2);
    assertEquals(1.8, kurtosis, 0.03, "uniform kurtosis");
  }

  @Test
  void kaimingUniform() {
    assertUniform(sample(Init.KAIMING_UNIFORM, 1, CONV), Math.sqrt(6 / FAN_IN));
  }

  @Test
  void xavierUniform() {
    assertUniform(sample(Init.XAVIER_UNIFORM, 2, CONV), Math.sqrt(6 / (FAN_IN + FAN_OUT)));
  }

  @Test
  void xavierNormal() {
    double[] x = sample(Init.XAVIER_NORMAL, 3, CONV);
    double variance = 2 / (FAN_IN + FAN_OUT);
    assertEquals(0, mean(x), 4 * Math.sqrt(variance / x.length), "mean");
    assertEquals(variance, centralMoment(x, 2), 0.02 * variance, "variance 2 / (fan_in + fan_out)");
    double kurtosis = centralMoment(x, 4) / Math.pow(centralMoment(x, 2), 2);
    assertEquals(3.0, kurtosis, 0.1, "normal kurtosis");
  }

  /** A conv kernel [3, 3, 16, 32] flattened to [144, 32] has orthonormal columns. */
  @Test
  void orthogonalTallKernel() {
    double[] w = sample(Init.ORTHOGONAL, 4, 3, 3, 16, 32);
    assertGram(w, 144, 32, true);
  }

  /** A dense kernel [4, 8] (fewer rows than columns) has orthonormal rows. */
  @Test
  void orthogonalWideKernel() {
    double[] w = sample(Init.ORTHOGONAL, 5, 4, 8);
    assertGram(w, 4, 8, false);
  }

  private static void assertGram(double[] w, int rows, int columns, boolean ofColumns) {
    int n = ofColumns ? columns : rows;
    for (int a = 0; a < n; a++) {
      for (int b = 0; b < n; b++) {
        double dot = 0;
        int len = ofColumns ? rows : columns;
        for (int k = 0; k < len; k++) {
          dot += ofColumns ? w[k * columns + a] * w[k * columns + b] : w[a * columns + k] * w[b * columns + k];
        }
        assertEquals(a == b ? 1.0 : 0.0, dot, 1e-10, "Gram matrix [" + a + "][" + b + "]");
      }
    }
  }

  @Test
  void sameSeedSameValuesOtherSeedOtherValues() {
    for (Init init : Init.values()) {
      double[] first = sample(init, 7, 5, 6);
      assertArrayEquals(first, sample(init, 7, 5, 6), init + " repeatable");
      assertFalse(Arrays.equals(first, sample(init, 8, 5, 6)), init + " depends on the seed");
    }
  }

  @Test
  void float32IsTheRoundedFloat64() {
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      try (Result r = s.runner().fetch(Init.XAVIER_NORMAL.build(tf, 9, new long[] {4, 5}, TFloat32.class)).run()) {
        TFloat32 t = (TFloat32) r.get(0);
        double[] wide = sample(Init.XAVIER_NORMAL, 9, 4, 5);
        for (int i = 0; i < wide.length; i++) {
          assertEquals((float) wide[i], t.getFloat(i / 5, i % 5));
        }
      }
    }
  }

  @Test
  void namesParseAndBadNamesAreListed() {
    for (Init init : Init.values()) {
      assertEquals(init, Init.parse(init.cliName()));
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Init.parse("he"));
    assertEquals(
        "unknown initializer 'he'; valid: kaiming-uniform, xavier-normal, xavier-uniform, orthogonal",
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> sample(Init.KAIMING_UNIFORM, 1, 5));
  }
}
