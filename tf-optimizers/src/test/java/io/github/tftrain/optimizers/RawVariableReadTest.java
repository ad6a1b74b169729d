package io.github.tftrain.optimizers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat64;

/**
 * Raw {@code VariableV2} reads (reference tensors) under {@code minimize}: the reads whose TF gradient crashes the
 * JVM or fails are refused with a message that names the op, the variable and the fix; the reads TF differentiates
 * correctly keep training. See {@link RawVariableReads} for the measured table.
 */
class RawVariableReadTest {
  private static final double EXACT = 1e-12;

  private static Variable<TFloat64> vector(Ops tf, String name, double... values) {
    return tf.withName(name).variable(tf.withInitScope().constant(values));
  }

  private static boolean hasOpStartingWith(Graph g, String prefix) {
    for (Iterator<GraphOperation> it = g.operations(); it.hasNext(); ) {
      if (it.next().name().startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  /** Without the check this test kills the JVM: TF's SquareGrad SIGSEGVs on the DT_DOUBLE_REF input. */
  @Test
  void squareOfARawReadIsRefusedWithTheFix() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Variable<TFloat64> v = vector(tf, "v", 1.0, -2.0, 3.0);
      Operand<TFloat64> loss = tf.sum(tf.math.square(v), tf.constant(0));
      Sgd sgd = Sgd.builder().lr(0.1).build(g);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sgd.minimize(loss));
      String message = e.getMessage();
      assertTrue(message.startsWith("sgd: "), message);
      assertTrue(message.contains("(Square)"), message);
      assertTrue(message.contains("variable 'v'"), message);
      assertTrue(message.contains("tf.identity"), message);
      assertFalse(hasOpStartingWith(g, "sgd/gradients"), "no gradient was built");
    }
  }

  /** The same loss through tf.identity: one SGD step gives v - 0.1·2v = 0.8 v. */
  @Test
  void squareThroughIdentityTrains() {
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Variable<TFloat64> v = vector(tf, "v", 1.0, -2.0, 3.0);
      Operand<TFloat64> loss = tf.sum(tf.math.square(tf.identity(v)), tf.constant(0));
      Op train = Sgd.builder().lr(0.1).build(g).minimize(loss);
      s.run(train);
      assertArrayEquals(
          new double[] {1.0 - 0.1 * 2 * 1.0, -2.0 - 0.1 * 2 * -2.0, 3.0 - 0.1 * 2 * 3.0},
          TensorValues.read(s, v),
          EXACT);
    }
  }

  /**
   * MatMul differentiates a raw read correctly, so it stays allowed: L = sum(x W) with x = [[1, 2]] gives
   * ∂L/∂W[i][j] = x[i], so W - 0.1·[[1, 1], [2, 2]]. A raw Square of W off the loss (a metric) and one behind a
   * StopGradient are never differentiated, and do not stop training either.
   */
  @Test
  void rawReadsTensorFlowDifferentiatesStillTrain() {
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Variable<TFloat64> w =
          tf.withName("w").variable(tf.withInitScope().constant(new double[][] {{0.5, -1.0}, {2.0, 0.25}}));
      Operand<TFloat64> x = tf.constant(new double[][] {{1.0, 2.0}});
      Operand<TFloat64> metric = tf.sum(tf.math.square(w), tf.constant(new int[] {0, 1}));
      Operand<TFloat64> stopped = tf.stopGradient(tf.sum(tf.math.square(w), tf.constant(new int[] {0, 1})));
      Operand<TFloat64> product = tf.sum(tf.linalg.matMul(x, w), tf.constant(new int[] {0, 1}));
      Operand<TFloat64> loss = tf.math.add(product, tf.math.mul(tf.constant(0.0), stopped));
      Op train = Sgd.builder().lr(0.1).build(g).minimize(loss);
      s.run(train);
      assertArrayEquals(
          new double[] {0.5 - 0.1 * 1, -1.0 - 0.1 * 1, 2.0 - 0.1 * 2, 0.25 - 0.1 * 2},
          TensorValues.read(s, w),
          EXACT);
      double wSquared = 0.4 * 0.4 + 1.1 * 1.1 + 1.8 * 1.8 + 0.05 * 0.05;
      assertArrayEquals(new double[] {wSquared}, TensorValues.read(s, metric), EXACT);
    }
  }

  /**
   * Pow's gradient fails on a raw read in either input, so a raw base is refused even when only the exponent's
   * variable is trained: the gradient function runs for the exponent and takes the base's dtype.
   */
  @Test
  void powOfARawBaseIsRefusedWhenTheExponentTrains() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Variable<TFloat64> base = vector(tf, "base", 2.0, 3.0);
      Variable<TFloat64> exponent = vector(tf, "exponent", 1.0, 0.5);
      Operand<TFloat64> loss = tf.sum(tf.math.pow(base, tf.identity(exponent)), tf.constant(0));
      Adam adam = Adam.builder().lr(0.1).build(g);
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> adam.minimize(loss, List.of(exponent)));
      String message = e.getMessage();
      assertTrue(message.contains("(Pow)"), message);
      assertTrue(message.contains("variable 'base'"), message);
      assertTrue(message.contains("tf.identity"), message);
    }
  }
}
