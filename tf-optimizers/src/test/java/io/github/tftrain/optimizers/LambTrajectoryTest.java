package io.github.tftrain.optimizers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.tftrain.optimizers.reference.ReferenceLamb;
import io.github.tftrain.optimizers.schedule.Schedule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.op.Op;

/** LAMB against its plain-Java reference, and its trust-ratio fallbacks. */
class LambTrajectoryTest {
  private static final int STEPS = 20;
  private static final double EXACT = 1e-12;

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void defaults(boolean float64) {
    Trajectories.compare("lamb defaults", true, float64, STEPS, Lamb::new, ReferenceLamb::new);
  }

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void weightDecayAndCosineSchedule(boolean float64) {
    Schedule lr = Schedule.cosine(0.05, STEPS, 0);
    Trajectories.compare(
        "lamb",
        true,
        float64,
        STEPS,
        g -> Lamb.builder().lr(lr).weightDecay(0.1).build(g),
        x0 -> {
          ReferenceLamb r = new ReferenceLamb(x0);
          r.lr = lr::valueAt;
          r.weightDecay = 0.1;
          return r;
        });
  }

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void otherBetasEpsScalarLossStepSchedule(boolean float64) {
    Schedule lr = Schedule.step(0.03, 7, 0.5);
    Trajectories.compare(
        "lamb betas",
        false,
        float64,
        STEPS,
        g -> Lamb.builder().lr(lr).beta1(0.8).beta2(0.99).eps(1e-3).weightDecay(0.01).build(g),
        x0 -> {
          ReferenceLamb r = new ReferenceLamb(x0);
          r.lr = lr::valueAt;
          r.beta1 = 0.8;
          r.beta2 = 0.99;
          r.eps = 1e-3;
          r.weightDecay = 0.01;
          return r;
        });
  }

  /**
   * w starts at 0 (‖x‖ = 0 on step 1) and u never gets a gradient; with weight decay u's r = wd·u has a norm, without
   * it ‖r‖ = 0 on every step. The fallback ratio 1 must be taken where the reference takes it.
   */
  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void zeroNormFallbacks(boolean float64) {
    for (double wd : new double[] {0, 0.5}) {
      Schedule lr = Schedule.cosine(0.1, STEPS, 0.01);
      ReferenceLamb[] ref = new ReferenceLamb[1];
      ZeroNormProblem.compare(
          "lamb zero norms, wd " + wd,
          float64,
          STEPS,
          g -> Lamb.builder().lr(lr).weightDecay(wd).build(g),
          x0 -> {
            ref[0] = new ReferenceLamb(x0);
            ref[0].lr = lr::valueAt;
            ref[0].weightDecay = wd;
            return ref[0];
          });
      // w on step 1; u on every step without weight decay
      assertEquals(wd == 0 ? 1 + STEPS : 1, ref[0].fallbacks, "fallbacks with wd " + wd);
    }
  }

  /**
   * Step 1 on the zero-norm problem by hand: lr 0.1, wd 0.5, eps 1e-6, β1 0.9, β2 0.999, target (1, -2, 0.5).
   */
  @Test
  void firstStepOfZeroNormsByHand() {
    double eps = 1e-6;
    try (ZeroNormProblem.InGraph g = new ZeroNormProblem.InGraph(true)) {
      Op train = Lamb.builder().lr(0.1).weightDecay(0.5).build(g.graph).minimize(g.loss);
      g.values();
      g.session.runner().addTarget(train).run();
      double[][] x = g.values();
      // w: g = w - target = (-1, 2, -0.5);  m/bc1 = 0.1g/0.1 = g,  v/bc2 = 0.001g²/0.001 = g²
      //    r = g/(|g| + eps) + 0.5·0 = (-1/(1 + eps), 2/(2 + eps), -0.5/(0.5 + eps));  ‖w‖ = 0: ratio 1
      //    w₁ = 0 - 0.1·r
      assertEquals(0.1 / (1 + eps), x[0][0], EXACT);
      assertEquals(-0.2 / (2 + eps), x[0][1], EXACT);
      assertEquals(0.05 / (0.5 + eps), x[0][2], EXACT);
      // u: g = 0, so m = v = 0 and r = 0/(0 + eps) + 0.5·u₀ = 0.5·u₀;  ratio = ‖u₀‖/‖0.5·u₀‖ = 2
      //    u₁ = u₀ - 0.1·2·0.5·u₀ = 0.9·u₀ = (0.54, -0.72)
      assertEquals(0.54, x[1][0], EXACT);
      assertEquals(-0.72, x[1][1], EXACT);
    }
  }

  @Test
  void theRegressionNeverFallsBack() {
    ReferenceLamb[] ref = new ReferenceLamb[1];
    Trajectories.compare(
        "lamb", true, true, 3, Lamb::new, x0 -> {
          ref[0] = new ReferenceLamb(x0);
          return ref[0];
        });
    assertTrue(ref[0].fallbacks == 0, "the regression's variables and directions are never zero");
  }
}
