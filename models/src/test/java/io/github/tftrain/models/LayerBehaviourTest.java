package io.github.tftrain.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.op.Op;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TFloating;

/**
 * Batch norm's two modes and moving-average updates, checked against a plain-Java double computation; dropout's
 * masks and scaling.
 */
class LayerBehaviourTest {
  private static final int N = 4;
  private static final int H = 2;
  private static final int W = 3;
  private static final int C = 3;
  private static final double EPS = 1e-5;

  /** Runs a fetch with the training switch and step fed. */
  private static double[] run(Session s, Network<?> net, boolean training, long step, Operand<?> fetch, Op... targets) {
    try (TBool mode = TBool.scalarOf(training);
        TInt64 stepValue = TInt64.scalarOf(step)) {
      Session.Runner runner = s.runner().feed(net.training(), mode).feed(net.step(), stepValue);
      for (Op t : targets) {
        runner.addTarget(t);
      }
      try (Result r = runner.fetch(fetch).run()) {
        return asDoubles(r.get(0));
      }
    }
  }

  private static double[] asDoubles(Tensor t) {
    double[] out = new double[(int) t.shape().size()];
    if (t instanceof TFloat32) {
      float[] f = new float[out.length];
      t.asRawTensor().data().asFloats().read(f);
      for (int i = 0; i < f.length; i++) {
        out[i] = f[i];
      }
    } else {
      t.asRawTensor().data().asDoubles().read(out);
    }
    return out;
  }

  /** Per-channel mean and variance (biased when {@code unbiased} is false) of NHWC values. */
  private static double[][] channelStats(double[] x, boolean unbiased) {
    double[] mean = new double[C];
    double[] variance = new double[C];
    int count = x.length / C;
    for (int i = 0; i < x.length; i++) {
      mean[i % C] += x[i] / count;
    }
    for (int i = 0; i < x.length; i++) {
      variance[i % C] += Math.pow(x[i] - mean[i % C], 2);
    }
    for (int c = 0; c < C; c++) {
      variance[c] /= unbiased ? count - 1 : count;
    }
    return new double[][] {mean, variance};
  }

  /** Both the fused (float32) or composed (float64) path and the synchronised one (through a one-process mean). */
  @ParameterizedTest
  @ValueSource(strings = {"float32", "float64", "float32 synchronised", "float64 synchronised"})
  void batchNormModesAndMovingAverages(String dtype) {
    CrossReplicaMean sync = dtype.endsWith("synchronised") ? CrossReplicaMean.single() : null;
    if (dtype.startsWith("float32")) {
      batchNormCase(TFloat32.class, sync);
    } else {
      batchNormCase(TFloat64.class, sync);
    }
  }

