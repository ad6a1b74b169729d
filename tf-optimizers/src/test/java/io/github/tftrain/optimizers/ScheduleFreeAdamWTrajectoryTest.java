package io.github.tftrain.optimizers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.tftrain.optimizers.reference.ReferenceScheduleFreeAdamW;
import io.github.tftrain.optimizers.schedule.Schedule;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat64;

/**
 * Schedule-Free AdamW: trajectories of y (the model variables) against the plain-Java reference, the evaluation
 * point x, and the first steps by hand.
 */
class ScheduleFreeAdamWTrajectoryTest {
  private static final int STEPS = 20;

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void defaultsScalarLoss(boolean float64) {
    Trajectories.compare(
        "adamw-schedulefree defaults", false, float64, STEPS, ScheduleFreeAdamW::new,
        ReferenceScheduleFreeAdamW::new);
  }

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void weightDecayAndCosineSchedule(boolean float64) {
    Schedule lr = Schedule.cosine(0.05, STEPS, 0.005);
    Trajectories.compare(
        "adamw-schedulefree wd cosine",
        true,
        float64,
        STEPS,
        g -> ScheduleFreeAdamW.builder().lr(lr).weightDecay(0.1).build(g),
        x0 -> {
          ReferenceScheduleFreeAdamW ref = new ReferenceScheduleFreeAdamW(x0);
          ref.lr = lr::valueAt;
          ref.weightDecay = 0.1;
          return ref;
        });
  }

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void warmupPolynomialWeightsAndStepSchedule(boolean float64) {
    // warmup > 0 (sched < 1 for the first 5 steps, so lr_max grows), r > 0, a step schedule that lowers lr_k
    // below lr_max (the weights keep lr_max), weight decay, other betas and eps.
    Schedule lr = Schedule.step(0.08, 8, 0.5);
    Trajectories.compare(
        "adamw-schedulefree warmup r",
        true,
        float64,
        STEPS,
        g ->
            ScheduleFreeAdamW.builder()
                .lr(lr)
                .warmup(5)
                .r(1.5)
                .weightLrPower(1.0)
                .beta1(0.8)
                .beta2(0.99)
                .eps(1e-6)
                .weightDecay(0.05)
                .build(g),
        x0 -> {
          ReferenceScheduleFreeAdamW ref = new ReferenceScheduleFreeAdamW(x0);
          ref.lr = lr::valueAt;
          ref.warmup = 5;
          ref.r = 1.5;
          ref.weightLrPower = 1.0;
          ref.beta1 = 0.8;
          ref.beta2 = 0.99;
          ref.eps = 1e-6;
          ref.weightDecay = 0.05;
          return ref;
        });
  }

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void unweightedAverageAndPrimalAveraging(boolean float64) {
    // weightLrPower 0 (weights t^r only) and β1 = 1 (y = x: gradients at the average), warmup longer than r's
    // influence; scalar loss.
    Trajectories.compare(
        "adamw-schedulefree power 0 beta1 1",
        false,
        float64,
        STEPS,
        g -> ScheduleFreeAdamW.builder().lr(0.05).weightLrPower(0).beta1(1.0).warmup(3).r(0.5).build(g),
        x0 -> {
          ReferenceScheduleFreeAdamW ref = new ReferenceScheduleFreeAdamW(x0);
          ref.lr = s -> 0.05;
          ref.weightLrPower = 0;
          ref.beta1 = 1.0;
          ref.warmup = 3;
          ref.r = 0.5;
          return ref;
        });
  }

