package io.github.tftrain.optimizers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.tftrain.optimizers.schedule.Schedule;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.tensorflow.op.Op;

/**
 * Apollo's {@code learningRate()} (what the trainer logs as {@code lr}) is the rate the step applies: the warmup's
 * value during warmup, the schedule's after it. Values are derived by hand from curLr = initLr + (lr - initLr) t /
 * warmup, t = the step's 0-based index.
 */
class ApolloLearningRateTest {

  /** warmup 500 from initLr 1e-5 to lr 0.01 (the authors' CIFAR setting): step 1 applies 1e-5, not 0.01. */
  @ParameterizedTest(name = "kernel={0}")
  @EnumSource(value = UpdateKernel.class, names = {"GRAPH", "NATIVE"})
  void reportsTheWarmedUpRateDuringWarmup(UpdateKernel kernel) {
    Kernels.require(kernel);
    RegressionProblem problem = new RegressionProblem(6, true);
    try (RegressionProblem.InGraph g = problem.new InGraph(false)) {
      Apollo apollo = Apollo.builder().kernel(kernel).lr(0.01).warmup(500).initLr(1e-5).build(g.graph);
      Op train = apollo.minimize(g.loss());
      for (int step = 0; step < 6; step++) {
        double lr = g.run(train, step, List.of(apollo.learningRate()))[0];
        // step k (1-based) has t = k - 1
        double expected = 1e-5 + (0.01 - 1e-5) / 500 * step;
        assertEquals(expected, lr, 1e-18, kernel + ": lr of step " + (step + 1));
        if (step == 0) {
          assertEquals(1e-5, lr, 0.0, kernel + ": step 1 applies initLr");
        }
      }
    }
  }

  /** warmup 3, then a multi-step schedule (0.05, x0.5 from t = 5): the warmup's values, then the schedule's. */
  @ParameterizedTest(name = "kernel={0}")
  @EnumSource(value = UpdateKernel.class, names = {"GRAPH", "NATIVE"})
  void reportsTheScheduleAfterWarmup(UpdateKernel kernel) {
    Kernels.require(kernel);
    RegressionProblem problem = new RegressionProblem(7, true);
    try (RegressionProblem.InGraph g = problem.new InGraph(true)) {
      Apollo apollo =
          Apollo.builder().kernel(kernel).lr(Schedule.multiStep(0.05, new long[] {5}, 0.5)).warmup(3).initLr(0.002)
              .build(g.graph);
      Op train = apollo.minimize(g.loss());
      double[] expected = {
        0.002, 0.002 + (0.05 - 0.002) / 3, 0.002 + (0.05 - 0.002) / 3 * 2, 0.05, 0.05, 0.025, 0.025
      };
      for (int step = 0; step < expected.length; step++) {
        double lr = g.run(train, step, List.of(apollo.learningRate()))[0];
        assertEquals(expected[step], lr, 1e-17, kernel + ": lr of step " + (step + 1));
      }
    }
  }
}
