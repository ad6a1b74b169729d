package io.github.tftrain.optimizers;

import io.github.tftrain.optimizers.reference.ReferenceAdagrad;
import io.github.tftrain.optimizers.schedule.Schedule;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Adagrad against its torch-semantics reference on the regression problem. */
class AdagradTrajectoryTest {
  private static final int STEPS = 20;

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void defaultsScalarLoss(boolean float64) {
    Trajectories.compare("adagrad defaults", false, float64, STEPS, Adagrad::new, ReferenceAdagrad::new);
  }

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void lrDecayWithWeightDecayAndCosineSchedule(boolean float64) {
    Schedule lr = Schedule.cosine(0.2, STEPS, 0.01);
    Trajectories.compare(
        "adagrad lrDecay",
        true,
        float64,
        STEPS,
        g -> Adagrad.builder().lr(lr).lrDecay(0.1).weightDecay(0.05).eps(1e-3).build(g),
        x0 -> {
          ReferenceAdagrad r = new ReferenceAdagrad(x0);
          r.lr = lr::valueAt;
          r.lrDecay = 0.1;
          r.weightDecay = 0.05;
          r.eps = 1e-3;
          return r;
        });
  }

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void initialAccumulatorWithStepSchedule(boolean float64) {
    Schedule lr = Schedule.step(0.3, 7, 0.5);
    Trajectories.compare(
        "adagrad initialAccumulator",
        true,
        float64,
        STEPS,
        g -> Adagrad.builder().lr(lr).initialAccumulator(0.7).weightDecay(0.01).build(g),
        x0 -> {
          ReferenceAdagrad r = new ReferenceAdagrad(x0, 0.7);
          r.lr = lr::valueAt;
          r.weightDecay = 0.01;
          return r;
        });
  }
}
