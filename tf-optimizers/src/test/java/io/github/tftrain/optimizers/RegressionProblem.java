package io.github.tftrain.optimizers;

import io.github.tftrain.optimizers.reference.Objective;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TType;

/**
 * A small multi-output regression with three variables of different shapes — A [2,3], b [3], c [] — so layer-wise
 * quantities differ per variable. Per-example loss l = ½ Σ_j (x·A + b + c - y)_j². The same objective is
 * implemented twice: as a TF graph, and in plain Java ({@link #evaluate}) with hand-written gradients.
 */
final class RegressionProblem implements Objective {
  static final int BATCH = 8;
  static final int IN = 2;
  static final int OUT = 3;

  final double[][] initial = {
    {0.5, -0.3, 0.8, -0.6, 0.2, 0.4}, // A, row-major [2,3]
    {0.1, -0.2, 0.3}, // b
    {0.25} // c
  };

  private final double[][][] inputs;
  private final double[][][] targets;
  private final boolean perExample;

  RegressionProblem(int steps, boolean perExample) {
    this.perExample = perExample;
    Random random = new Random(1234);
    double[][] trueA = {{1.5, -2.0, 0.5}, {-1.0, 0.7, 2.5}};
    double[] trueB = {0.3, -0.8, 1.1};
    inputs = new double[steps][BATCH][IN];
    targets = new double[steps][BATCH][OUT];
    for (int s = 0; s < steps; s++) {
      for (int e = 0; e < BATCH; e++) {
        for (int i = 0; i < IN; i++) {
          inputs[s][e][i] = random.nextGaussian();
        }
        for (int j = 0; j < OUT; j++) {
          double y = trueB[j] + 0.3 * random.nextGaussian();
          for (int i = 0; i < IN; i++) {
            y += inputs[s][e][i] * trueA[i][j];
          }
          targets[s][e][j] = y;
        }
      }
    }
  }

  @Override
  public Evaluation evaluate(double[][] p, int step) {
    double[] losses = new double[BATCH];
    double[][] grads = {new double[IN * OUT], new double[OUT], new double[1]};
    for (int e = 0; e < BATCH; e++) {
      double loss = 0;
      for (int j = 0; j < OUT; j++) {
        double pred = p[1][j] + p[2][0];
        for (int i = 0; i < IN; i++) {
          pred += inputs[step][e][i] * p[0][i * OUT + j];
        }
        double r = pred - targets[step][e][j];
        loss += 0.5 * r * r;
        for (int i = 0; i < IN; i++) {
          grads[0][i * OUT + j] += inputs[step][e][i] * r / BATCH;
        }
        grads[1][j] += r / BATCH;
        grads[2][0] += r / BATCH;
      }
      losses[e] = loss;
    }
    return new Evaluation(losses, grads, perExample);
  }

  /** The graph version, in float32 or float64. */
  final class InGraph implements AutoCloseable {
    final Graph graph = new Graph();
    final Ops tf = Ops.create(graph);
    final boolean float64;
    final Placeholder<?> x;
    final Placeholder<?> y;
    final List<Variable<?>> variables = new ArrayList<>();
    final Operand<?> perExampleLoss;
    final Operand<?> meanLoss;
    Session session;

    @SuppressWarnings({"unchecked", "rawtypes"})
    InGraph(boolean float64) {
      this.float64 = float64;
      Class type = float64 ? TFloat64.class : TFloat32.class;
      x = tf.withName("x").placeholder(type, Placeholder.shape(Shape.of(BATCH, IN)));
      y = tf.withName("y").placeholder(type, Placeholder.shape(Shape.of(BATCH, OUT)));
      Variable a = tf.withName("A").variable(constant(initial[0], Shape.of(IN, OUT)));
      Variable b = tf.withName("b").variable(constant(initial[1], Shape.of(OUT)));
      Variable c = tf.withName("c").variable(constant(initial[2], Shape.scalar()));
      variables.add(a);
      variables.add(b);
      variables.add(c);
      Operand pred =
          tf.math.add(tf.math.add(tf.linalg.matMul(x, tf.identity(a)), tf.identity(b)), tf.identity(c));
      Operand residual = tf.math.sub(pred, y);
      perExampleLoss =
          tf.math.mul(constant(new double[] {0.5}, Shape.scalar()), tf.sum(tf.math.square(residual), tf.constant(1)));
      meanLoss = tf.math.mean(perExampleLoss, tf.constant(0));
    }

    Operand<?> loss() {
      return perExample ? perExampleLoss : meanLoss;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    Operand<? extends TType> constant(double[] values, Shape shape) {
      Ops init = tf.withInitScope();
      if (float64) {
        return init.constant(shape, DataBuffers.of(values, true, false));
      }
      float[] f = new float[values.length];
      for (int i = 0; i < f.length; i++) {
        f[i] = (float) values[i];
      }
      return init.constant(shape, DataBuffers.of(f, true, false));
    }

    Session session() {
      if (session == null) {
        session = new Session(graph);
        session.initialize();
      }
      return session;
    }

    Tensor feed(double[][] rows, int width) {
      double[] flat = new double[rows.length * width];
      for (int e = 0; e < rows.length; e++) {
        System.arraycopy(rows[e], 0, flat, e * width, width);
      }
      Shape shape = Shape.of(rows.length, width);
      if (float64) {
        return TFloat64.tensorOf(shape, DataBuffers.of(flat, true, false));
      }
      float[] f = new float[flat.length];
      for (int i = 0; i < f.length; i++) {
        f[i] = (float) flat[i];
      }
      return TFloat32.tensorOf(shape, DataBuffers.of(f, true, false));
    }

    /**
     * Runs {@code train} on minibatch {@code step}, fetching {@code extra} in the same run; with {@code train} null,
     * fetches {@code extra} alone (fed minibatch {@code step}).
     */
    double[] run(org.tensorflow.op.Op train, int step, List<? extends Operand<?>> extra) {
      try (Tensor xs = feed(inputs[step], IN);
          Tensor ys = feed(targets[step], OUT)) {
        Session.Runner runner = session().runner().feed(x, xs).feed(y, ys);
        if (train != null) {
          runner.addTarget(train);
        }
        for (Operand<?> e : extra) {
          runner.fetch(e);
        }
        double[] out = new double[extra.size()];
        try (org.tensorflow.Result result = runner.run()) {
          for (int i = 0; i < extra.size(); i++) {
            out[i] = TensorValues.scalar(result.get(i));
          }
        }
        return out;
      }
    }

    double[][] values() {
      double[][] out = new double[variables.size()][];
      for (int i = 0; i < variables.size(); i++) {
        out[i] = TensorValues.read(session(), variables.get(i));
      }
      return out;
    }

    @Override
    public void close() {
      if (session != null) {
        session.close();
      }
      graph.close();
    }
  }
}
