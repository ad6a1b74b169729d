package io.github.tftrain.optimizers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.tftrain.optimizers.reference.ReferenceMars;
import io.github.tftrain.optimizers.schedule.Schedule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat64;

/** MARS-AdamW against its plain-Java reference, and its first two steps derived by hand. */
class MarsTrajectoryTest {
  private static final int STEPS = 20;
  private static final double EXACT = 1e-12;

  /**
   * Defaults with decoupled weight decay and a cosine schedule. The regression's gradients are large at the start
   * (‖c‖ &gt; 1 rescales c) and c of the scalar variable is small at times (left as it is): both branches run.
   */
  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void defaultsWithWeightDecayAndCosineSchedule(boolean float64) {
    Schedule lr = Schedule.cosine(3e-3, STEPS, 0);
    ReferenceMars[] ref = new ReferenceMars[1];
    Trajectories.compare(
        "mars",
        true,
        float64,
        STEPS,
        g -> Mars.builder().lr(lr).weightDecay(0.1).build(g),
        x0 -> {
          ref[0] = new ReferenceMars(x0);
          ref[0].lr = lr::valueAt;
          ref[0].weightDecay = 0.1;
          return ref[0];
        });
    assertTrue(ref[0].clipped > 0, "‖c‖ > 1 never triggered");
    assertTrue(ref[0].notClipped > 0, "‖c‖ > 1 always triggered");
  }

  /** A larger γ and other betas, scalar loss, step schedule: the correction dominates c and ‖c‖ &gt; 1 throughout. */
  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void largeCorrectionAlwaysClipped(boolean float64) {
    Schedule lr = Schedule.step(0.02, 7, 0.5);
    ReferenceMars[] ref = new ReferenceMars[1];
    Trajectories.compare(
        "mars large gamma",
        false,
        float64,
        STEPS,
        g -> Mars.builder().lr(lr).beta1(0.9).beta2(0.95).gamma(0.5).eps(1e-6).weightDecay(0.05).build(g),
        x0 -> {
          ref[0] = new ReferenceMars(x0);
          ref[0].lr = lr::valueAt;
          ref[0].beta1 = 0.9;
          ref[0].beta2 = 0.95;
          ref[0].gamma = 0.5;
          ref[0].eps = 1e-6;
          ref[0].weightDecay = 0.05;
          return ref[0];
        });
    assertEquals(0, ref[0].notClipped, "‖c‖ ≤ 1 at some step");
  }

  /**
   * Gradients clipped by the base to a global norm of 0.05: ‖c‖ ≤ 0.05 (1 + 2·0.475) &lt; 1 can never trigger the
   * rescaling, so this is the plain AdamW path on the MARS-corrected gradient.
   */
  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void smallGradientsNeverClipped(boolean float64) {
    Schedule lr = Schedule.cosine(0.01, STEPS, 0.001);
    ReferenceMars[] ref = new ReferenceMars[1];
    Trajectories.compare(
        "mars small gradients",
        true,
        float64,
        STEPS,
        g -> Mars.builder().lr(lr).clipNorm(0.05).weightDecay(0.1).build(g),
        x0 -> {
          ref[0] = new ReferenceMars(x0);
          ref[0].lr = lr::valueAt;
          ref[0].clipNorm = 0.05;
          ref[0].weightDecay = 0.1;
          return ref[0];
        });
    assertEquals(0, ref[0].clipped, "‖c‖ > 1 triggered");
  }