  private static <T extends TFloating> void batchNormCase(Class<T> type, CrossReplicaMean sync) {
    double tolerance = type == TFloat32.class ? 2e-5 : 1e-12;
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Network<T> net = Network.create(g, "bn_test", Init.XAVIER_UNIFORM, 1, type, sync);
      // x = 3 u + 1 per element: mean ~1, variance ~3, far from the initial moving statistics (0, 1)
      Operand<T> x =
          net.tf().math.add(net.tf().math.mul(net.cast(uniformConstant(net, 3)), net.constant(3)), net.constant(1));
      Operand<T> y = Layers.batchNorm(net.scope("bn"), x, 0.9, EPS);
      s.initialize();
      double[] input = run(s, net, true, 0, x);
      double[][] batch = channelStats(input, false);
      double[] unbiased = channelStats(input, true)[1];

      // training: batch statistics (biased variance), gamma 1, beta 0
      double[] train = run(s, net, true, 0, y);
      for (int i = 0; i < input.length; i++) {
        double expected = (input[i] - batch[0][i % C]) / Math.sqrt(batch[1][i % C] + EPS);
        assertEquals(expected, train[i], tolerance, "training output " + i);
      }
      // inference before any update: moving mean 0, variance 1
      double[] before = run(s, net, false, 0, y);
      for (int i = 0; i < input.length; i++) {
        assertEquals(input[i] / Math.sqrt(1 + EPS), before[i], tolerance, "initial inference output " + i);
      }
      // two update steps: m <- 0.9 m + 0.1 mean, v <- 0.9 v + 0.1 unbiased variance
      assertEquals(2, net.updates().size());
      for (int step = 0; step < 2; step++) {
        run(s, net, true, step, y, net.updates().toArray(new Op[0]));
      }
      double[] movingMean = new double[C];
      double[] movingVariance = new double[C];
      for (int c = 0; c < C; c++) {
        movingMean[c] = 0.9 * (0.1 * batch[0][c]) + 0.1 * batch[0][c];
        movingVariance[c] = 0.9 * (0.9 + 0.1 * unbiased[c]) + 0.1 * unbiased[c];
      }
      assertArrayEquals(movingMean, run(s, net, false, 0, net.nonTrainableVariables().get(0)), tolerance);
      assertArrayEquals(movingVariance, run(s, net, false, 0, net.nonTrainableVariables().get(1)), tolerance);
      // inference now uses the moving statistics, and does not update them
      double[] after = run(s, net, false, 0, y);
      for (int i = 0; i < input.length; i++) {
        int c = i % C;
        double expected = (input[i] - movingMean[c]) / Math.sqrt(movingVariance[c] + EPS);
        assertEquals(expected, after[i], tolerance, "inference output " + i);
      }
      assertArrayEquals(movingMean, run(s, net, false, 0, net.nonTrainableVariables().get(0)), tolerance);
      assertEquals(2, net.trainableVariables().size(), "gamma and beta are trainable; moving statistics are not");
      assertTrue(net.nonTrainableVariables().get(0).op().name().endsWith("bn/moving_mean"));
    }
  }

  /** A float64 [N, H, W, C] constant, seeded uniform in [-1, 1]. */
  private static Operand<TFloat64> uniformConstant(Network<?> net, long seed) {
    java.util.Random random = new java.util.Random(seed);
    double[] v = new double[N * H * W * C];
    for (int i = 0; i < v.length; i++) {
      v[i] = 2 * random.nextDouble() - 1;
    }
    return net.tf().constant(org.tensorflow.ndarray.Shape.of(N, H, W, C),
        org.tensorflow.ndarray.buffer.DataBuffers.of(v, true, false));
  }

  @Test
  void dropoutMasksScalesAndIsKeyedByStep() {
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Network<TFloat32> net = Network.create(g, "drop", Init.XAVIER_UNIFORM, 1);
      Operand<TFloat32> ones = net.tf().fill(net.tf().constant(new int[] {100, 100}), net.tf().constant(1f));
      Operand<TFloat32> y = Layers.dropout(net.scope("dropout"), ones, 0.3);
      s.initialize();
      double[] inference = run(s, net, false, 5, y);
      assertTrue(Arrays.stream(inference).allMatch(v -> v == 1), "inference is the identity");
      double[] mask5 = run(s, net, true, 5, y);
      long dropped = Arrays.stream(mask5).filter(v -> v == 0).count();
      assertTrue(Arrays.stream(mask5).allMatch(v -> v == 0 || Math.abs(v - 1 / 0.7) < 1e-6), "kept values scaled");
      // 10,000 Bernoulli(0.3): standard deviation 46
      assertEquals(3000, dropped, 200, "dropped count");
      assertArrayEquals(mask5, run(s, net, true, 5, y), "same step, same mask");
      assertFalse(Arrays.equals(mask5, run(s, net, true, 6, y)), "another step, another mask");
    }
    try (Graph g = new Graph()) {
      Network<TFloat32> net = Network.create(g, "drop", Init.XAVIER_UNIFORM, 1);
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> Layers.dropout(net, net.constant(1), 1.0));
      assertEquals("dropout rate must be in [0, 1), got 1.0", e.getMessage());
    }
  }
}
