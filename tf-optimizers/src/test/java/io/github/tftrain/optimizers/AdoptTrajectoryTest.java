package io.github.tftrain.optimizers;

import io.github.tftrain.optimizers.reference.ReferenceAdopt;
import io.github.tftrain.optimizers.schedule.Schedule;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** ADOPT against its plain-Java reference on the regression problem: clip on and off, L2 and decoupled decay. */
class AdoptTrajectoryTest {
  private static final int STEPS = 20;

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void clipWithL2WeightDecayAndCosineSchedule(boolean float64) {
    Schedule lr = Schedule.cosine(0.05, STEPS, 0.005);
    Trajectories.compare(
        "adopt clip l2",
        true,
        float64,
        STEPS,
        g -> Adopt.builder().lr(lr).beta2(0.99).weightDecay(0.1).build(g),
        x0 -> {
          ReferenceAdopt r = new ReferenceAdopt(x0);
          r.lr = lr::valueAt;
          r.beta2 = 0.99;
          r.weightDecay = 0.1;
          return r;
        });
  }

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void noClipWithDecoupledWeightDecayAndStepSchedule(boolean float64) {
    Schedule lr = Schedule.step(0.05, 7, 0.5);
    Trajectories.compare(
        "adopt noclip decoupled",
        false,
        float64,
        STEPS,
        g ->
            Adopt.builder()
                .lr(lr)
                .beta1(0.8)
                .beta2(0.9)
                .eps(1e-3)
                .clip(false)
                .weightDecay(0.2)
                .set("weightDecayMode", "decoupled")
                .build(g),
        x0 -> {
          ReferenceAdopt r = new ReferenceAdopt(x0);
          r.lr = lr::valueAt;
          r.beta1 = 0.8;
          r.beta2 = 0.9;
          r.eps = 1e-3;
          r.clip = false;
          r.weightDecay = 0.2;
          r.decoupled = true;
          return r;
        });
  }

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void defaultsScalarLoss(boolean float64) {
    Trajectories.compare("adopt defaults", false, float64, STEPS, Adopt::new, ReferenceAdopt::new);
  }
}
