package io.github.tftrain.models;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt64;

/**
 * Finite-difference checks of a float64 network's gradients with respect to its trainable variables: each checked
 * element is moved by ±h through an assign op, the scalar L = ½ Σ y² + 0.1 Σ y re-evaluated, and the central
 * difference compared with the symbolic gradient.
 */
final class NetworkGradients {
  private NetworkGradients() {}

  /**
   * @param build builds y from a float64 network (inputs are constants it creates)
   * @param training the value fed to the training switch
   * @param elementsPerVariable how many elements of each variable to check (spread over the tensor)
   */
  static void check(
      String label,
      Function<Network<TFloat64>, Operand<TFloat64>> build,
      boolean training,
      int elementsPerVariable,
      double tolerance) {
    check(label, build, training, elementsPerVariable, tolerance, 1e-6);
  }

  /**
   * As above with a finite-difference step h = step · max(1, |x|). Networks with many ReLUs need a small step: a
   * pre-activation within h of zero bends the difference quotient.
   */
  static void check(
      String label,
      Function<Network<TFloat64>, Operand<TFloat64>> build,
      boolean training,
      int elementsPerVariable,
      double tolerance,
      double step) {
    check(label, build, training, elementsPerVariable, tolerance, step, null);
  }

  /** As above, on a network whose batch norm uses {@code syncBatchNorm} (null: its own batch). */
  static void check(
      String label,
      Function<Network<TFloat64>, Operand<TFloat64>> build,
      boolean training,
      int elementsPerVariable,
      double tolerance,
      double step,
      CrossReplicaMean syncBatchNorm) {
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Network<TFloat64> net = Network.create(g, "net", Init.XAVIER_UNIFORM, 5, TFloat64.class, syncBatchNorm);
      Ops tf = Ops.create(g);
      Operand<TFloat64> y = build.apply(net);
      Operand<TFloat64> flat = tf.reshape(y, tf.constant(new int[] {-1}));
      Operand<TFloat64> loss =
          tf.math.add(
              tf.math.mul(tf.constant(0.5), tf.sum(tf.math.square(flat), tf.constant(0))),
              tf.math.mul(tf.constant(0.1), tf.sum(flat, tf.constant(0))));
      List<Variable<TFloat64>> variables = net.trainableVariables();
      Output<?>[] grads =
          g.addGradients(loss.asOutput(), variables.stream().map(Variable::asOutput).toArray(Output[]::new));
      List<Placeholder<TFloat64>> values = new ArrayList<>();
      List<Op> assigns = new ArrayList<>();
      for (Variable<TFloat64> v : variables) {
        Placeholder<TFloat64> p = tf.placeholder(TFloat64.class, Placeholder.shape(v.shape()));
        values.add(p);
        assigns.add(tf.assign(v, p));
      }
      s.initialize();
      for (int i = 0; i < variables.size(); i++) {
        Variable<TFloat64> v = variables.get(i);
        if (grads[i] == null) {
          fail(label + ": no gradient for " + v.op().name());
        }
        double[] analytic = fetch(s, net, training, grads[i]);
        double[] original = fetch(s, net, training, v);
        int n = original.length;
        int count = Math.min(elementsPerVariable, n);
        for (int c = 0; c < count; c++) {
          int j = (int) ((long) c * n / count + (n / Math.max(count, 1)) / 2) % n;
          double h = step * Math.max(1, Math.abs(original[j]));
          double plus = lossWith(s, net, training, loss, assigns.get(i), values.get(i), v.shape(), original, j, h);
          double minus = lossWith(s, net, training, loss, assigns.get(i), values.get(i), v.shape(), original, j, -h);
          double numeric = (plus - minus) / (2 * h);
          double error = Math.abs(numeric - analytic[j]);
          if (error > tolerance * Math.max(1e-2, Math.abs(numeric))) {
            fail(label + ": d/d " + v.op().name() + "[" + j + "] symbolic " + analytic[j] + ", finite differences "
                + numeric);
          }
        }
        restore(s, assigns.get(i), values.get(i), v.shape(), original);
      }
    }
  }

  private static double lossWith(
      Session s, Network<TFloat64> net, boolean training, Operand<TFloat64> loss, Op assign,
      Placeholder<TFloat64> value, Shape shape, double[] original, int j, double h) {
    double[] moved = original.clone();
    moved[j] += h;
    restore(s, assign, value, shape, moved);
    return fetch(s, net, training, loss)[0];
  }

  private static void restore(Session s, Op assign, Placeholder<TFloat64> value, Shape shape, double[] values) {
    try (TFloat64 t = TFloat64.tensorOf(shape, DataBuffers.of(values, true, false))) {
      s.runner().feed(value, t).addTarget(assign).run();
    }
  }

  static double[] fetch(Session s, Network<TFloat64> net, boolean training, Operand<?> what) {
    try (TBool mode = TBool.scalarOf(training);
        TInt64 step = TInt64.scalarOf(3);
        Result r = s.runner().feed(net.training(), mode).feed(net.step(), step).fetch(what).run()) {
      return values(r.get(0));
    }
  }

  static double[] values(Tensor t) {
    double[] out = new double[(int) t.shape().size()];
    t.asRawTensor().data().asDoubles().read(out);
    return out;
  }

  /** A float64 constant of the given shape with seeded values in [-1, 1]. */
  static Operand<TFloat64> randomConstant(Network<TFloat64> net, long seed, long... shape) {
    java.util.Random random = new java.util.Random(seed);
    int n = 1;
    for (long d : shape) {
      n *= (int) d;
    }
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = 2 * random.nextDouble() - 1;
    }
    return net.tf().constant(Shape.of(shape), DataBuffers.of(v, true, false));
  }
}
