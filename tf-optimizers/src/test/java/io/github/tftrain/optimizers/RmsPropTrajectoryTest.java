package io.github.tftrain.optimizers;

import io.github.tftrain.optimizers.reference.ReferenceRmsProp;
import io.github.tftrain.optimizers.schedule.Schedule;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** RMSprop against its torch-semantics reference on the regression problem: plain, centered, momentum, both. */
class RmsPropTrajectoryTest {
  private static final int STEPS = 20;

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void defaultsScalarLoss(boolean float64) {
    Trajectories.compare("rmsprop defaults", false, float64, STEPS, RmsProp::new, ReferenceRmsProp::new);
  }

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void weightDecayAndCosineSchedule(boolean float64) {
    Schedule lr = Schedule.cosine(0.02, STEPS, 0.001);
    Trajectories.compare(
        "rmsprop weight decay",
        true,
        float64,
        STEPS,
        g -> RmsProp.builder().lr(lr).alpha(0.9).eps(1e-4).weightDecay(0.05).build(g),
        x0 -> {
          ReferenceRmsProp r = new ReferenceRmsProp(x0);
          r.lr = lr::valueAt;
          r.alpha = 0.9;
          r.eps = 1e-4;
          r.weightDecay = 0.05;
          return r;
        });
  }

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void centered(boolean float64) {
    Trajectories.compare(
        "rmsprop centered",
        true,
        float64,
        STEPS,
        g -> RmsProp.builder().lr(0.01).alpha(0.95).centered(true).weightDecay(0.01).build(g),
        x0 -> {
          ReferenceRmsProp r = new ReferenceRmsProp(x0);
          r.lr = s -> 0.01;
          r.alpha = 0.95;
          r.centered = true;
          r.weightDecay = 0.01;
          return r;
        });
  }

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void momentumWithStepSchedule(boolean float64) {
    Schedule lr = Schedule.step(0.01, 6, 0.5);
    Trajectories.compare(
        "rmsprop momentum",
        false,
        float64,
        STEPS,
        g -> RmsProp.builder().lr(lr).momentum(0.8).build(g),
        x0 -> {
          ReferenceRmsProp r = new ReferenceRmsProp(x0);
          r.lr = lr::valueAt;
          r.momentum = 0.8;
          return r;
        });
  }

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void centeredMomentum(boolean float64) {
    Schedule lr = Schedule.cosine(0.01, STEPS, 0.0);
    Trajectories.compare(
        "rmsprop centered momentum",
        true,
        float64,
        STEPS,
        g -> RmsProp.builder().lr(lr).alpha(0.9).momentum(0.5).centered(true).weightDecay(0.02).build(g),
        x0 -> {
          ReferenceRmsProp r = new ReferenceRmsProp(x0);
          r.lr = lr::valueAt;
          r.alpha = 0.9;
          r.momentum = 0.5;
          r.centered = true;
          r.weightDecay = 0.02;
          return r;
        });
  }
}
