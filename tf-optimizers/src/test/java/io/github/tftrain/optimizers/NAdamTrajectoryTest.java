package io.github.tftrain.optimizers;

import io.github.tftrain.optimizers.reference.ReferenceNAdam;
import io.github.tftrain.optimizers.schedule.Schedule;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** NAdam against its torch-semantics reference on the regression problem. */
class NAdamTrajectoryTest {
  private static final int STEPS = 20;

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void defaultsScalarLoss(boolean float64) {
    Trajectories.compare("nadam defaults", false, float64, STEPS, NAdam::new, ReferenceNAdam::new);
  }

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void momentumDecayWeightDecayAndCosineSchedule(boolean float64) {
    Schedule lr = Schedule.cosine(0.05, STEPS, 0.005);
    Trajectories.compare(
        "nadam momentumDecay",
        true,
        float64,
        STEPS,
        g -> NAdam.builder().lr(lr).beta1(0.8).beta2(0.95).eps(1e-6).momentumDecay(0.3).weightDecay(0.05).build(g),
        x0 -> {
          ReferenceNAdam r = new ReferenceNAdam(x0);
          r.lr = lr::valueAt;
          r.beta1 = 0.8;
          r.beta2 = 0.95;
          r.eps = 1e-6;
          r.momentumDecay = 0.3;
          r.weightDecay = 0.05;
          return r;
        });
  }
}
