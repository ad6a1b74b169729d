package io.github.tftrain.optimizers;

import io.github.tftrain.optimizers.reference.ReferenceAdadelta;
import io.github.tftrain.optimizers.schedule.Schedule;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Adadelta against its torch-semantics reference on the regression problem. */
class AdadeltaTrajectoryTest {
  private static final int STEPS = 20;

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void defaultsScalarLoss(boolean float64) {
    Trajectories.compare("adadelta defaults", false, float64, STEPS, Adadelta::new, ReferenceAdadelta::new);
  }

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void weightDecayAndCosineSchedule(boolean float64) {
    Schedule lr = Schedule.cosine(2.0, STEPS, 0.5);
    Trajectories.compare(
        "adadelta weight decay",
        true,
        float64,
        STEPS,
        g -> Adadelta.builder().lr(lr).rho(0.7).eps(1e-3).weightDecay(0.05).build(g),
        x0 -> {
          ReferenceAdadelta r = new ReferenceAdadelta(x0);
          r.lr = lr::valueAt;
          r.rho = 0.7;
          r.eps = 1e-3;
          r.weightDecay = 0.05;
          return r;
        });
  }
}
