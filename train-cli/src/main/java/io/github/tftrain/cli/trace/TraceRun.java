package io.github.tftrain.cli.trace;

import io.github.tftrain.trainer.Outcome;

import io.github.tftrain.optimizers.LossAwareOptimizer;
import io.github.tftrain.optimizers.OptimizerBuilder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TNumber;

/**
 * Runs an optimizer on a 2-D test function held in one float variable of shape [2], recording the loss and the
 * point after every step.
 */
public final class TraceRun {

  /** One CSV row: the values the variable holds after {@code step} steps, and the loss there. */
  public record Row(int step, double loss, double x0, double x1) {}

  /** The rows, and the step whose loss became NaN or infinite (its row is not kept), if any. */
  public record Outcome(List<Row> rows, Integer nonFiniteStep) {
    public boolean diverged() {
      return nonFiniteStep != null;
    }
  }

  private TraceRun() {}

  /**
   * @param optimizer a configured builder (built here, in the trace's graph)
   * @param function the test function
   * @param init the starting point
   * @param steps the number of steps, at least 1
   * @param float64 whether the variable is float64 (else float32)
   */
  public static Outcome run(
      OptimizerBuilder<?, ?> optimizer, TestFunction function, double[] init, int steps, boolean float64) {
    return float64
        ? run(optimizer, function, init, steps, TFloat64.class)
        : run(optimizer, function, init, steps, TFloat32.class);
  }

  private static <T extends TNumber> Outcome run(
      OptimizerBuilder<?, ?> optimizer, TestFunction function, double[] init, int steps, Class<T> type) {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Variable<T> x = tf.withName("x").variable(vector(tf.withInitScope(), init, type));
      Operand<T> point = tf.identity(x);
      Operand<T> loss = function.build(tf, point, value -> scalar(tf, value, type));
      LossAwareOptimizer built = optimizer.build(graph);
      Op train = built.minimize(loss);
      List<Row> rows = new ArrayList<>();
      try (Session session = new Session(graph)) {
        for (int step = 0; step <= steps; step++) {
          if (step > 0) {
            session.run(train);
          }
          Row row = read(session, point, loss, step);
          if (!(Double.isFinite(row.loss()) && Double.isFinite(row.x0()) && Double.isFinite(row.x1()))) {
            return new Outcome(Collections.unmodifiableList(rows), step);
          }
          rows.add(row);
        }
      }
      return new Outcome(Collections.unmodifiableList(rows), null);
    }
  }

  private static Row read(Session session, Operand<?> point, Operand<?> loss, int step) {
    try (org.tensorflow.Result result = session.runner().fetch(point).fetch(loss).run()) {
      double[] xy = values(result.get(0));
      double l = values(result.get(1))[0];
      return new Row(step, l, xy[0], xy[1]);
    }
  }

  private static double[] values(org.tensorflow.Tensor t) {
    int n = (int) t.shape().size();
    double[] out = new double[n];
    if (t instanceof TFloat64) {
      t.asRawTensor().data().asDoubles().read(out);
    } else {
      float[] f = new float[n];
      t.asRawTensor().data().asFloats().read(f);
      for (int i = 0; i < n; i++) {
        out[i] = f[i];
      }
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static <T extends TNumber> Operand<T> vector(Ops tf, double[] values, Class<T> type) {
    if (type == TFloat64.class) {
      return (Operand<T>) tf.constant(Shape.of(values.length), DataBuffers.of(values, true, false));
    }
    float[] f = new float[values.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) values[i];
    }
    return (Operand<T>) tf.constant(Shape.of(f.length), DataBuffers.of(f, true, false));
  }

  @SuppressWarnings("unchecked")
  private static <T extends TNumber> Operand<T> scalar(Ops tf, double value, Class<T> type) {
    return type == TFloat64.class ? (Operand<T>) tf.constant(value) : (Operand<T>) tf.constant((float) value);
  }
}
