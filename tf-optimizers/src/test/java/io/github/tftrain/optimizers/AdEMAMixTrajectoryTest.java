package io.github.tftrain.optimizers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.tftrain.optimizers.reference.ReferenceAdEMAMix;
import io.github.tftrain.optimizers.schedule.Schedule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** AdEMAMix against its plain-Java reference on the regression problem, with and without the α and β3 warmups. */
class AdEMAMixTrajectoryTest {
  private static final int STEPS = 20;

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void decoupledWeightDecayAndCosineSchedule(boolean float64) {
    Schedule lr = Schedule.cosine(0.05, STEPS, 0.005);
    Trajectories.compare(
        "ademamix",
        true,
        float64,
        STEPS,
        g -> AdEMAMix.builder().lr(lr).beta3(0.99).weightDecay(0.1).build(g),
        x0 -> {
          ReferenceAdEMAMix r = new ReferenceAdEMAMix(x0);
          r.lr = lr::valueAt;
          r.beta3 = 0.99;
          r.weightDecay = 0.1;
          return r;
        });
  }

  /** Both warmups end inside the run (Tα = 8, T = 12), so both the ramps and the capped values are compared. */
  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void warmupsWithStepSchedule(boolean float64) {
    Schedule lr = Schedule.step(0.05, 7, 0.5);
    Trajectories.compare(
        "ademamix warmups",
        false,
        float64,
        STEPS,
        g ->
            AdEMAMix.builder()
                .lr(lr)
                .beta1(0.8)
                .beta2(0.99)
                .beta3(0.995)
                .alpha(3)
                .eps(1e-6)
                .alphaWarmup(8)
                .beta3Warmup(12)
                .weightDecay(0.05)
                .build(g),
        x0 -> {
          ReferenceAdEMAMix r = new ReferenceAdEMAMix(x0);
          r.lr = lr::valueAt;
          r.beta1 = 0.8;
          r.beta2 = 0.99;
          r.beta3 = 0.995;
          r.alpha = 3;
          r.eps = 1e-6;
          r.alphaWarmup = 8;
          r.beta3Warmup = 12;
          r.weightDecay = 0.05;
          return r;
        });
  }

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void defaultsScalarLoss(boolean float64) {
    Trajectories.compare("ademamix defaults", false, float64, STEPS, AdEMAMix::new, ReferenceAdEMAMix::new);
  }

  /** The reference's schedules: α ramps linearly; β3 starts near β1, rises, and is β3 from T on. */
  @Test
  void warmupSchedulesByHand() {
    ReferenceAdEMAMix r = new ReferenceAdEMAMix(new double[][] {{0}});
    r.beta1 = 0.9;
    r.beta3 = 0.999;
    r.alpha = 4;
    r.alphaWarmup = 8;
    r.beta3Warmup = 10;
    assertEquals(0.5, r.alphaAt(1), 1e-15);
    assertEquals(2.0, r.alphaAt(4), 1e-15);
    assertEquals(4.0, r.alphaAt(8), 1e-15);
    assertEquals(4.0, r.alphaAt(100), 1e-15);
    // t = T/2: exp(ln β1 ln β3 / ((ln β1 + ln β3)/2)): 1/ln β(t) is the mean of 1/ln β1 and 1/ln β3
    double half = Math.exp(2 / (1 / Math.log(0.9) + 1 / Math.log(0.999)));
    assertEquals(half, r.beta3At(5), 1e-15);
    assertEquals(0.999, r.beta3At(10), 1e-15);
    assertEquals(0.999, r.beta3At(30), 1e-15);
  }

  @Test
  void beta3WarmupNeedsRisingPositiveBetas() {
    IllegalArgumentException zero =
        assertThrows(
            IllegalArgumentException.class, () -> AdEMAMix.builder().beta1(0).beta3Warmup(10).validate());
    assertEquals(
        "ademamix: beta1 must be > 0 with beta3Warmup > 0 (β3's warmup starts at β1), got 0.0", zero.getMessage());
    IllegalArgumentException falling =
        assertThrows(
            IllegalArgumentException.class,
            () -> AdEMAMix.builder().beta1(0.9).beta3(0.5).beta3Warmup(10).validate());
    assertEquals(
        "ademamix: beta3 must be >= beta1 = 0.9 with beta3Warmup > 0 (the warmup raises β3 from β1), got 0.5",
        falling.getMessage());
    AdEMAMix.builder().beta1(0).beta3(0.5).validate(); // without the warmup both are fine
  }
}
