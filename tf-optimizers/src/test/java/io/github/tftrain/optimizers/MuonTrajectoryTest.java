package io.github.tftrain.optimizers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.tftrain.optimizers.reference.ReferenceMuon;
import io.github.tftrain.optimizers.schedule.Schedule;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;

/**
 * Muon: trajectories on the regression problem (A [2,3] takes the Muon update, b [3] and c [] the AdamW one) against
 * the plain-Java reference, and one step on a linear loss with known gradients, which checks Newton-Schulz on both
 * orientations and a conv kernel against the plain-Java iteration.
 */
class MuonTrajectoryTest {
  private static final int STEPS = 20;
  private static final int[][] SHAPES = {{2, 3}, {3}, {}};

  /**
   * float32 Newton-Schulz against the double iteration. Newton-Schulz amplifies round-off: the quintic's slope at 0
   * is a = 3.4445, so along a small singular direction five iterations grow a relative perturbation up to
   * a⁵ ≈ 490 times, and float32's unit round-off 6e-8 (of u and of each iteration's products) becomes ~3e-5 in O.
   * Measured on the one-step test (lr 1, so the variables carry O at full size): 2.4e-5 at worst (the 3×5 matrix),
   * against 5e-14 in float64. 5e-4 is 20 times that, and 80 times below what a wrong coefficient, scale or layout
   * does there (4e-2 and more). The trajectories keep the standard 2e-4: with lr ≤ 0.05, O's error is small relative
   * to x (measured below 1e-6 over 20 steps).
   */
  private static final double NS_FLOAT32_TOLERANCE = 5e-4;

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void defaultsScalarLoss(boolean float64) {
    Trajectories.compare(
        "muon defaults", false, float64, STEPS, Muon::new, x0 -> new ReferenceMuon(x0, SHAPES));
  }

  @ParameterizedTest(name = "float64={0}, nesterov={1}")
  @CsvSource({"true, true", "true, false", "false, true", "false, false"})
  void weightDecayAndCosineSchedule(boolean float64, boolean nesterov) {
    Schedule lr = Schedule.cosine(0.05, STEPS, 0.005);
    Trajectories.compare(
        "muon nesterov=" + nesterov,
        true,
        float64,
        STEPS,
        g ->
            Muon.builder()
                .lr(lr)
                .nesterov(nesterov)
                .momentum(0.9)
                .weightDecay(0.1)
                .adamwLr(0.01)
                .adamwBeta1(0.8)
                .adamwBeta2(0.99)
                .adamwEps(1e-8)
                .build(g),
        x0 -> {
          ReferenceMuon ref = new ReferenceMuon(x0, SHAPES);
          ref.lr = lr::valueAt;
          ref.nesterov = nesterov;
          ref.momentum = 0.9;
          ref.weightDecay = 0.1;
          ref.adamwLr = 0.01;
          ref.adamwBeta1 = 0.8;
          ref.adamwBeta2 = 0.99;
          ref.adamwEps = 1e-8;
          return ref;
        });
  }

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void stepScheduleWithWarmupAndThreeIterations(boolean float64) {
    // The AdamW part follows the schedule through lr(t)/lr(0): a warmup from 0.2·lr, then halvings.
    Schedule lr = Schedule.step(0.04, 6, 0.5).withLinearWarmup(4, 0.2);
    Trajectories.compare(
        "muon step schedule",
        false,
        float64,
        STEPS,
        g -> Muon.builder().lr(lr).nsSteps(3).weightDecay(0.05).adamwLr(0.02).build(g),
        x0 -> {
          ReferenceMuon ref = new ReferenceMuon(x0, SHAPES);
          ref.lr = lr::valueAt;
          ref.nsSteps = 3;
          ref.weightDecay = 0.05;
          ref.adamwLr = 0.02;
          return ref;
        });
  }

