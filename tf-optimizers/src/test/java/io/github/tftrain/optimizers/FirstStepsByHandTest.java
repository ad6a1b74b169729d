package io.github.tftrain.optimizers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.tftrain.optimizers.Kafisto.Variant;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat64;

/**
 * First steps of each optimizer on f(x) = x², x₀ = 1 (so L = 1, g = 2, and a scalar loss gives m2 = L² = 1),
 * against values derived by hand from the equations. Fractions are exact; the comments show the derivation.
 */
class FirstStepsByHandTest {
  private static final double EXACT = 1e-13;

  /** Builds x² for a float64 scalar variable x = 1 and runs {@code steps} steps, fetching extras after each. */
  private static final class Parabola implements AutoCloseable {
    final Graph graph = new Graph();
    final Ops tf = Ops.create(graph);
    final Variable<TFloat64> x = tf.withName("x").variable(tf.withInitScope().constant(1.0));
    final Operand<TFloat64> loss = tf.math.square(tf.identity(x));
    final Session session = new Session(graph);

    double[] step(Op train, List<Operand<?>> fetch) {
      Session.Runner runner = session.runner().addTarget(train);
      fetch.forEach(runner::fetch);
      try (org.tensorflow.Result result = runner.run()) {
        double[] out = new double[fetch.size()];
        for (int i = 0; i < out.length; i++) {
          out[i] = TensorValues.scalar(result.get(i));
        }
        return out;
      }
    }

    double x() {
      return TensorValues.read(session, x)[0];
    }

    @Override
    public void close() {
      session.close();
      graph.close();
    }
  }

  @Test
  void kafistoVanilla() {
    try (Parabola p = new Parabola()) {
      Kafisto k = Kafisto.builder().variant(Variant.VANILLA).build(p.graph);
      Op train = k.minimize(p.loss);
      double[] d = p.step(train, List.of(k.sigmaX2(), k.measurementNoise(), k.effectiveStepSize()));
      // P̂ = σ² + q = 0.1 + 1 = 1.1;  R = 0.9·1 + 0.1·L² = 1;  S = 1.1·2² + 1 = 5.4
      // x₁ = 1 - 1.1·(1 - 0)/5.4·2 = 1 - 11/27 = 16/27
      // h = 4/5.4 = 20/27;  P₁ = 1.1 - (20/27)·1.21 = 5.5/27
      assertEquals(16.0 / 27, p.x(), EXACT);
      assertEquals(5.5 / 27, d[0], EXACT);
      assertEquals(1.0, d[1], EXACT);
      assertEquals(1.1 / 5.4, d[2], EXACT);
      // Step 2: x = 16/27, L = (16/27)², g = 32/27, P̂ = 5.5/27 + 1, R = 0.9 + 0.1·L².
      double x1 = 16.0 / 27;
      double loss = x1 * x1;
      double g = 2 * x1;
      double pHat = 5.5 / 27 + 1;
      double r = 0.9 + 0.1 * loss * loss;
      double x2 = x1 - pHat * loss / (pHat * g * g + r) * g;
      p.step(train, List.of());
      assertEquals(x2, p.x(), EXACT);
    }
  }

  @ParameterizedTest(name = "kernel={0}")
  @EnumSource(value = UpdateKernel.class, names = {"GRAPH", "NATIVE"})
  void kafistoDynamics(UpdateKernel kernel) {
    Kernels.require(kernel);
    try (Parabola p = new Parabola()) {
      Kafisto k = Kafisto.builder().kernel(kernel).build(p.graph);
      Op train = k.minimize(p.loss);
      double[] d = p.step(train, List.of(k.sigmaX2(), k.stateNoise()));
      // P₀ = diag(0.1, 0.1), F = [[1,1],[0,0.9]], Q = diag(0.01, 0.01):
      //   P̂xx = 0.1 + 0.1 + 0.01 = 0.21, P̂xv = 0.9·0.1 = 0.09, P̂vv = 0.81·0.1 + 0.01 = 0.091
      // R = 1, S = 0.21·4 + 1 = 1.84, k = (1 - 0)/1.84
      // x₁ = 1 - 0.21·2/1.84 = 71/92, v₁ = -0.09·2/1.84 = -9/92; the variable holds x̂₂ = x₁ + v₁ = 62/92
      assertEquals(62.0 / 92, p.x(), EXACT);
      // h = 4/1.84;  σx² = 0.21 - h·0.21² = 2.625/23
      assertEquals(2.625 / 23, d[0], EXACT);
      // P̂ of step 1 holds the configured qX = 0.01
      assertEquals(0.01, d[1], EXACT);
      // The velocity slot holds v̂₂ = 0.9·v₁.
      Variable<TFloat64> velocity = k.getSlot(p.x.asOutput(), "velocity").orElseThrow();
      assertEquals(0.9 * -9.0 / 92, TensorValues.read(p.session, velocity)[0], EXACT);
      // The predict at the end of step 1 added x_avg = 0.1·x₁;  qX = (x₁ - x_avg)² / 1 = (0.9·71/92)²: P̂ of step 2
      // holds it.
      d = p.step(train, List.of(k.stateNoise()));
      assertEquals(Math.pow(0.9 * 71 / 92, 2), d[0], EXACT);
    }
  }

