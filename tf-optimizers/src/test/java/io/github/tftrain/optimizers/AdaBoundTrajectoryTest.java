package io.github.tftrain.optimizers;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.tftrain.optimizers.reference.ReferenceAdaBound;
import io.github.tftrain.optimizers.schedule.Schedule;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** AdaBound against its plain-Java reference. */
class AdaBoundTrajectoryTest {
  private static final int STEPS = 20;

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void defaults(boolean float64) {
    Trajectories.compare("adabound defaults", false, float64, STEPS, AdaBound::new, ReferenceAdaBound::new);
  }

  /**
   * Fast-converging bounds (γ 0.2: lower 0.017 → 0.08, upper 0.6 → 0.125 over the 20 steps), a large lr on a cosine
   * schedule and L2 weight decay: the per-element rates are cut to either bound or lie between them, so every branch
   * of the clamp runs.
   */
  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void bothBoundsWithL2AndCosineSchedule(boolean float64) {
    Schedule lr = Schedule.cosine(0.2, STEPS, 0.02);
    ReferenceAdaBound[] ref = new ReferenceAdaBound[1];
    Trajectories.compare(
        "adabound l2",
        true,
        float64,
        STEPS,
        g -> AdaBound.builder().lr(lr).finalLr(0.1).gamma(0.2).weightDecay(0.05).build(g),
        x0 -> {
          ref[0] = new ReferenceAdaBound(x0);
          ref[0].lr = lr::valueAt;
          ref[0].finalLr = 0.1;
          ref[0].gamma = 0.2;
          ref[0].weightDecay = 0.05;
          return ref[0];
        });
    assertTrue(ref[0].atLower > 0, "never at the lower bound");
    assertTrue(ref[0].atUpper > 0, "never at the upper bound");
    assertTrue(ref[0].inside > 0, "never between the bounds");
  }

  /** The base's decoupled decay instead (x(1 − lr·wd) − clamp(…)·m), other betas and eps, a step schedule. */
  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void decoupledWeightDecayAndStepSchedule(boolean float64) {
    Schedule lr = Schedule.step(0.01, 5, 0.5);
    Trajectories.compare(
        "adabound decoupled",
        false,
        float64,
        STEPS,
        g ->
            AdaBound.builder()
                .lr(lr)
                .finalLr(0.05)
                .gamma(0.01)
                .beta1(0.8)
                .beta2(0.99)
                .eps(1e-6)
                .weightDecay(0.2)
                .set(CommonHyperparameters.WEIGHT_DECAY_MODE, WeightDecayMode.DECOUPLED)
                .build(g),
        x0 -> {
          ReferenceAdaBound r = new ReferenceAdaBound(x0);
          r.lr = lr::valueAt;
          r.finalLr = 0.05;
          r.gamma = 0.01;
          r.beta1 = 0.8;
          r.beta2 = 0.99;
          r.eps = 1e-6;
          r.weightDecay = 0.2;
          r.decoupled = true;
          return r;
        });
  }
}
