package io.github.tftrain.optimizers;

import io.github.tftrain.optimizers.reference.ReferenceAdamax;
import io.github.tftrain.optimizers.schedule.Schedule;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Adamax against its torch-semantics reference on the regression problem. */
class AdamaxTrajectoryTest {
  private static final int STEPS = 20;

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void defaultsScalarLoss(boolean float64) {
    Trajectories.compare("adamax defaults", false, float64, STEPS, Adamax::new, ReferenceAdamax::new);
  }

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void weightDecayAndCosineSchedule(boolean float64) {
    Schedule lr = Schedule.cosine(0.05, STEPS, 0.005);
    Trajectories.compare(
        "adamax weight decay",
        true,
        float64,
        STEPS,
        g -> Adamax.builder().lr(lr).beta1(0.8).beta2(0.9).eps(0.05).weightDecay(0.05).build(g),
        x0 -> {
          ReferenceAdamax r = new ReferenceAdamax(x0);
          r.lr = lr::valueAt;
          r.beta1 = 0.8;
          r.beta2 = 0.9;
          r.eps = 0.05;
          r.weightDecay = 0.05;
          return r;
        });
  }
}
