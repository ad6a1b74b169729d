package io.github.tftrain.optimizers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat64;

/**
 * The first steps of Adan and ADOPT on a problem whose gradients are given: loss = Σ_i g_i x_i with g fed each step,
 * so ∂loss/∂x = g exactly. Expected values are derived by hand from the update equations in the comments (not by a
 * reference implementation) and asserted to 1e-12 (relative to max(1, |value|)) in float64.
 */
class AdanAdoptFirstStepsTest {
  private static final double EXACT = 1e-12;
  private static final double EPS = 1e-8;

  /** A float64 vector x with loss Σ g x for a fed g. */
  private static final class FedGradient implements AutoCloseable {
    final Graph graph = new Graph();
    final Ops tf = Ops.create(graph);
    final Variable<TFloat64> x;
    final Placeholder<TFloat64> g;
    final LossAwareOptimizer optimizer;
    final Op train;
    final Session session;

    FedGradient(double[] x0, Function<Graph, LossAwareOptimizer> factory) {
      x = tf.withName("x").variable(tf.withInitScope().constant(x0));
      g = tf.withName("g").placeholder(TFloat64.class, Placeholder.shape(Shape.of(x0.length)));
      optimizer = factory.apply(graph);
      train = optimizer.minimize(tf.sum(tf.math.mul(g, tf.identity(x)), tf.constant(0)));
      session = new Session(graph);
      session.initialize();
    }

    /** One step with gradient {@code gradient}; returns x after it. */
    double[] step(double... gradient) {
      try (Tensor fed = TFloat64.tensorOf(Shape.of(gradient.length), DataBuffers.of(gradient, true, false))) {
        session.runner().feed(g, fed).addTarget(train).run().close();
      }
      return TensorValues.read(session, x);
    }

    double[] slot(String name) {
      return TensorValues.read(session, optimizer.getSlot(x.asOutput(), name).orElseThrow());
    }

    @Override
    public void close() {
      session.close();
      graph.close();
    }
  }

