package io.github.tftrain.optimizers;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.tftrain.optimizers.schedule.Schedule;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.GraphOperation;
import org.tensorflow.op.Op;

/**
 * Every optimizer with a {@code kernel} key runs the same update on both kernels: 20 steps with weight decay (where
 * the optimizer has it) and a cosine schedule, native against graph, every variable after every step. The graph
 * version is the one tested against the plain-Java references; the native one computes the same expression in one
 * fused pass (in double precision, so float32 runs agree to float32 round-off, float64 runs to the last bits).
 */
class FusedKernelTest {
  private static final int STEPS = 20;

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (OptimizerSpec spec : Optimizers.specs()) {
      if (spec.hyperparameter("kernel") != null) {
        out.add(Arguments.of(spec.name(), true));
        out.add(Arguments.of(spec.name(), false));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} float64={1}")
  @MethodSource("cases")
  void nativeEqualsGraph(String name, boolean float64) {
    Kernels.require(UpdateKernel.NATIVE);
    double[][][] graph = run(name, float64, "graph");
    double[][][] fused = run(name, float64, "native");
    // The element-wise optimizers run the same operations in the same order on both kernels: bitwise equal.
    // KaFiStO and Apollo have hand-written kernels (other operation orders): float round-off.
    boolean handWritten = name.equals("kafisto") || name.equals("apollo");
    double tolerance = handWritten ? (float64 ? 1e-12 : 2e-5) : 0;
    for (int step = 0; step < STEPS; step++) {
      Trajectories.assertClose(name + " after step " + (step + 1), graph[step], fused[step], tolerance);
    }
  }

  private static double[][][] run(String name, boolean float64, String kernel) {
    RegressionProblem problem = new RegressionProblem(STEPS, true);
    try (RegressionProblem.InGraph g = problem.new InGraph(float64)) {
      OptimizerBuilder<?, ?> builder = Optimizers.builder(name).set("kernel", kernel);
      builder.lr(Schedule.cosine(builder.baseLearningRate(), STEPS, 0));
      if (builder.keys().contains("weightDecay")) {
        builder.set("weightDecay", "0.05");
      }
      if (builder.keys().contains("weightDecayMode")) {
        builder.set("weightDecayMode", "decoupled");
      }
      LossAwareOptimizer optimizer = builder.build(g.graph);
      Op train = optimizer.minimize(g.loss());
      boolean usesNative = false;
      for (Iterator<GraphOperation> it = g.graph.operations(); it.hasNext(); ) {
        usesNative |= it.next().type().startsWith("Tftrain");
      }
      assertTrue(usesNative == kernel.equals("native"), name + " with kernel=" + kernel);
      double[][][] points = new double[STEPS][][];
      for (int step = 0; step < STEPS; step++) {
        g.run(train, step, List.of());
        points[step] = g.values();
      }
      return points;
    }
  }
}