  /**
   * After some steps, the evaluation value equals (y − (1 − β1) z)/β1 computed from the fetched variable and slot,
   * and the reference's x; fetching it changes nothing.
   */
  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void evaluationValueIsTheAverage(boolean float64) {
    int steps = 7;
    double beta1 = 0.85;
    Schedule lr = Schedule.cosine(0.05, STEPS, 0.01);
    RegressionProblem problem = new RegressionProblem(steps, true);
    ReferenceScheduleFreeAdamW ref = new ReferenceScheduleFreeAdamW(problem.initial);
    ref.lr = lr::valueAt;
    ref.beta1 = beta1;
    ref.warmup = 2;
    ref.r = 1;
    ref.weightDecay = 0.02;
    double tol = Trajectories.tolerance(float64);
    try (RegressionProblem.InGraph g = problem.new InGraph(float64)) {
      ScheduleFreeAdamW optimizer =
          ScheduleFreeAdamW.builder().lr(lr).beta1(beta1).warmup(2).r(1).weightDecay(0.02).build(g.graph);
      Op train = optimizer.minimize(g.loss());
      List<EvaluationWeight<?>> weights = optimizer.evaluationWeights();
      assertEquals(3, weights.size());
      for (int step = 0; step < steps; step++) {
        g.run(train, step, List.of());
        ref.step(problem, step);
      }
      Session session = g.session();
      double[][] y = g.values();
      double[][] expectedX = ref.evaluationPoint();
      for (int i = 0; i < 3; i++) {
        EvaluationWeight<?> weight = weights.get(i);
        assertEquals(g.variables.get(i).op().name(), weight.variable().op().name());
        Variable<?> zSlot = optimizer.getSlot(g.variables.get(i).asOutput(), "z").orElseThrow();
        double[] z = TensorValues.read(session, zSlot);
        double[] x = TensorValues.read(session, weight.value());
        for (int j = 0; j < x.length; j++) {
          double fromSlots = (y[i][j] - (1 - beta1) * z[j]) / beta1;
          String at = "variable " + i + "[" + j + "]";
          Trajectories.assertClose("x from y and z, " + at, fromSlots, x[j], float64 ? 1e-12 : 1e-6);
          Trajectories.assertClose("x against the reference, " + at, expectedX[i][j], x[j], tol);
          Trajectories.assertClose("z against the reference, " + at, ref.z()[i][j], z[j], tol);
        }
      }
      // Pure reads: y is unchanged after fetching x.
      Trajectories.assertClose("y after fetching x", y, g.values(), 0);
    }
  }