  private static void assertClose(String label, double[] expected, double[] actual) {
    for (int i = 0; i < expected.length; i++) {
      if (!(Math.abs(expected[i] - actual[i]) <= EXACT * Math.max(1, Math.abs(expected[i])))) {
        fail(label + "[" + i + "]: expected " + expected[i] + " but got " + actual[i]);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Adan, lr 0.1, β1 0.75, β2 0.25, β3 0.75 (asymmetric betas, so the decay-rate convention shows), eps 1e-8,
  // x0 = [1, -2], g1 = [2, -1], g2 = [1, 1].
  //
  // Step 1: bc1 = 1/4, bc2 = 3/4, bc3 = 1/4;  g_prev = g1, so d = 0
  //   m = (1/4) g1 = [1/2, -1/4],  v = 0,  n = (1/4) g1² = [1, 1/4]
  //   u = (m/bc1 + 0) / (sqrt(n)/sqrt(bc3) + eps) = g1 / (|g1| + eps) = [2/(2 + eps), -1/(1 + eps)]
  // Step 2: bc1 = 1 - 9/16 = 7/16, bc2 = 1 - 1/16 = 15/16, bc3 = 7/16;  d = g2 - g1 = [-1, 2]
  //   m = (3/4)(1/4) g1 + (1/4) g2 = [10/16, 1/16]           m/bc1 = [10/7, 1/7]
  //   v = (1/4)·0 + (3/4) d = [-3/4, 3/2]                     β2 v/bc2 = (1/4)(16/15) v = [-1/5, 2/5]
  //   numerator = [10/7 - 1/5, 1/7 + 2/5] = [43/35, 19/35]
  //   g2 + β2 d = [3/4, 3/2];  n = (3/4)[1, 1/4] + (1/4)[9/16, 9/4] = [57/64, 3/4]
  //   n/bc3 = (16/7) n = [57/28, 12/7]
  //   u = [(43/35) / (sqrt(57/28) + eps), (19/35) / (sqrt(12/7) + eps)]
  private static final double[] ADAN_X0 = {1, -2};
  private static final double[] ADAN_U1 = {2 / (2 + EPS), -1 / (1 + EPS)};
  private static final double[] ADAN_U2 = {
    (43.0 / 35) / (Math.sqrt(57.0 / 28) + EPS), (19.0 / 35) / (Math.sqrt(12.0 / 7) + EPS)
  };

  private static Function<Graph, LossAwareOptimizer> adan(double weightDecay, boolean noProx) {
    return graph ->
        Adan.builder()
            .lr(0.1)
            .beta1(0.75)
            .beta2(0.25)
            .beta3(0.75)
            .eps(EPS)
            .weightDecay(weightDecay)
            .noProx(noProx)
            .build(graph);
  }

  @Test
  void adanWithoutWeightDecay() {
    try (FedGradient p = new FedGradient(ADAN_X0, adan(0, false))) {
      // x1 = x0 - 0.1 u1 ≈ [0.9, -1.9]
      double[] x1 = {1 - 0.1 * ADAN_U1[0], -2 - 0.1 * ADAN_U1[1]};
      assertClose("x1", x1, p.step(2, -1));
      assertClose("m1", new double[] {0.5, -0.25}, p.slot("m"));
      assertClose("v1", new double[] {0, 0}, p.slot("v"));
      assertClose("n1", new double[] {1, 0.25}, p.slot("n"));
      assertClose("g_prev1", new double[] {2, -1}, p.slot("g_prev"));
      // x2 = x1 - 0.1 u2
      assertClose("x2", new double[] {x1[0] - 0.1 * ADAN_U2[0], x1[1] - 0.1 * ADAN_U2[1]}, p.step(1, 1));
      assertClose("m2", new double[] {10.0 / 16, 1.0 / 16}, p.slot("m"));
      assertClose("v2", new double[] {-0.75, 1.5}, p.slot("v"));
      assertClose("n2", new double[] {57.0 / 64, 0.75}, p.slot("n"));
      assertClose("g_prev2", new double[] {1, 1}, p.slot("g_prev"));
    }
  }

  /** wd = 0.5, lr = 0.1: lr·wd = 0.05. */
  @ParameterizedTest(name = "noProx={0}")
  @ValueSource(booleans = {false, true})
  void adanWithWeightDecay(boolean noProx) {
    try (FedGradient p = new FedGradient(ADAN_X0, adan(0.5, noProx))) {
      double[] x1 = new double[2];
      double[] x2 = new double[2];
      for (int i = 0; i < 2; i++) {
        // noProx: x = 0.95 x - 0.1 u;  prox: x = (x - 0.1 u) / 1.05
        x1[i] = noProx ? 0.95 * ADAN_X0[i] - 0.1 * ADAN_U1[i] : (ADAN_X0[i] - 0.1 * ADAN_U1[i]) / 1.05;
        x2[i] = noProx ? 0.95 * x1[i] - 0.1 * ADAN_U2[i] : (x1[i] - 0.1 * ADAN_U2[i]) / 1.05;
      }
      assertClose("x1", x1, p.step(2, -1));
      assertClose("x2", x2, p.step(1, 1));
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // ADOPT, lr 0.1, β1 0.75, β2 0.75, eps 1e-6, x0 = [1, -2, 0.5],
  // g1 = [2, -1, 0], g2 = [1, 3, 0.5], g3 = [-3, 1, 0.25].
  //
  // Step 1: v = g1² = [4, 1, 0];  x and m stay (bitwise).
  // Step 2 (t = 2): max(sqrt(v), eps) = [2, 1, 1e-6];  n = g2 / that = [1/2, 3, 5e5]
  //   clip to ±2^¼ (≈ 1.189): n = [1/2, 2^¼, 2^¼]        no clip: n = [1/2, 3, 5e5]
  //   m = (1/4) n;  x2 = x0 - 0.1 m
  //   v = (3/4) v + (1/4) g2² = [3 + 1/4, 3/4 + 9/4, 1/16] = [13/4, 3, 1/16]
  // Step 3 (t = 3): sqrt(v) = [sqrt(13/4), sqrt(3), 1/4];  n = g3 / that = [-3/sqrt(13/4), 1/sqrt(3), 1]
  //   clip to ±3^¼ (≈ 1.316): -3/sqrt(13/4) ≈ -1.664 becomes -3^¼; the others stay
  //   m = (3/4) m + (1/4) n;  x3 = x2 - 0.1 m
  //   v = (3/4)[13/4, 3, 1/16] + (1/4)[9, 1, 1/16] = [75/16, 5/2, 1/16]
  // (The authors' code clips with (t - 1)^¼, i.e. 1 at t = 2: x2[1] and x2[2] tell the two apart.)
  private static final double[] ADOPT_X0 = {1, -2, 0.5};

  private static Function<Graph, LossAwareOptimizer> adopt(boolean clip) {
    return graph -> Adopt.builder().lr(0.1).beta1(0.75).beta2(0.75).eps(1e-6).clip(clip).build(graph);
  }

  @ParameterizedTest(name = "clip={0}")
  @ValueSource(booleans = {true, false})
  void adoptFirstThreeSteps(boolean clip) {
    double c2 = Math.pow(2, 0.25);
    double c3 = Math.pow(3, 0.25);
    double[] n2 = clip ? new double[] {0.5, c2, c2} : new double[] {0.5, 3, 5e5};
    double[] n3 = {clip ? -c3 : -3 / Math.sqrt(13.0 / 4), 1 / Math.sqrt(3), 1};
    double[] m2 = new double[3];
    double[] m3 = new double[3];
    double[] x2 = new double[3];
    double[] x3 = new double[3];
    for (int i = 0; i < 3; i++) {
      m2[i] = 0.25 * n2[i];
      x2[i] = ADOPT_X0[i] - 0.1 * m2[i];
      m3[i] = 0.75 * m2[i] + 0.25 * n3[i];
      x3[i] = x2[i] - 0.1 * m3[i];
    }
    try (FedGradient p = new FedGradient(ADOPT_X0, adopt(clip))) {
      // Step 1: bitwise unchanged x and m; v = g1².
      assertArrayEquals(ADOPT_X0, p.step(2, -1, 0));
      assertArrayEquals(new double[] {0, 0, 0}, p.slot("m"));
      assertArrayEquals(new double[] {4, 1, 0}, p.slot("v"));
      assertClose("x2", x2, p.step(1, 3, 0.5));
      assertClose("m2", m2, p.slot("m"));
      assertClose("v2", new double[] {13.0 / 4, 3, 1.0 / 16}, p.slot("v"));
      assertClose("x3", x3, p.step(-3, 1, 0.25));
      assertClose("m3", m3, p.slot("m"));
      assertClose("v3", new double[] {75.0 / 16, 2.5, 1.0 / 16}, p.slot("v"));
    }
  }
}
