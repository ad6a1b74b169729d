package io.github.tftrain.models.gradients;

import static org.junit.jupiter.api.Assertions.fail;

import io.github.tftrain.gradients.MissingGradients;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat64;

/**
 * Compares TensorFlow's symbolic gradients with central finite differences in float64. The function under test
 * maps float64 inputs to a tensor y; the scalar checked is L = ½ Σ y² + 0.1 Σ y (non-linear in y, so every element
 * of y matters).
 */
public final class FiniteDifferences {
  private FiniteDifferences() {}

  /** An input: shape and values. */
  public record Input(Shape shape, double[] values) {
    /** Values drawn uniformly from [lo, hi] with a seed, optionally kept at least {@code gap} away from zero. */
    public static Input random(long seed, double lo, double hi, double gap, long... dims) {
      Shape shape = Shape.of(dims);
      Random random = new Random(seed);
      double[] v = new double[(int) shape.size()];
      for (int i = 0; i < v.length; i++) {
        do {
          v[i] = lo + (hi - lo) * random.nextDouble();
        } while (Math.abs(v[i]) < gap);
      }
      return new Input(shape, v);
    }
  }

  /**
   * Asserts that dL/dx_i from the graph matches central differences for every element of every input.
   *
   * @param f builds y from the input placeholders
   * @param tolerance relative tolerance (absolute below 1e-3)
   */
  public static void check(
      String label, BiFunction<Ops, List<Operand<TFloat64>>, Operand<TFloat64>> f, double tolerance,
      Input... inputs) {
    MissingGradients.register();
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      List<Operand<TFloat64>> xs = new ArrayList<>();
      for (Input in : inputs) {
        xs.add(tf.placeholder(TFloat64.class, Placeholder.shape(in.shape())));
      }
      Operand<TFloat64> loss = scalarOf(tf, f.apply(tf, xs));
      Output<?>[] grads = g.addGradients(loss.asOutput(), xs.stream().map(Operand::asOutput).toArray(Output[]::new));
      double[][] analytic = new double[inputs.length][];
      try (Result r = feed(s.runner(), xs, inputs, -1, 0, 0).fetch(grads[0]).run()) {
        analytic[0] = values(r.get(0));
      }
      for (int i = 1; i < inputs.length; i++) {
        try (Result r = feed(s.runner(), xs, inputs, -1, 0, 0).fetch(grads[i]).run()) {
          analytic[i] = values(r.get(0));
        }
      }
      double h = 1e-6;
      for (int i = 0; i < inputs.length; i++) {
        for (int j = 0; j < inputs[i].values().length; j++) {
          double plus = evaluate(s, loss, xs, inputs, i, j, h);
          double minus = evaluate(s, loss, xs, inputs, i, j, -h);
          double numeric = (plus - minus) / (2 * h);
          double error = Math.abs(numeric - analytic[i][j]);
          if (error > tolerance * Math.max(1e-3, Math.abs(numeric))) {
            fail(label + ": d/dx" + i + "[" + j + "] symbolic " + analytic[i][j] + ", finite differences " + numeric);
          }
        }
      }
    }
  }

  /** L = ½ Σ y² + 0.1 Σ y. */
  static Operand<TFloat64> scalarOf(Ops tf, Operand<TFloat64> y) {
    Operand<TFloat64> flat = tf.reshape(y, tf.constant(new int[] {-1}));
    return tf.math.add(
        tf.math.mul(tf.constant(0.5), tf.sum(tf.math.square(flat), tf.constant(0))),
        tf.math.mul(tf.constant(0.1), tf.sum(flat, tf.constant(0))));
  }

  private static double evaluate(
      Session s, Operand<TFloat64> loss, List<Operand<TFloat64>> xs, Input[] inputs, int which, int at, double d) {
    try (Result r = feed(s.runner(), xs, inputs, which, at, d).fetch(loss).run()) {
      return values(r.get(0))[0];
    }
  }

  private static Session.Runner feed(
      Session.Runner runner, List<Operand<TFloat64>> xs, Input[] inputs, int which, int at, double d) {
    for (int i = 0; i < inputs.length; i++) {
      double[] v = inputs[i].values().clone();
      if (i == which) {
        v[at] += d;
      }
      TFloat64 t = TFloat64.tensorOf(inputs[i].shape(), DataBuffers.of(v, true, false));
      runner.feed(xs.get(i), t);
    }
    return runner;
  }

  static double[] values(Tensor t) {
    double[] out = new double[(int) t.shape().size()];
    t.asRawTensor().data().asDoubles().read(out);
    return out;
  }
}