  /**
   * A linear loss L = a·x with a = (0.3, -0.4), so g = a at every step (‖a‖ = 0.5), x₀ = (1, -2).
   * lr 0.1, β1 = β2 = 0.5, γ = 3 (so γ β1/(1 - β1) = 3), eps 1e-8, decoupled wd 0.5 (lr·wd = 0.05).
   */
  @Test
  void firstTwoStepsByHand() {
    double eps = 1e-8;
    try (Graph graph = new Graph();
        Session session = new Session(graph)) {
      Ops tf = Ops.create(graph);
      Variable<TFloat64> x = tf.withName("x").variable(tf.withInitScope().constant(new double[] {1, -2}));
      Operand<TFloat64> loss =
          tf.sum(tf.math.mul(tf.constant(new double[] {0.3, -0.4}), tf.identity(x)), tf.constant(0));
      Mars mars =
          Mars.builder().lr(0.1).beta1(0.5).beta2(0.5).gamma(3).eps(eps).weightDecay(0.5).build(graph);
      Op train = mars.minimize(loss);
      session.initialize();

      session.runner().addTarget(train).run();
      // Step 1: g_prev = 0, so c = a + 3(a - 0) = 4a = (1.2, -1.6), ‖c‖ = 2 > 1: c = c/2 = (0.6, -0.8).
      // m = 0.5·c = (0.3, -0.4);  v = 0.5·c² = (0.18, 0.32);  bc1 = bc2 = 1 - 0.5 = 0.5.
      // m/bc1 = (0.6, -0.8);  sqrt(v/bc2) = sqrt(0.36, 0.64) = (0.6, 0.8).
      // x₁ = x₀(1 - 0.05) - 0.1·(m/bc1)/(sqrt(v/bc2) + eps)
      //    = (0.95 - 0.1·0.6/(0.6 + eps),  -1.9 + 0.1·0.8/(0.8 + eps))  ≈ (0.85, -1.8)
      double[] x1 = {0.95 - 0.1 * 0.6 / (0.6 + eps), -1.9 + 0.1 * 0.8 / (0.8 + eps)};
      double[] got = TensorValues.read(session, x);
      assertEquals(x1[0], got[0], EXACT);
      assertEquals(x1[1], got[1], EXACT);
      // The moments hold the clipped c (unclipped, m would be (0.6, -0.8) and v (0.72, 1.28)).
      double[] m1 = TensorValues.read(session, mars.getSlot(x.asOutput(), "m").orElseThrow());
      assertEquals(0.3, m1[0], EXACT);
      assertEquals(-0.4, m1[1], EXACT);
      double[] v1 = TensorValues.read(session, mars.getSlot(x.asOutput(), "v").orElseThrow());
      assertEquals(0.18, v1[0], EXACT);
      assertEquals(0.32, v1[1], EXACT);
      // The previous gradient is kept for step 2.
      double[] gPrev = TensorValues.read(session, mars.getSlot(x.asOutput(), "g_prev").orElseThrow());
      assertEquals(0.3, gPrev[0], EXACT);
      assertEquals(-0.4, gPrev[1], EXACT);

      session.runner().addTarget(train).run();
      // Step 2: g = g_prev = a, so c = a = (0.3, -0.4), ‖c‖ = 0.5 ≤ 1: c stays.
      // m = 0.5·(0.3, -0.4) + 0.5·(0.3, -0.4) = (0.3, -0.4);  v = 0.5·(0.18, 0.32) + 0.5·(0.09, 0.16) = (0.135, 0.24)
      // bc1 = bc2 = 1 - 0.25 = 0.75:  m/bc1 = (0.4, -8/15);  v/bc2 = (0.18, 0.32), sqrt = (0.3√2, 0.4√2).
      // x₂ = x₁(1 - 0.05) - 0.1·(0.4/(0.3√2 + eps), -(8/15)/(0.4√2 + eps))
      //    ≈ x₁·0.95 - 0.1·(2√2/3, -2√2/3) ≈ (0.7132, -1.6157)
      double r2 = Math.sqrt(2);
      double[] x2 = {
        x1[0] * 0.95 - 0.1 * 0.4 / (0.3 * r2 + eps), x1[1] * 0.95 + 0.1 * (8.0 / 15) / (0.4 * r2 + eps)
      };
      got = TensorValues.read(session, x);
      assertEquals(x2[0], got[0], EXACT);
      assertEquals(x2[1], got[1], EXACT);
      double[] m = TensorValues.read(session, mars.getSlot(x.asOutput(), "m").orElseThrow());
      assertEquals(0.3, m[0], EXACT);
      assertEquals(-0.4, m[1], EXACT);
      double[] v = TensorValues.read(session, mars.getSlot(x.asOutput(), "v").orElseThrow());
      assertEquals(0.135, v[0], EXACT);
      assertEquals(0.24, v[1], EXACT);
    }
  }
}
