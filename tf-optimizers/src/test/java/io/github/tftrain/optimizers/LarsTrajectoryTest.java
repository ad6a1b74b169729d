package io.github.tftrain.optimizers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.tftrain.optimizers.reference.ReferenceLars;
import io.github.tftrain.optimizers.schedule.Schedule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.op.Op;

/** LARS against its plain-Java reference, and its local-rate fallbacks. */
class LarsTrajectoryTest {
  private static final int STEPS = 20;
  private static final double EXACT = 1e-12;

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void defaults(boolean float64) {
    Trajectories.compare("lars defaults", true, float64, STEPS, Lars::new, ReferenceLars::new);
  }

  /** A trust coefficient that moves the weights visibly, weight decay and a cosine schedule. */
  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void weightDecayAndCosineSchedule(boolean float64) {
    Schedule lr = Schedule.cosine(2.0, STEPS, 0);
    Trajectories.compare(
        "lars",
        true,
        float64,
        STEPS,
        g -> Lars.builder().lr(lr).trustCoefficient(0.02).weightDecay(0.05).build(g),
        x0 -> {
          ReferenceLars r = new ReferenceLars(x0);
          r.lr = lr::valueAt;
          r.trustCoefficient = 0.02;
          r.weightDecay = 0.05;
          return r;
        });
  }

  /** No momentum, scalar loss, a step schedule. */
  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void withoutMomentumStepSchedule(boolean float64) {
    Schedule lr = Schedule.step(1.0, 7, 0.5);
    Trajectories.compare(
        "lars no momentum",
        false,
        float64,
        STEPS,
        g -> Lars.builder().lr(lr).momentum(0).trustCoefficient(0.05).weightDecay(0.01).build(g),
        x0 -> {
          ReferenceLars r = new ReferenceLars(x0);
          r.lr = lr::valueAt;
          r.momentum = 0;
          r.trustCoefficient = 0.05;
          r.weightDecay = 0.01;
          return r;
        });
  }

  /** w starts at 0 (‖x‖ = 0 on step 1) and u never gets a gradient (‖g‖ = 0 on every step): local rate 1. */
  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void zeroNormFallbacks(boolean float64) {
    for (double wd : new double[] {0, 0.5}) {
      Schedule lr = Schedule.cosine(0.1, STEPS, 0.01);
      ReferenceLars[] ref = new ReferenceLars[1];
      ZeroNormProblem.compare(
          "lars zero norms, wd " + wd,
          float64,
          STEPS,
          g -> Lars.builder().lr(lr).trustCoefficient(0.01).weightDecay(wd).build(g),
          x0 -> {
            ref[0] = new ReferenceLars(x0);
            ref[0].lr = lr::valueAt;
            ref[0].trustCoefficient = 0.01;
            ref[0].weightDecay = wd;
            return ref[0];
          });
      // w on step 1, u on every step
      assertEquals(1 + STEPS, ref[0].fallbacks, "fallbacks with wd " + wd);
    }
  }

  /**
   * Steps 1 and 2 on the zero-norm problem by hand: lr 0.1, μ 0.9, η 1e-3, wd 0.5, target t = (1, -2, 0.5),
   * u₀ = (0.6, -0.8).
   */
  @Test
  void firstStepsOfZeroNormsByHand() {
    try (ZeroNormProblem.InGraph g = new ZeroNormProblem.InGraph(true)) {
      Op train = Lars.builder().lr(0.1).weightDecay(0.5).build(g.graph).minimize(g.loss);
      g.values();
      g.session.runner().addTarget(train).run();
      double[][] x = g.values();
      // Step 1, w: ‖w₀‖ = 0, local = 1;  g = -t;  b₁ = 0.1·(g + 0.5·0) = -0.1t;  w₁ = -b₁ = 0.1t
      assertEquals(0.1, x[0][0], EXACT);
      assertEquals(-0.2, x[0][1], EXACT);
      assertEquals(0.05, x[0][2], EXACT);
      // Step 1, u: ‖g‖ = 0, local = 1;  b₁ = 0.1·(0 + 0.5u₀) = 0.05u₀;  u₁ = 0.95u₀ = (0.57, -0.76)
      assertEquals(0.57, x[1][0], EXACT);
      assertEquals(-0.76, x[1][1], EXACT);

      g.session.runner().addTarget(train).run();
      x = g.values();
      // Step 2, w: w₁ = 0.1t, g = w₁ - t = -0.9t;  local = η·0.1‖t‖/(0.9‖t‖ + 0.5·0.1‖t‖) = 1e-3/9.5
      //   b₂ = 0.9·(-0.1t) + 0.1·(1e-3/9.5)·(-0.9t + 0.05t) = -0.09t - 1e-5·(0.85/0.95)t
      //   w₂ = w₁ - b₂ = (0.19 + 1e-5·0.85/0.95)t
      double w2 = 0.19 + 1e-5 * 0.85 / 0.95;
      assertEquals(w2, x[0][0], EXACT);
      assertEquals(-2 * w2, x[0][1], EXACT);
      assertEquals(0.5 * w2, x[0][2], EXACT);
      // Step 2, u: still ‖g‖ = 0, local = 1;  b₂ = 0.9·0.05u₀ + 0.1·0.5·0.95u₀ = 0.0925u₀
      //   u₂ = 0.95u₀ - 0.0925u₀ = 0.8575u₀ = (0.5145, -0.686)
      assertEquals(0.5145, x[1][0], EXACT);
      assertEquals(-0.686, x[1][1], EXACT);
    }
  }
}