  /**
   * Steps 1 to 3 by hand on a linear loss L = 2 y₀ − 0.5 y₁ (g = G = [2, −0.5] at every step), y = z = [1, −2] at
   * the start; lr 0.1, β1 0.9, β2 0.999, eps 1e-8, wd 0.5, warmup 2, r 1, weightLrPower 2.
   *
   * <p>With a constant gradient v_t = G²(1 − β2^t), so sqrt(v/bc2) = |G| at every step and the normalised gradient
   * is s = G/(|G| + eps) = [2/(2 + 1e-8), −0.5/(0.5 + 1e-8)] ≈ [1, −1]; ĝ = s + 0.5 y.
   */
  @Test
  void firstStepsByHand() {
    double eps = 1e-8;
    double s0 = 2 / (2 + eps);
    double s1 = -0.5 / (0.5 + eps);
    try (Graph graph = new Graph();
        Session session = new Session(graph)) {
      Ops tf = Ops.create(graph);
      Variable<TFloat64> y = tf.withName("y").variable(tf.withInitScope().constant(new double[] {1, -2}));
      Operand<TFloat64> loss = tf.sum(tf.math.mul(tf.constant(new double[] {2, -0.5}), tf.identity(y)),
          tf.constant(0));
      ScheduleFreeAdamW optimizer =
          ScheduleFreeAdamW.builder().lr(0.1).weightDecay(0.5).warmup(2).r(1).weightLrPower(2).build(graph);
      Op train = optimizer.minimize(loss);
      Variable<TFloat64> z = optimizer.getSlot(y.asOutput(), "z").orElseThrow();
      Operand<?> x = optimizer.evaluationWeights().get(0).value();
      session.initialize();

      // Step 1 (k = 0): sched = 1/2, lr₁ = 0.05, lr_max = 0.05, w = 1¹·0.05² = 0.0025, W = 0.0025, c = 1.
      //   ĝ₁ = s + 0.5·[1, −2] ≈ [1.5, −2]
      //   y = 0·y + 1·z = [1, −2];  y₁ = y + 0.05·(0.9·0 − 1)·ĝ₁ = [1, −2] − 0.05 ĝ₁ ≈ [0.925, −1.9]
      //   z₁ = [1, −2] − 0.05 ĝ₁ = y₁
      session.runner().addTarget(train).run();
      double[] g1 = {s0 + 0.5 * 1, s1 + 0.5 * -2};
      double[] y1 = {1 - 0.05 * g1[0], -2 - 0.05 * g1[1]};
      assertVector("y after step 1", y1, TensorValues.read(session, y));
      assertVector("z after step 1", y1, TensorValues.read(session, z));
      assertEquals(0.925, y1[0], 1e-8); // the eps-free values, a check of the derivation (eps moves them ~1e-9)
      assertEquals(-1.9, y1[1], 1e-8);
      assertEquals(0.05, TensorValues.read(session, optimizer.lrMax())[0], 1e-15);
      assertEquals(0.0025, TensorValues.read(session, optimizer.weightSum())[0], 1e-15);

      // Step 2 (k = 1): sched = 1, lr₂ = 0.1, lr_max = 0.1, w = 2¹·0.1² = 0.02, W = 0.0225, c = 8/9.
      //   ĝ₂ = s + 0.5 y₁ ≈ [1.4625, −1.95]
      //   y = (1/9) y₁ + (8/9) z₁ = y₁;  y₂ = y₁ + 0.1·(0.9·(1/9) − 1)·ĝ₂ = y₁ − 0.09 ĝ₂ ≈ [0.793375, −1.7245]
      //   z₂ = z₁ − 0.1 ĝ₂ ≈ [0.77875, −1.705]
      //   x₂ = (y₂ − 0.1 z₂)/0.9 = y₁ − (0.08/0.9) ĝ₂ ≈ [0.795, −1.72667]
      session.runner().addTarget(train).run();
      double[] g2 = {s0 + 0.5 * y1[0], s1 + 0.5 * y1[1]};
      double[] y2 = {y1[0] - 0.09 * g2[0], y1[1] - 0.09 * g2[1]};
      double[] z2 = {y1[0] - 0.1 * g2[0], y1[1] - 0.1 * g2[1]};
      double[] x2 = {y1[0] - 0.08 / 0.9 * g2[0], y1[1] - 0.08 / 0.9 * g2[1]};
      assertVector("y after step 2", y2, TensorValues.read(session, y));
      assertVector("z after step 2", z2, TensorValues.read(session, z));
      assertVector("x after step 2", x2, TensorValues.read(session, x));
      assertEquals(0.793375, y2[0], 1e-8);
      assertEquals(-1.7245, y2[1], 1e-8);
      assertEquals(0.795, x2[0], 1e-8);

      // Step 3 (k = 2): lr₃ = 0.1, lr_max = 0.1, w = 3¹·0.01 = 0.03, W = 0.0525, c = 4/7: now y₂ ≠ z₂.
      //   ĝ₃ = s + 0.5 y₂
      //   y = (3/7) y₂ + (4/7) z₂;  y₃ = y + 0.1·(0.9·(3/7) − 1)·ĝ₃ = y − (0.43/7) ĝ₃
      //   z₃ = z₂ − 0.1 ĝ₃
      session.runner().addTarget(train).run();
      double[] g3 = {s0 + 0.5 * y2[0], s1 + 0.5 * y2[1]};
      double[] y3 = new double[2];
      double[] z3 = new double[2];
      for (int j = 0; j < 2; j++) {
        y3[j] = 3.0 / 7 * y2[j] + 4.0 / 7 * z2[j] - 0.43 / 7 * g3[j];
        z3[j] = z2[j] - 0.1 * g3[j];
      }
      assertVector("y after step 3", y3, TensorValues.read(session, y));
      assertVector("z after step 3", z3, TensorValues.read(session, z));
      assertEquals(0.0525, TensorValues.read(session, optimizer.weightSum())[0], 1e-15);
    }
  }

  private static void assertVector(String label, double[] expected, double[] actual) {
    assertEquals(expected.length, actual.length, label);
    for (int j = 0; j < expected.length; j++) {
      assertEquals(expected[j], actual[j], 1e-12, label + "[" + j + "]");
    }
  }
}
