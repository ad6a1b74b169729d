package io.github.tftrain.optimizers;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.tftrain.optimizers.reference.ReferenceSignum;
import io.github.tftrain.optimizers.schedule.Schedule;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Signum and signSGD against the plain-Java reference on the regression problem. As for Lion (see
 * {@link LionTrajectoryTest}), each run asserts that the smallest |m| whose sign was taken stays well above float32's
 * round-off, so float32 and the reference never disagree on a sign and the 2e-4 tolerance holds.
 */
class SignumTrajectoryTest {
  private static final int STEPS = 20;

  private static void assertAwayFromSignFlips(ReferenceSignum[] reference) {
    assertTrue(
        reference[0].smallestSignArgument > LionTrajectoryTest.SIGN_MARGIN,
        "the run comes within " + reference[0].smallestSignArgument + " of a sign flip");
  }

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void momentumWithCosineSchedule(boolean float64) {
    Schedule lr = Schedule.cosine(0.02, STEPS, 0.002);
    ReferenceSignum[] reference = new ReferenceSignum[1];
    Trajectories.compare(
        "signum",
        true,
        float64,
        STEPS,
        g -> Signum.builder().lr(lr).momentum(0.9).build(g),
        x0 -> {
          ReferenceSignum r = new ReferenceSignum(x0);
          r.lr = lr::valueAt;
          r.momentum = 0.9;
          return reference[0] = r;
        });
    assertAwayFromSignFlips(reference);
  }

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void signSgdWithStepSchedule(boolean float64) {
    Schedule lr = Schedule.step(0.03, 7, 0.5);
    ReferenceSignum[] reference = new ReferenceSignum[1];
    Trajectories.compare(
        "signsgd",
        false,
        float64,
        STEPS,
        g -> Signum.builder().lr(lr).momentum(0).build(g),
        x0 -> {
          ReferenceSignum r = new ReferenceSignum(x0);
          r.lr = lr::valueAt;
          r.momentum = 0;
          return reference[0] = r;
        });
    assertAwayFromSignFlips(reference);
  }

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void defaultsScalarLoss(boolean float64) {
    ReferenceSignum[] reference = new ReferenceSignum[1];
    Trajectories.compare(
        "signum defaults", false, float64, STEPS, Signum::new, x0 -> reference[0] = new ReferenceSignum(x0));
    assertAwayFromSignFlips(reference);
  }
}