  /**
   * One step on L = Σ_i ⟨G_i, W_i⟩ (so g_i = G_i exactly) for W₁ [3,5] (fan_in 3 &lt; fan_out 5: iterated as is,
   * scale sqrt(5/3)), W₂ [5,3] (iterated transposed, scale 1), a conv kernel K [2,2,3,4] (the matrix [12,4],
   * transposed, scale 1), a vector [4] and a scalar (AdamW). From b = 0: b = g, u = nesterov ? g + μ g : g, so
   * W = W(1 − lr wd) − lr·scale·NS(u) with NS the plain-Java iteration; the AdamW variables have m̂ = g, v̂ = g², so
   * x = x(1 − adamwLr wd) − adamwLr·g/(|g| + eps). (Iterating on the larger side would give the same O in exact
   * arithmetic, p(XXᵀ)X = X p(XᵀX): the orientation saves work, so this checks that the transposes and the reshape
   * are undone correctly and the scale follows fan_out/fan_in, not which side was iterated.)
   */
  @ParameterizedTest(name = "float64={0}, nesterov={1}")
  @CsvSource({"true, true", "true, false", "false, true", "false, false"})
  void oneStepNewtonSchulzBothOrientationsAndConv(boolean float64, boolean nesterov) {
    long[][] shapes = {{3, 5}, {5, 3}, {2, 2, 3, 4}, {4}, {}};
    Random random = new Random(7);
    double lr = 1.0; // so that x₁ − x₀(1 − lr wd) is −scale·O itself, compared at full precision
    double mu = 0.9;
    double wd = 0.2;
    double adamwLr = 0.01;
    double adamwEps = 1e-8;
    List<double[]> x0 = new ArrayList<>();
    List<double[]> grads = new ArrayList<>();
    for (long[] shape : shapes) {
      int size = (int) Shape.of(shape).size();
      x0.add(gaussian(random, size));
      grads.add(gaussian(random, size));
    }
    try (Graph graph = new Graph();
        Session session = new Session(graph)) {
      Ops tf = Ops.create(graph);
      List<Variable<?>> variables = new ArrayList<>();
      Operand<?> loss = null;
      for (int i = 0; i < shapes.length; i++) {
        Shape shape = Shape.of(shapes[i]);
        Variable<?> w = tf.withName("w" + i).variable(constant(tf.withInitScope(), x0.get(i), shape, float64));
        variables.add(w);
        Operand<?> term = innerProduct(tf, constant(tf, grads.get(i), shape, float64), w);
        loss = loss == null ? term : add(tf, loss, term);
      }
      Muon muon =
          Muon.builder()
              .lr(lr)
              .momentum(mu)
              .nesterov(nesterov)
              .weightDecay(wd)
              .adamwLr(adamwLr)
              .adamwEps(adamwEps)
              .build(graph);
      Op train = muon.minimize(loss);
      session.initialize();
      session.runner().addTarget(train).run();
      double tol = float64 ? 1e-9 : NS_FLOAT32_TOLERANCE;
      for (int i = 0; i < shapes.length; i++) {
        double[] expected = new double[x0.get(i).length];
        double[] g = grads.get(i);
        if (shapes[i].length >= 2) {
          int cols = (int) shapes[i][shapes[i].length - 1];
          int rows = g.length / cols;
          double[][] u = new double[rows][cols];
          for (int k = 0; k < g.length; k++) {
            u[k / cols][k % cols] = nesterov ? g[k] * (1 + mu) : g[k];
          }
          double[][] o = ReferenceMuon.newtonSchulz5(u, 5);
          double scale = Math.sqrt(Math.max(1.0, (double) cols / rows));
          for (int k = 0; k < g.length; k++) {
            expected[k] = x0.get(i)[k] * (1 - lr * wd) - lr * scale * o[k / cols][k % cols];
          }
        } else {
          for (int k = 0; k < g.length; k++) {
            expected[k] = x0.get(i)[k] * (1 - adamwLr * wd) - adamwLr * g[k] / (Math.abs(g[k]) + adamwEps);
          }
        }
        double[] actual = TensorValues.read(session, variables.get(i));
        for (int k = 0; k < expected.length; k++) {
          Trajectories.assertClose(
              "variable " + i + " " + Shape.of(shapes[i]) + "[" + k + "]", expected[k], actual[k], tol);
        }
        // From zeros, the momentum buffer (Muon) holds g and the first moment (AdamW) (1 − β1)g.
        String slot = shapes[i].length >= 2 ? "momentum" : "m";
        double[] state = TensorValues.read(session, muon.getSlot(variables.get(i).asOutput(), slot).orElseThrow());
        double factor = shapes[i].length >= 2 ? 1 : 1 - 0.9;
        for (int k = 0; k < g.length; k++) {
          assertEquals(factor * g[k], state[k], float64 ? 1e-15 : 1e-6 * Math.abs(g[k]) + 1e-7);
        }
      }
    }
  }

