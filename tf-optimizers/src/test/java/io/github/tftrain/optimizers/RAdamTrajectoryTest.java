package io.github.tftrain.optimizers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.tftrain.optimizers.reference.ReferenceRAdam;
import io.github.tftrain.optimizers.schedule.Schedule;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * RAdam against its torch-semantics reference on the regression problem. With β2 = 0.999 (and 0.9) ρ_t first
 * exceeds 5 at step 6, so each run takes the unrectified branch for 5 steps and the rectified one for 15.
 */
class RAdamTrajectoryTest {
  private static final int STEPS = 20;

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void defaultsScalarLoss(boolean float64) {
    AtomicReference<ReferenceRAdam> ref = new AtomicReference<>();
    Trajectories.compare(
        "radam defaults", false, float64, STEPS, RAdam::new, x0 -> {
          ref.set(new ReferenceRAdam(x0));
          return ref.get();
        });
    assertEquals(STEPS - 5, ref.get().rectifiedSteps());
  }

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void weightDecayAndCosineSchedule(boolean float64) {
    Schedule lr = Schedule.cosine(0.05, STEPS, 0.005);
    AtomicReference<ReferenceRAdam> ref = new AtomicReference<>();
    Trajectories.compare(
        "radam weight decay",
        true,
        float64,
        STEPS,
        g -> RAdam.builder().lr(lr).beta1(0.8).beta2(0.9).eps(1e-4).weightDecay(0.05).build(g),
        x0 -> {
          ReferenceRAdam r = new ReferenceRAdam(x0);
          r.lr = lr::valueAt;
          r.beta1 = 0.8;
          r.beta2 = 0.9;
          r.eps = 1e-4;
          r.weightDecay = 0.05;
          ref.set(r);
          return r;
        });
    assertEquals(STEPS - 5, ref.get().rectifiedSteps());
  }
}
