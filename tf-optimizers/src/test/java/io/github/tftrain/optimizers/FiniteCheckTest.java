package io.github.tftrain.optimizers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.exceptions.TFInvalidArgumentException;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * checkFinite: a step whose loss or gradient is not finite throws before any write, for every optimizer; the
 * variables, every piece of optimizer state and the global step are left bit for bit as they were, and the next
 * finite step proceeds as if the bad one had never been tried.
 */
class FiniteCheckTest {

  /**
   * Loss per example: Σ (x - target)² over x's elements, plus 0.1 sqrt(|x0 - offset|), whose slope is not finite
   * where x0 = offset (the loss there is).
   */
  private record Problem(Graph graph, Variable<TFloat32> x, Placeholder<TFloat32> target,
      Placeholder<TFloat32> offset, Op train, LossAwareOptimizer optimizer) {}

  private static Problem problem(Graph g, String optimizer) {
    return problem(g, optimizer, false);
  }

  private static Problem problem(Graph g, String optimizer, boolean trackUpdateNorm) {
    Ops tf = Ops.create(g);
    Variable<TFloat32> x =
        tf.withSubScope("net").withName("x").variable(tf.withInitScope().constant(new float[] {0.5f, -1f, 2f}));
    Placeholder<TFloat32> target = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(2)));
    Placeholder<TFloat32> offset = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
    Operand<TFloat32> value = tf.identity(x);
    Operand<TFloat32> first = tf.reshape(tf.slice(value, tf.constant(new int[] {0}), tf.constant(new int[] {1})),
        tf.constant(new int[0]));
    Operand<TFloat32> squares =
        tf.sum(tf.math.square(tf.math.sub(tf.expandDims(value, tf.constant(0)), tf.expandDims(target, tf.constant(1)))),
            tf.constant(1));
    Operand<TFloat32> kink = tf.math.sqrt(tf.math.abs(tf.math.sub(first, offset)));
    Operand<TFloat32> losses = tf.math.add(squares, tf.math.mul(tf.constant(0.1f), kink));
    LossAwareOptimizer opt =
        Optimizers.builder(optimizer).checkFinite(true).trackUpdateNorm(trackUpdateNorm).build(g);
    return new Problem(g, x, target, offset, opt.minimize(losses), opt);
  }

  /** Every variable of the graph (model, slots, scalars, global step) as float arrays. */
  private static List<double[]> state(Session s, Graph g) {
    List<double[]> values = new ArrayList<>();
    g.operations().forEachRemaining(op -> {
      if (op.type().equals("VariableV2")) {
        values.add(TensorValues.read(s, op.output(0)));
      }
    });
    return values;
  }

  private static final float FAR = 100f;

  private static void step(Session s, Problem p, float t0, float t1, float offset) {
    try (TFloat32 target = TFloat32.vectorOf(t0, t1);
        TFloat32 k = TFloat32.scalarOf(offset)) {
      s.runner().feed(p.target(), target).feed(p.offset(), k).addTarget(p.train()).run();
    }
  }

  /** Also with trackUpdateNorm: its copy of the weights before the step is a write the check must stop too. */
  @Test
  void aNonFiniteStepWritesNothing() {
    for (String name : Optimizers.names()) {
      aNonFiniteStepWritesNothing(name, false);
      aNonFiniteStepWritesNothing(name, true);
    }
  }

  private static void aNonFiniteStepWritesNothing(String optimizer, boolean trackUpdateNorm) {
    String name = optimizer + (trackUpdateNorm ? " with trackUpdateNorm" : "");
    List<double[]> expected;
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Problem p = problem(g, optimizer, trackUpdateNorm);
      s.initialize();
      step(s, p, 1f, 2f, FAR);
      step(s, p, 0.5f, 1f, FAR);
      expected = state(s, g);
    }
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Problem p = problem(g, optimizer, trackUpdateNorm);
      s.initialize();
      step(s, p, 1f, 2f, FAR);
      List<double[]> before = state(s, g);
      // NaN in the loss
      TFInvalidArgumentException nan =
          assertThrows(TFInvalidArgumentException.class, () -> step(s, p, Float.NaN, 2f, FAR), name);
      assertTrue(nan.getMessage().contains(LossAwareOptimizer.NON_FINITE), nan.getMessage());
      assertTrue(nan.getMessage().contains(p.optimizer().getOptimizerName()), nan.getMessage());
      assertStateEquals(before, state(s, g), name + " after a NaN loss");
      // infinite loss
      assertThrows(TFInvalidArgumentException.class, () -> step(s, p, Float.POSITIVE_INFINITY, 2f, FAR));
      assertStateEquals(before, state(s, g), name + " after an infinite loss");
      // finite loss, non-finite gradient: the kink placed exactly at x0
      float x0 = (float) TensorValues.read(s, p.x())[0];
      assertThrows(TFInvalidArgumentException.class, () -> step(s, p, 1f, 2f, x0));
      assertStateEquals(before, state(s, g), name + " after an infinite gradient");
      step(s, p, 0.5f, 1f, FAR);
      assertStateEquals(expected, state(s, g), name + ": the run continues as if the bad steps never happened");
    }
  }

  private static void assertStateEquals(List<double[]> expected, List<double[]> actual, String what) {
    assertEquals(expected.size(), actual.size(), what);
    for (int i = 0; i < expected.size(); i++) {
      assertArrayEquals(expected.get(i), actual.get(i), 0.0, what + ", variable " + i);
    }
  }

  @Test
  void finiteCheckIsAvailableOnlyWhenRequested() {
    try (Graph g = new Graph()) {
      Problem p = problem(g, "adam");
      assertNotEquals(null, p.optimizer().finiteCheck());
    }
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Variable<TFloat32> x = tf.variable(tf.withInitScope().constant(1f));
      Adam adam = new Adam(g);
      adam.minimize(tf.math.square(tf.identity(x)));
      assertThrows(IllegalStateException.class, adam::finiteCheck);
    }
  }
}
