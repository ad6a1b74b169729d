package io.github.tftrain.optimizers;

import io.github.tftrain.optimizers.reference.ReferenceAdaBelief;
import io.github.tftrain.optimizers.schedule.Schedule;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** AdaBelief against its plain-Java reference. */
class AdaBeliefTrajectoryTest {
  private static final int STEPS = 20;

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void defaults(boolean float64) {
    Trajectories.compare("adabelief defaults", true, float64, STEPS, AdaBelief::new, ReferenceAdaBelief::new);
  }

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void decoupledWeightDecayAndCosineSchedule(boolean float64) {
    Schedule lr = Schedule.cosine(0.05, STEPS, 0);
    Trajectories.compare(
        "adabelief",
        true,
        float64,
        STEPS,
        g -> AdaBelief.builder().lr(lr).weightDecay(0.1).build(g),
        x0 -> {
          ReferenceAdaBelief r = new ReferenceAdaBelief(x0);
          r.lr = lr::valueAt;
          r.weightDecay = 0.1;
          return r;
        });
  }

  /** A large eps (the "non-adaptive" setting the authors recommend where SGD does well), other betas, scalar loss. */
  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void largeEpsOtherBetasStepSchedule(boolean float64) {
    Schedule lr = Schedule.step(0.03, 6, 0.5);
    Trajectories.compare(
        "adabelief eps 1e-2",
        false,
        float64,
        STEPS,
        g -> AdaBelief.builder().lr(lr).beta1(0.8).beta2(0.99).eps(1e-2).weightDecay(0.02).build(g),
        x0 -> {
          ReferenceAdaBelief r = new ReferenceAdaBelief(x0);
          r.lr = lr::valueAt;
          r.beta1 = 0.8;
          r.beta2 = 0.99;
          r.eps = 1e-2;
          r.weightDecay = 0.02;
          return r;
        });
  }
}
