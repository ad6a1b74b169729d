package io.github.tftrain.optimizers;

import static org.junit.jupiter.api.Assertions.fail;

import io.github.tftrain.optimizers.reference.ReferenceOptimizer;
import java.util.List;
import java.util.function.Function;
import org.tensorflow.Graph;
import org.tensorflow.op.Op;

/** Runs a graph optimizer and its plain-Java reference side by side and compares every step. */
final class Trajectories {
  private Trajectories() {}

  /** Relative tolerance for a float64 graph against the double reference (only op order differs). */
  static final double FLOAT64_TOLERANCE = 1e-9;
  /** Relative tolerance for a float32 graph (round-off accumulates over the steps). */
  static final double FLOAT32_TOLERANCE = 2e-4;

  static double tolerance(boolean float64) {
    return float64 ? FLOAT64_TOLERANCE : FLOAT32_TOLERANCE;
  }

  /** Trains {@code steps} steps with both and asserts that every variable matches the reference after every step. */
  static void compare(
      String label,
      boolean perExample,
      boolean float64,
      int steps,
      Function<Graph, LossAwareOptimizer> factory,
      Function<double[][], ReferenceOptimizer> reference) {
    compare(label, perExample, float64, steps, factory, reference, tolerance(float64));
  }

  /** As above with an explicit relative tolerance. */
  static void compare(
      String label,
      boolean perExample,
      boolean float64,
      int steps,
      Function<Graph, LossAwareOptimizer> factory,
      Function<double[][], ReferenceOptimizer> reference,
      double tolerance) {
    RegressionProblem problem = new RegressionProblem(steps, perExample);
    ReferenceOptimizer ref = reference.apply(problem.initial);
    try (RegressionProblem.InGraph g = problem.new InGraph(float64)) {
      LossAwareOptimizer optimizer = factory.apply(g.graph);
      Op train = optimizer.minimize(g.loss());
      assertClose(label + " at start", ref.currentPoint(), g.values(), tolerance);
      for (int step = 0; step < steps; step++) {
        g.run(train, step, List.of());
        ref.step(problem, step);
        assertClose(label + " after step " + (step + 1), ref.currentPoint(), g.values(), tolerance);
      }
    }
  }

  static void assertClose(String label, double[][] expected, double[][] actual, double tol) {
    for (int i = 0; i < expected.length; i++) {
      for (int j = 0; j < expected[i].length; j++) {
        assertClose(label + ", variable " + i + "[" + j + "]", expected[i][j], actual[i][j], tol);
      }
    }
  }

  static void assertClose(String label, double expected, double actual, double tol) {
    double error = Math.abs(expected - actual);
    if (!(error <= tol * Math.max(Math.abs(expected), 1e-2))) {
      fail(label + ": expected " + expected + " but got " + actual + " (relative error "
          + error / Math.max(Math.abs(expected), 1e-2) + ", tolerance " + tol + ")");
    }
  }
}
