package io.github.tftrain.optimizers;

import io.github.tftrain.optimizers.reference.Objective;
import io.github.tftrain.optimizers.reference.ReferenceOptimizer;
import java.util.function.Function;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.family.TType;

/**
 * A problem for the zero-norm fallbacks of trust-ratio optimizers (LAMB, LARS): L = ½‖w − target‖² + 0·Σu with
 * <ul>
 *   <li>w [3] starting at 0 (so ‖x‖ = 0 on the first step), gradient w − target;
 *   <li>u [2] starting at {@link #U0} whose gradient is always 0 (so ‖g‖ = 0, and LAMB's ‖r‖ = 0 without weight
 *       decay, on every step).
 * </ul>
 * A scalar loss; the same objective as a graph and in plain Java.
 */
final class ZeroNormProblem implements Objective {
  static final double[] TARGET = {1, -2, 0.5};
  static final double[] U0 = {0.6, -0.8};

  final double[][] initial = {new double[3], U0.clone()};

  @Override
  public Evaluation evaluate(double[][] p, int step) {
    double loss = 0;
    double[] gw = new double[3];
    for (int j = 0; j < 3; j++) {
      double r = p[0][j] - TARGET[j];
      loss += 0.5 * r * r;
      gw[j] = r;
    }
    return new Evaluation(new double[] {loss}, new double[][] {gw, new double[2]}, false);
  }

  /** Trains {@code steps} steps with the graph optimizer and the reference, asserting every variable after each. */
  static void compare(
      String label,
      boolean float64,
      int steps,
      Function<Graph, LossAwareOptimizer> factory,
      Function<double[][], ReferenceOptimizer> reference) {
    ZeroNormProblem problem = new ZeroNormProblem();
    ReferenceOptimizer ref = reference.apply(problem.initial);
    double tolerance = Trajectories.tolerance(float64);
    try (InGraph g = new InGraph(float64)) {
      Op train = factory.apply(g.graph).minimize(g.loss);
      Trajectories.assertClose(label + " at start", ref.currentPoint(), g.values(), tolerance);
      for (int step = 0; step < steps; step++) {
        g.session.runner().addTarget(train).run();
        ref.step(problem, step);
        Trajectories.assertClose(label + " after step " + (step + 1), ref.currentPoint(), g.values(), tolerance);
      }
    }
  }

  /** The graph version, in float32 or float64. */
  static final class InGraph implements AutoCloseable {
    final Graph graph = new Graph();
    final Ops tf = Ops.create(graph);
    final boolean float64;
    final Variable<?> w;
    final Variable<?> u;
    final Operand<?> loss;
    final Session session;
    private boolean initialized;

    @SuppressWarnings({"unchecked", "rawtypes"})
    InGraph(boolean float64) {
      this.float64 = float64;
      w = tf.withName("w").variable(constant(new double[3], true));
      u = tf.withName("u").variable(constant(U0, true));
      Operand residual = tf.math.sub(tf.identity((Variable) w), constant(TARGET, false));
      Operand half = constant(new double[] {0.5}, false);
      Operand zero = constant(new double[] {0}, false);
      Operand fit = tf.math.mul(half, tf.sum(tf.math.square(residual), tf.constant(0)));
      Operand unused = tf.sum(tf.math.mul(zero, tf.identity((Variable) u)), tf.constant(0));
      loss = tf.math.add(fit, unused);
      session = new Session(graph);
    }

    /** A constant (in the init scope for initial values); a single value is a scalar. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private Operand<? extends TType> constant(double[] values, boolean init) {
      Ops ops = init ? tf.withInitScope() : tf;
      Shape shape = values.length == 1 ? Shape.scalar() : Shape.of(values.length);
      if (float64) {
        return ops.constant(shape, DataBuffers.of(values, true, false));
      }
      float[] f = new float[values.length];
      for (int i = 0; i < f.length; i++) {
        f[i] = (float) values[i];
      }
      return ops.constant(shape, DataBuffers.of(f, true, false));
    }

    /** The variables' values (the first call initializes them). */
    double[][] values() {
      if (!initialized) {
        session.initialize();
        initialized = true;
      }
      return new double[][] {TensorValues.read(session, w), TensorValues.read(session, u)};
    }

    @Override
    public void close() {
      session.close();
      graph.close();
    }
  }
}
