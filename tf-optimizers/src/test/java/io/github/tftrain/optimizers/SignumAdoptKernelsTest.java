package io.github.tftrain.optimizers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.tftrain.optimizers.schedule.Schedule;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.GraphOperation;
import org.tensorflow.op.Op;
import org.tensorflow.op.core.Variable;

/**
 * The cases of Signum and ADOPT that {@link FusedKernelTest}'s defaults do not reach: signSGD (momentum 0, no slot)
 * and ADOPT's first step, whose selects must leave x and m bitwise as they were on both kernels.
 */
class SignumAdoptKernelsTest {
  private static final int STEPS = 20;

  /** signSGD: a program over x and g only (one state tensor), bitwise equal to the graph ops. */
  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void signSgdReadsOnlyTheGradientAndTheVariable(boolean float64) {
    Kernels.require(UpdateKernel.NATIVE);
    double[][][] graph = signSgd(float64, UpdateKernel.GRAPH);
    double[][][] fused = signSgd(float64, UpdateKernel.NATIVE);
    for (int step = 0; step < STEPS; step++) {
      Trajectories.assertClose("signsgd after step " + (step + 1), graph[step], fused[step], 0);
    }
  }

  private static double[][][] signSgd(boolean float64, UpdateKernel kernel) {
    RegressionProblem problem = new RegressionProblem(STEPS, true);
    try (RegressionProblem.InGraph g = problem.new InGraph(float64)) {
      Signum optimizer =
          Signum.builder().lr(Schedule.cosine(0.03, STEPS, 0)).momentum(0).kernel(kernel).build(g.graph);
      Op train = optimizer.minimize(g.loss());
      List<String> kernels = new ArrayList<>();
      for (Iterator<GraphOperation> it = g.graph.operations(); it.hasNext(); ) {
        String type = it.next().type();
        if (type.startsWith("Tftrain")) {
          kernels.add(type);
        }
      }
      // One program per variable, each with the variable as its only state tensor.
      List<String> expected = new ArrayList<>();
      if (kernel == UpdateKernel.NATIVE) {
        for (int i = 0; i < g.variables.size(); i++) {
          expected.add(NativeKernels.ELEMENTWISE + 1);
        }
      }
      assertEquals(expected, kernels);
      for (Variable<?> variable : g.variables) {
        assertTrue(optimizer.getSlot(variable.asOutput(), "m").isEmpty(), "signSGD keeps no slot");
      }
      double[][][] points = new double[STEPS][][];
      for (int step = 0; step < STEPS; step++) {
        g.run(train, step, List.of());
        points[step] = g.values();
      }
      return points;
    }
  }

  /**
   * ADOPT's first step sets v = g² and leaves x and m bitwise unchanged, also under decoupled weight decay (whose
   * decayed x the select discards); the second step moves x.
   */
  @ParameterizedTest(name = "float64={0} kernel={1}")
  @MethodSource("io.github.tftrain.optimizers.Kernels#precisionsAndKernels")
  void adoptFirstStepLeavesXAndMBitwise(boolean float64, UpdateKernel kernel) {
    Kernels.require(kernel);
    RegressionProblem problem = new RegressionProblem(2, true);
    try (RegressionProblem.InGraph g = problem.new InGraph(float64)) {
      OptimizerBuilder<?, ?> builder = Adopt.builder().lr(0.1).kernel(kernel);
      builder.set("weightDecay", "0.05");
      builder.set("weightDecayMode", "decoupled");
      LossAwareOptimizer optimizer = builder.build(g.graph);
      Op train = optimizer.minimize(g.loss());
      double[][] before = g.values();
      g.run(train, 0, List.of());
      double[][] after = g.values();
      for (int i = 0; i < g.variables.size(); i++) {
        Variable<?> variable = g.variables.get(i);
        assertArrayEquals(before[i], after[i], "x of " + variable.op().name() + " at t = 1");
        double[] m = TensorValues.read(g.session(), optimizer.getSlot(variable.asOutput(), "m").orElseThrow());
        assertArrayEquals(new double[m.length], m, "m of " + variable.op().name() + " at t = 1");
        double[] v = TensorValues.read(g.session(), optimizer.getSlot(variable.asOutput(), "v").orElseThrow());
        assertTrue(nonZero(v), "v = g² at t = 1");
      }
      g.run(train, 1, List.of());
      double[][] moved = g.values();
      for (int i = 0; i < g.variables.size(); i++) {
        assertTrue(differs(after[i], moved[i]), "x moves at t = 2");
      }
    }
  }

  private static boolean nonZero(double[] values) {
    for (double v : values) {
      if (v != 0) {
        return true;
      }
    }
    return false;
  }

  private static boolean differs(double[] a, double[] b) {
    for (int i = 0; i < a.length; i++) {
      if (a[i] != b[i]) {
        return true;
      }
    }
    return false;
  }
}