  @ParameterizedTest(name = "kernel={0}")
  @EnumSource(value = UpdateKernel.class, names = {"GRAPH", "NATIVE"})
  void apollo(UpdateKernel kernel) {
    Kernels.require(kernel);
    try (Parabola p = new Parabola()) {
      Op train = Apollo.builder().kernel(kernel).build(p.graph).minimize(p.loss);
      p.step(train, List.of());
      // t = 0 < warmup: curLr = initLr = 0.01/1000.  α = (1-0.9)/(1-0.9) = 1, Δg = 2, m = 2.
      // d = 0 so den = e = 1e-4/0.01, d = 0, B = 0;  D = max(0, 0.01) = 0.01;  d = 2/0.01 = 200
      // x₁ = 1 - 1e-5·200 = 0.998
      assertEquals(0.998, p.x(), EXACT);
      p.step(train, List.of());
      // t = 1: curLr = 1e-5 + (0.01 - 1e-5)/500.  α = 0.1/(1 - 0.81) = 10/19.  g = 1.996, Δg = -0.004
      double lr = 1e-5 + (0.01 - 1e-5) / 500;
      double alpha = 0.1 / 0.19;
      double deltaG = 1.996 - 2;
      double m = 2 + alpha * deltaG;
      double den = 200 + 0.01; // ‖d‖₄ of a single 200 is 200; e = 0.01
      double dScaled = 200 / den;
      double v = dScaled * dScaled;
      double delta = -alpha * (deltaG / den) * dScaled; // B = 0, so no Σ(B v) term
      double bigB = delta * v;
      double bigD = Math.max(Math.abs(bigB), 0.01);
      assertEquals(0.998 - lr * m / bigD, p.x(), EXACT);
    }
  }

  @Test
  void sgdMomentumAndNesterov() {
    try (Parabola p = new Parabola()) {
      Op train = Sgd.builder().lr(0.1).momentum(0.9).build(p.graph).minimize(p.loss);
      p.step(train, List.of());
      assertEquals(0.8, p.x(), EXACT); // b = g = 2;  x = 1 - 0.1·2
      p.step(train, List.of());
      assertEquals(0.46, p.x(), EXACT); // g = 1.6, b = 0.9·2 + 1.6 = 3.4;  x = 0.8 - 0.34
    }
    try (Parabola p = new Parabola()) {
      Op train = Sgd.builder().lr(0.1).momentum(0.9).nesterov(true).build(p.graph).minimize(p.loss);
      p.step(train, List.of());
      assertEquals(0.62, p.x(), EXACT); // b = 2; g = 2 + 0.9·2 = 3.8;  x = 1 - 0.38
    }
  }

  @Test
  void adamAndAdamW() {
    Function<Graph, LossAwareOptimizer> adam = g -> Adam.builder().lr(0.1).build(g);
    try (Parabola p = new Parabola()) {
      Op train = adam.apply(p.graph).minimize(p.loss);
      p.step(train, List.of());
      // m̂ = g = 2, v̂ = g² = 4;  x = 1 - 0.1·2/(2 + 1e-8)
      assertEquals(1 - 0.1 * 2 / (2 + 1e-8), p.x(), EXACT);
    }
    try (Parabola p = new Parabola()) {
      Op train = AdamW.builder().lr(0.1).weightDecay(0.5).build(p.graph).minimize(p.loss);
      p.step(train, List.of());
      // x = 1·(1 - 0.1·0.5) = 0.95, then the Adam step with g taken at x₀ = 1: -0.1·2/(2 + 1e-8)
      assertEquals(0.95 - 0.1 * 2 / (2 + 1e-8), p.x(), EXACT);
    }
  }
}
