package io.github.tftrain.optimizers;

import io.github.tftrain.optimizers.schedule.Schedule;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.op.Op;

/**
 * The Adagrad, RMSprop and Adadelta cases {@link FusedKernelTest}'s defaults do not reach (lrDecay and
 * initialAccumulator; centered and momentum; other ρ and eps; L2 and decoupled decay), native against graph, bitwise.
 * Adadelta's non-default cases are the ones that show whether its native pass follows Grappler's rsqrt rewrite of
 * the graph's quotient of square roots (with the defaults the differences happened to vanish).
 */
class TorchElementwiseKernelsTest {
  private static final int STEPS = 20;

  static Stream<Arguments> cases() {
    String[][] configs = {
      {"adagrad", "lrDecay=0.1", "initialAccumulator=0.7", "eps=1e-3", "weightDecay=0.05"},
      {"adagrad", "lrDecay=0.5", "initialAccumulator=3", "eps=0.5", "weightDecay=0.05", "weightDecayMode=decoupled"},
      {"rmsprop", "centered=true", "alpha=0.95", "weightDecay=0.01"},
      {"rmsprop", "momentum=0.8"},
      {"rmsprop", "momentum=0.5", "centered=true", "alpha=0.9", "weightDecay=0.02", "weightDecayMode=decoupled"},
      {"adadelta", "weightDecay=0.05"},
      {"adadelta", "rho=0.7", "weightDecay=0.05", "weightDecayMode=decoupled"},
      {"adadelta", "eps=1e-3"},
      {"adadelta", "rho=0.7", "eps=1e-3", "weightDecay=0.05"},
    };
    List<Arguments> out = new ArrayList<>();
    for (String[] config : configs) {
      out.add(Arguments.of(String.join(" ", config), true));
      out.add(Arguments.of(String.join(" ", config), false));
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} float64={1}")
  @MethodSource("cases")
  void nativeEqualsGraph(String config, boolean float64) {
    Kernels.require(UpdateKernel.NATIVE);
    double[][][] graph = run(config, float64, "graph");
    double[][][] fused = run(config, float64, "native");
    for (int step = 0; step < STEPS; step++) {
      Trajectories.assertClose(config + " after step " + (step + 1), graph[step], fused[step], 0);
    }
  }

  private static double[][][] run(String config, boolean float64, String kernel) {
    String[] words = config.split(" ");
    RegressionProblem problem = new RegressionProblem(STEPS, true);
    try (RegressionProblem.InGraph g = problem.new InGraph(float64)) {
      OptimizerBuilder<?, ?> builder = Optimizers.builder(words[0]).set("kernel", kernel);
      builder.lr(Schedule.cosine(builder.baseLearningRate(), STEPS, 0));
      for (int i = 1; i < words.length; i++) {
        String[] keyValue = words[i].split("=");
        builder.set(keyValue[0], keyValue[1]);
      }
      Op train = builder.build(g.graph).minimize(g.loss());
      double[][][] points = new double[STEPS][][];
      for (int step = 0; step < STEPS; step++) {
        g.run(train, step, List.of());
        points[step] = g.values();
      }
      return points;
    }
  }
}
