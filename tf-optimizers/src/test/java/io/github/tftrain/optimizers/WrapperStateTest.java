package io.github.tftrain.optimizers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat64;

/**
 * The wrappers' state around the cases that break naive versions: diagnostics and the finiteness check on runs that
 * only accumulate, and slots that copy weights restored before the optimizer was built.
 */
class WrapperStateTest {

  /** Every run of an accumulating train op has a learning rate and a gradient norm to log. */
  @Test
  void accumulatingRunsHaveDiagnostics() {
    RegressionProblem problem = new RegressionProblem(6, true);
    try (RegressionProblem.InGraph g = problem.new InGraph(true)) {
      Sgd sgd = Sgd.builder().lr(0.05).accumulate(3).clipNorm(10).checkFinite(true).build(g.graph);
      Op train = sgd.minimize(g.loss());
      for (int run = 0; run < 6; run++) {
        double[] fetched = g.run(train, run, List.of(sgd.learningRate(), sgd.gradientNorm()));
        assertEquals(0.05, fetched[0], 0.0, "run " + run);
        assertTrue(fetched[1] > 0 && Double.isFinite(fetched[1]), "run " + run + ": " + fetched[1]);
      }
      assertEquals(2.0, TensorValues.read(g.session(), sgd.globalStep())[0], 0.0);
    }
  }

  /** A non-finite batch in the middle of an accumulation fails its own run and adds nothing to the sums. */
  @Test
  void aNonFiniteBatchLeavesTheSumsAlone() {
    try (Graph graph = new Graph();
        Session session = new Session(graph)) {
      Ops tf = Ops.create(graph);
      Placeholder<TFloat64> scale = tf.placeholder(TFloat64.class, Placeholder.shape(Shape.scalar()));
      Variable<TFloat64> w = tf.withName("w").variable(tf.withInitScope().constant(new double[] {1, -2}));
      var loss = tf.math.mul(scale, tf.sum(tf.math.square(tf.identity(w)), tf.constant(0)));
      Sgd sgd = Sgd.builder().lr(0.1).accumulate(3).checkFinite(true).build(graph);
      Op train = sgd.minimize(loss);
      Variable<TFloat64> sum = sgd.getSlot(w.asOutput(), "accumulated_gradient").orElseThrow();
      run(session, train, scale, 1.0);
      double[] afterOne = TensorValues.read(session, sum);
      assertArrayEquals(new double[] {2, -4}, afterOne, 0.0, "g = 2w");
      RuntimeException failure = assertThrows(RuntimeException.class, () -> run(session, train, scale, Double.NaN));
      assertTrue(failure.getMessage().contains(LossAwareOptimizer.NON_FINITE), failure.getMessage());
      assertArrayEquals(afterOne, TensorValues.read(session, sum), 0.0, "the NaN batch is not in the sums");
      run(session, train, scale, 1.0);
      run(session, train, scale, 1.0);
      // The third good batch completes the update: w - 0.1 · mean(2w, 2w, 2w) = 0.8 w
      assertArrayEquals(new double[] {0.8, -1.6}, TensorValues.read(session, w), 1e-15);
    }
  }

  private static void run(Session session, Op train, Placeholder<TFloat64> scale, double value) {
    try (TFloat64 s = TFloat64.scalarOf(value)) {
      session.runner().feed(scale, s).addTarget(train).run();
    }
  }

  /**
   * An optimizer built after the weights were set (restored pretrained weights) starts its EMA at those weights and
   * leaves them alone; it does not re-run the variables' initializers.
   */
  @Test
  void copySlotsStartAtWeightsSetBeforeTheOptimizerWasBuilt() {
    try (Graph graph = new Graph();
        Session session = new Session(graph)) {
      Ops tf = Ops.create(graph);
      Variable<TFloat64> w = tf.withName("w").variable(tf.withInitScope().constant(new double[] {1, -2}));
      Op pretrained = tf.assign(w, tf.constant(new double[] {5, 6}));
      session.initialize();
      session.run(pretrained);
      Sgd sgd = Sgd.builder().lr(0.1).emaDecay(0.5).build(graph);
      Op train = sgd.minimize(tf.sum(tf.math.square(tf.identity(w)), tf.constant(0)));
      Variable<TFloat64> ema = sgd.getSlot(w.asOutput(), "ema").orElseThrow();
      assertArrayEquals(new double[] {5, 6}, TensorValues.read(session, ema), 0.0, "the EMA starts at the weights");
      assertArrayEquals(new double[] {5, 6}, TensorValues.read(session, w), 0.0, "the weights were not re-initialised");
      session.run(train);
      // w = 0.8 · (5, 6) = (4, 4.8); ema = 0.5 · (5, 6) + 0.5 · (4, 4.8)
      assertArrayEquals(new double[] {4, 4.8}, TensorValues.read(session, w), 1e-15);
      assertArrayEquals(new double[] {4.5, 5.4}, TensorValues.read(session, ema), 1e-15);
    }
  }

  /** In a fresh graph the copy slot starts at the variable's initial value, however the initializers are ordered. */
  @Test
  void copySlotsStartAtTheInitialValueInAFreshGraph() {
    try (Graph graph = new Graph();
        Session session = new Session(graph)) {
      Ops tf = Ops.create(graph);
      Variable<TFloat64> w = tf.withName("w").variable(tf.withInitScope().constant(new double[] {3, 4}));
      Sgd sgd = Sgd.builder().lookahead(2, 0.5).build(graph);
      sgd.minimize(tf.sum(tf.math.square(tf.identity(w)), tf.constant(0)));
      try (Tensor slow = session.runner().fetch(sgd.getSlot(w.asOutput(), "lookahead_slow").orElseThrow()).run()
          .get(0)) {
        assertArrayEquals(new double[] {3, 4}, TensorValues.values(slow), 0.0);
      }
    }
  }
}
