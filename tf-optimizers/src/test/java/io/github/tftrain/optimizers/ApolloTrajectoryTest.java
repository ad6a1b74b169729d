package io.github.tftrain.optimizers;

import io.github.tftrain.optimizers.Apollo.Rebound;
import io.github.tftrain.optimizers.Apollo.WeightDecayType;
import io.github.tftrain.optimizers.reference.ReferenceApollo;
import io.github.tftrain.optimizers.schedule.Schedule;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Apollo graph trajectories against the plain-Java reference of the authors' algorithm. */
class ApolloTrajectoryTest {
  private static final int STEPS = 20;

  /**
   * Apollo divides by small quantities (D >= sigma = 0.01, and belief's max|g - m| is a difference of close float32
   * numbers), so float32 round-off grows faster than for the other methods. Float64 runs are held to 1e-9; float32
   * runs check the dtype path, where a wrong cast or formula shows up as an error of order 1.
   */
  private static double tolerance(boolean float64) {
    return float64 ? Trajectories.FLOAT64_TOLERANCE : 3e-3;
  }

  static Stream<Arguments> cases() {
    Stream.Builder<Arguments> cases = Stream.builder();
    for (UpdateKernel kernel : new UpdateKernel[] {UpdateKernel.GRAPH, UpdateKernel.NATIVE}) {
      for (boolean float64 : new boolean[] {true, false}) {
        for (Rebound rebound : Rebound.values()) {
          for (WeightDecayType type : WeightDecayType.values()) {
            cases.add(Arguments.of(rebound, type, float64, kernel));
          }
        }
      }
    }
    return cases.build();
  }

  /** Warmup of 6 steps, then a multi-step schedule: both phases of curLr are exercised. */
  @ParameterizedTest(name = "{0} rebound, {1} decay, float64={2}, kernel={3}")
  @MethodSource("cases")
  void matchesReference(Rebound rebound, WeightDecayType decayType, boolean float64, UpdateKernel kernel) {
    Kernels.require(kernel);
    Schedule lr = Schedule.multiStep(0.05, new long[] {12}, 0.5);
    Trajectories.compare(
        "apollo " + rebound + "/" + decayType,
        true,
        float64,
        STEPS,
        g ->
            Apollo.builder()
                .kernel(kernel)
                .lr(lr)
                .rebound(rebound)
                .warmup(6)
                .weightDecay(0.01)
                .weightDecayType(decayType)
                .build(g),
        x0 -> {
          ReferenceApollo r = new ReferenceApollo(x0);
          r.lr = lr::valueAt;
          r.baseLr = 0.05;
          r.initLr = 0.05 / 1000;
          r.belief = rebound == Rebound.BELIEF;
          r.warmup = 6;
          r.weightDecay = 0.01;
          r.weightDecayType = decayType.name().toLowerCase();
          return r;
        },
        tolerance(float64));
  }

  @ParameterizedTest(name = "float64={0}, kernel={1}")
  @MethodSource("io.github.tftrain.optimizers.Kernels#precisionsAndKernels")
  void defaultsWithScalarLossAndExplicitInitLr(boolean float64, UpdateKernel kernel) {
    Kernels.require(kernel);
    Trajectories.compare(
        "apollo defaults",
        false,
        float64,
        STEPS,
        g -> Apollo.builder().kernel(kernel).warmup(3).initLr(0.002).sigma(0.05).eps(1e-3).beta(0.8).build(g),
        x0 -> {
          ReferenceApollo r = new ReferenceApollo(x0);
          r.warmup = 3;
          r.initLr = 0.002;
          r.sigma = 0.05;
          r.eps = 1e-3;
          r.beta = 0.8;
          return r;
        },
        tolerance(float64));
  }
}