  /** NewtonSchulz5 of the plain-Java reference is nearly orthogonal: its singular values lie in ~[0.7, 1.2]. */
  @Test
  void plainJavaNewtonSchulzIsNearlyOrthogonal() {
    Random random = new Random(3);
    for (int[] dims : new int[][] {{3, 5}, {5, 3}, {12, 4}}) {
      double[][] g = new double[dims[0]][dims[1]];
      for (double[] row : g) {
        for (int c = 0; c < row.length; c++) {
          row[c] = random.nextGaussian();
        }
      }
      double[][] o = ReferenceMuon.newtonSchulz5(g, 5);
      // O Oᵀ (or OᵀO) on the small side: eigenvalues = squared singular values, its trace between 0.49 and 1.44 each
      int small = Math.min(dims[0], dims[1]);
      double trace = 0;
      for (int r = 0; r < dims[0]; r++) {
        for (int c = 0; c < dims[1]; c++) {
          trace += o[r][c] * o[r][c];
        }
      }
      double meanSquare = trace / small;
      assertEquals(1.0, meanSquare, 0.5, "mean squared singular value of NS(" + dims[0] + "x" + dims[1] + ")");
    }
  }

  @Test
  void rejectsAScheduleThatStartsAtZero() {
    Schedule lr = Schedule.constant(0.02).withLinearWarmup(10, 0.0);
    IllegalArgumentException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> Muon.builder().lr(lr).validate());
    org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().startsWith("muon: lr must be > 0 at step 0"));
    Muon.builder().lr(0).validate(); // 0 throughout: allowed, nothing moves
  }

  private static double[] gaussian(Random random, int size) {
    double[] out = new double[size];
    for (int k = 0; k < size; k++) {
      out[k] = random.nextGaussian();
    }
    return out;
  }

  @SuppressWarnings({"rawtypes", "unchecked"})
  private static Operand<?> constant(Ops tf, double[] values, Shape shape, boolean float64) {
    if (float64) {
      return tf.constant(shape, DataBuffers.of(values, true, false));
    }
    float[] f = new float[values.length];
    for (int k = 0; k < f.length; k++) {
      f[k] = (float) values[k];
    }
    return tf.constant(shape, DataBuffers.of(f, true, false));
  }

  @SuppressWarnings({"rawtypes", "unchecked"})
  private static Operand<?> innerProduct(Ops tf, Operand<?> g, Variable<?> w) {
    Operand product = tf.math.mul((Operand) g, (Operand) tf.identity((Operand) w));
    int rank = w.shape().numDimensions();
    int[] axes = new int[rank];
    for (int k = 0; k < rank; k++) {
      axes[k] = k;
    }
    return tf.sum(product, tf.constant(axes));
  }

  @SuppressWarnings({"rawtypes", "unchecked"})
  private static Operand<?> add(Ops tf, Operand<?> a, Operand<?> b) {
    return tf.math.add((Operand) a, (Operand) b);
  }
}
