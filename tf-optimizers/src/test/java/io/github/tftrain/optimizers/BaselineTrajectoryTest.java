package io.github.tftrain.optimizers;

import io.github.tftrain.optimizers.reference.ReferenceAdam;
import io.github.tftrain.optimizers.reference.ReferenceSgd;
import io.github.tftrain.optimizers.schedule.Schedule;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** SGD, Adam and AdamW trajectories against torch-semantics references in plain Java. */
class BaselineTrajectoryTest {
  private static final int STEPS = 20;

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void plainSgd(boolean float64) {
    Trajectories.compare(
        "sgd", true, float64, STEPS, g -> Sgd.builder().lr(0.05).build(g), x0 -> {
          ReferenceSgd r = new ReferenceSgd(x0);
          r.lr = s -> 0.05;
          return r;
        });
  }

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void momentumSgdWithWeightDecayAndStepSchedule(boolean float64) {
    Schedule lr = Schedule.step(0.05, 7, 0.5);
    Trajectories.compare(
        "sgd momentum",
        false,
        float64,
        STEPS,
        g -> Sgd.builder().lr(lr).momentum(0.9).weightDecay(0.01).build(g),
        x0 -> {
          ReferenceSgd r = new ReferenceSgd(x0);
          r.lr = lr::valueAt;
          r.momentum = 0.9;
          r.weightDecay = 0.01;
          return r;
        });
  }

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void nesterovSgd(boolean float64) {
    Trajectories.compare(
        "sgd nesterov",
        true,
        float64,
        STEPS,
        g -> Sgd.builder().lr(0.03).momentum(0.8).nesterov(true).weightDecay(0.02).build(g),
        x0 -> {
          ReferenceSgd r = new ReferenceSgd(x0);
          r.lr = s -> 0.03;
          r.momentum = 0.8;
          r.nesterov = true;
          r.weightDecay = 0.02;
          return r;
        });
  }

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void adamWithL2AndCosineSchedule(boolean float64) {
    Schedule lr = Schedule.cosine(0.05, STEPS, 0.005);
    Trajectories.compare(
        "adam",
        true,
        float64,
        STEPS,
        g -> Adam.builder().lr(lr).weightDecay(0.01).eps(1e-6).build(g),
        x0 -> {
          ReferenceAdam r = new ReferenceAdam(x0);
          r.lr = lr::valueAt;
          r.weightDecay = 0.01;
          r.eps = 1e-6;
          return r;
        });
  }

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void adamDefaultsScalarLoss(boolean float64) {
    Trajectories.compare(
        "adam defaults", false, float64, STEPS, Adam::new, ReferenceAdam::new);
  }

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void adamWDecoupledDecay(boolean float64) {
    Schedule lr = Schedule.constant(0.04).withLinearWarmup(5, 0.1);
    Trajectories.compare(
        "adamw",
        true,
        float64,
        STEPS,
        g -> AdamW.builder().lr(lr).weightDecay(0.1).beta1(0.8).beta2(0.99).build(g),
        x0 -> {
          ReferenceAdam r = new ReferenceAdam(x0);
          r.lr = lr::valueAt;
          r.weightDecay = 0.1;
          r.decoupled = true;
          r.beta1 = 0.8;
          r.beta2 = 0.99;
          return r;
        });
  }
}
