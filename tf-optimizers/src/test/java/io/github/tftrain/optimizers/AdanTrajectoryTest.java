package io.github.tftrain.optimizers;

import io.github.tftrain.optimizers.reference.ReferenceAdan;
import io.github.tftrain.optimizers.schedule.Schedule;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Adan against its plain-Java reference on the regression problem: proximal and noProx weight decay. */
class AdanTrajectoryTest {
  private static final int STEPS = 20;

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void proximalWeightDecayAndCosineSchedule(boolean float64) {
    Schedule lr = Schedule.cosine(0.05, STEPS, 0.005);
    Trajectories.compare(
        "adan prox",
        true,
        float64,
        STEPS,
        g -> Adan.builder().lr(lr).weightDecay(0.2).build(g),
        x0 -> {
          ReferenceAdan r = new ReferenceAdan(x0);
          r.lr = lr::valueAt;
          r.weightDecay = 0.2;
          return r;
        });
  }

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void noProxWeightDecayBetasAndStepSchedule(boolean float64) {
    Schedule lr = Schedule.step(0.05, 7, 0.5);
    Trajectories.compare(
        "adan noProx",
        false,
        float64,
        STEPS,
        g -> Adan.builder().lr(lr).beta1(0.9).beta2(0.8).beta3(0.95).eps(1e-6).weightDecay(0.2).noProx(true).build(g),
        x0 -> {
          ReferenceAdan r = new ReferenceAdan(x0);
          r.lr = lr::valueAt;
          r.beta1 = 0.9;
          r.beta2 = 0.8;
          r.beta3 = 0.95;
          r.eps = 1e-6;
          r.weightDecay = 0.2;
          r.noProx = true;
          return r;
        });
  }

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void defaultsScalarLoss(boolean float64) {
    Trajectories.compare("adan defaults", false, float64, STEPS, Adan::new, ReferenceAdan::new);
  }
}
