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
 * the optimizer has it) and a cosine schedule on the regression problem, native against graph, every variable after
 * every step, bitwise for the element-wise optimizers (same operations in the same order; on these small variables
 * also for LAMB, LARS and MARS, whose norms the native pass sums in float64 and the graph in the variable's type) and
 * to float round-off for KaFiStO's and Apollo's hand-written kernels; and a 1,000-element variable over several
 * blocks of the native kernel. The reference tests run kernel=auto (native where the library loaded), so with the
 * bitwise equality here both kernels are held to the plain-Java references.
 */
class FusedKernelTest {
  private static final int STEPS = 20;
  /** The optimizers whose update needs per-variable norms (ElementwiseUpdate.sumsOfSquares). */
  private static final java.util.Set<String> NORM_BASED = java.util.Set.of("lamb", "lars", "mars");

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

  /**
   * A variable of 1,000 elements (seven full blocks of the native kernel and a partial one): the same values on both
   * kernels after 5 steps, for the element-wise optimizers, to the last bits. Not bitwise: on large tensors TF's
   * vectorised kernels and Grappler's rewrites (a / sqrt(b) becomes a · rsqrt(b)) round differently in the last bit.
   */
  @ParameterizedTest(name = "{0} float64={1}")
  @MethodSource("cases")
  void manyBlocks(String name, boolean float64) {
    Kernels.require(UpdateKernel.NATIVE);
    if (name.equals("kafisto") || name.equals("apollo")) {
      return; // hand-written kernels, covered by their own tests
    }
    double[] graph = large(name, float64, "graph");
    double[] fused = large(name, float64, "native");
    Trajectories.assertClose(
        name, new double[][] {graph}, new double[][] {fused}, float64 ? 1e-12 : 1e-5);
  }

  /** A NaN in the gradient: both kernels put NaN where TF's ops put it (Sign, Maximum, Minimum propagate NaN). */
  @ParameterizedTest(name = "{0} float64={1}")
  @MethodSource("cases")
  void nanPropagatesAlike(String name, boolean float64) {
    Kernels.require(UpdateKernel.NATIVE);
    if (name.equals("kafisto") || name.equals("apollo")) {
      return;
    }
    double[] graph = large(name, float64, "graph", true);
    double[] fused = large(name, float64, "native", true);
    for (int i = 0; i < graph.length; i++) {
      assertTrue(Double.isNaN(graph[i]) == Double.isNaN(fused[i]), name + ": element " + i + ": " + graph[i] + " vs "
          + fused[i]);
    }
    assertTrue(Double.isNaN(graph[7]), name + ": the NaN gradient element");
  }

  private static double[] large(String name, boolean float64, String kernel) {
    return large(name, float64, kernel, false);
  }

  private static double[] large(String name, boolean float64, String kernel, boolean nan) {
    try (org.tensorflow.Graph graph = new org.tensorflow.Graph();
        org.tensorflow.Session session = new org.tensorflow.Session(graph)) {
      org.tensorflow.op.Ops tf = org.tensorflow.op.Ops.create(graph);
      java.util.Random random = new java.util.Random(11);
      double[] start = new double[1000];
      double[] scale = new double[1000];
      for (int i = 0; i < start.length; i++) {
        start[i] = random.nextGaussian();
        scale[i] = random.nextDouble();
      }
      if (nan) {
        scale[7] = Double.NaN;
      }
      org.tensorflow.Operand<?> w0 = tf.withInitScope().constant(start);
      org.tensorflow.Operand<?> c = tf.constant(scale);
      if (!float64) {
        w0 = tf.withInitScope().dtypes.cast(w0, org.tensorflow.types.TFloat32.class);
        c = tf.dtypes.cast(c, org.tensorflow.types.TFloat32.class);
      }
      @SuppressWarnings({"unchecked", "rawtypes"})
      org.tensorflow.op.core.Variable<?> w = tf.withName("w").variable((org.tensorflow.Operand) w0);
      @SuppressWarnings({"unchecked", "rawtypes"})
      org.tensorflow.Operand<?> loss =
          tf.sum((org.tensorflow.Operand) tf.math.mul((org.tensorflow.Operand) c,
              (org.tensorflow.Operand) tf.math.square((org.tensorflow.Operand) tf.identity(w))), tf.constant(0));
      OptimizerBuilder<?, ?> builder = Optimizers.builder(name).set("kernel", kernel);
      if (builder.keys().contains("weightDecay")) {
        builder.set("weightDecay", "0.05");
      }
      Op train = builder.build(graph).minimize(loss);
      session.initialize();
      for (int step = 0; step < 5; step++) {
        session.run(train);
      }
      return TensorValues.read(session, w);
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
      boolean nativeNorms = false;
      boolean graphNorms = false;
      for (Iterator<GraphOperation> it = g.graph.operations(); it.hasNext(); ) {
        String type = it.next().type();
        usesNative |= type.startsWith("Tftrain");
        nativeNorms |= type.startsWith("TftrainElementwiseReduce");
        graphNorms |= type.equals("L2Loss");
      }
      assertTrue(usesNative == kernel.equals("native"), name + " with kernel=" + kernel);
      if (NORM_BASED.contains(name)) {
        // The per-variable norms come from the native read-only pass, not from graph reductions.
        assertTrue(nativeNorms == kernel.equals("native") && graphNorms == kernel.equals("graph"),
            name + " with kernel=" + kernel + ": native norm pass " + nativeNorms + ", L2Loss " + graphNorms);
      }
      double[][][] points = new double[STEPS][][];
      for (int step = 0; step < STEPS; step++) {
        g.run(train, step, List.of());
        points[step] = g.values();
      }
      return points;
    }
  }
}
