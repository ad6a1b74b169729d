package io.github.tftrain.optimizers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat64;

/**
 * The first steps of the torch-semantics optimizers (Adagrad, RMSprop, Adadelta, Adamax, NAdam, RAdam) on one float64
 * variable x₀ = [1, -2], against values derived by hand from the algorithms in the torch 1.13 documentation
 * (pytorch.org/docs/1.13/optim.html). Most use f(x) = Σ x²/2, so g = x (plus wd·x with L2 weight decay); RAdam's
 * rectified branch uses a linear f(x) = Σ c·x, whose gradient c is constant, so it has a closed form at every step.
 * Hyperparameters are chosen so every term matters at 1e-12: eps is large enough that where it is added shows.
 */
class TorchFirstStepsByHandTest {
  private static final double EXACT = 1e-12;

  /** One float64 variable x = [1, -2] and a scalar loss of it; a session that runs steps and reads x. */
  private static final class Problem implements AutoCloseable {
    final Graph graph = new Graph();
    final Ops tf = Ops.create(graph);
    final Variable<TFloat64> x = tf.withName("x").variable(tf.withInitScope().constant(new double[] {1, -2}));
    final Operand<TFloat64> loss;
    final Session session;

    /** f = Σ x²/2 (g = x), or with {@code c}: f = Σ c·x (g = c). */
    private Problem(double[] c) {
      Operand<TFloat64> value = tf.identity(x);
      Operand<TFloat64> terms =
          c == null
              ? tf.math.mul(tf.constant(0.5), tf.math.square(value))
              : tf.math.mul(tf.constant(c), value);
      loss = tf.sum(terms, tf.constant(0));
      session = new Session(graph);
    }

    static Problem quadratic() {
      return new Problem(null);
    }

    static Problem linear(double... c) {
      return new Problem(c);
    }

    void step(Op train) {
      session.runner().addTarget(train).run();
    }

    void assertX(String label, double x0, double x1) {
      double[] x = TensorValues.read(session, this.x);
      assertEquals(x0, x[0], EXACT, label + ", x[0]");
      assertEquals(x1, x[1], EXACT, label + ", x[1]");
    }

    @Override
    public void close() {
      session.close();
      graph.close();
    }
  }

  @Test
  void adagradWithLrDecayAndInitialAccumulator() {
    try (Problem p = Problem.quadratic()) {
      Op train =
          Adagrad.builder().lr(0.1).lrDecay(0.5).initialAccumulator(3).eps(0.5).build(p.graph).minimize(p.loss);
      // Step 1 (t = 1): clr = 0.1 / (1 + 0·0.5) = 0.1;  g = x₀ = [1, -2]
      //   sum = 3 + g² = [4, 7]
      //   x₁ = x₀ - 0.1·g / (√sum + 0.5) = [1 - 0.1/2.5, -2 + 0.2/(√7 + 0.5)] = [0.96, -2 + 0.2/(√7 + 0.5)]
      p.step(train);
      double b1 = -2 + 0.2 / (Math.sqrt(7) + 0.5);
      p.assertX("step 1", 0.96, b1);
      // Step 2 (t = 2): clr = 0.1 / (1 + 1·0.5) = 1/15;  g = x₁
      //   sum = [4 + 0.96², 7 + b₁²] = [4.9216, 7 + b₁²]
      //   x₂ = x₁ - (1/15)·x₁ / (√sum + 0.5)
      p.step(train);
      p.assertX(
          "step 2",
          0.96 - 0.96 / 15 / (Math.sqrt(4.9216) + 0.5),
          b1 - b1 / 15 / (Math.sqrt(7 + b1 * b1) + 0.5));
    }
  }

  @Test
  void rmsprop() {
    try (Problem p = Problem.quadratic()) {
      Op train = RmsProp.builder().lr(0.1).alpha(0.75).eps(0.5).build(p.graph).minimize(p.loss);
      // Step 1: g = [1, -2];  v = 0.75·0 + 0.25·g² = [0.25, 1];  avg = √v + 0.5 = [1, 1.5]
      //   x₁ = x₀ - 0.1·g / avg = [1 - 0.1, -2 + 0.2/1.5] = [0.9, -28/15]
      p.step(train);
      p.assertX("step 1", 0.9, -28.0 / 15);
      // Step 2: g = x₁ = [0.9, -28/15]
      //   v = 0.75·[0.25, 1] + 0.25·[0.81, 784/225] = [0.39, 0.75 + 196/225];  avg = √v + 0.5
      //   x₂ = x₁ - 0.1·x₁ / avg
      p.step(train);
      p.assertX(
          "step 2",
          0.9 - 0.09 / (Math.sqrt(0.39) + 0.5),
          -28.0 / 15 + 2.8 / 15 / (Math.sqrt(0.75 + 196.0 / 225) + 0.5));
    }
  }

  @Test
  void rmspropCenteredWithMomentum() {
    try (Problem p = Problem.quadratic()) {
      Op train =
          RmsProp.builder().lr(0.1).alpha(0.75).eps(0.5).momentum(0.5).centered(true).build(p.graph)
              .minimize(p.loss);
      // Step 1: g = [1, -2];  v = 0.25·g² = [0.25, 1];  gAvg = 0.25·g = [0.25, -0.5]
      //   avg = √(v - gAvg²) + 0.5 = [√0.1875 + 0.5, √0.75 + 0.5] = [√3/4 + 1/2, √3/2 + 1/2]
      //   b = 0.5·0 + g / avg = [1/(√3/4 + 1/2), -2/(√3/2 + 1/2)];  x₁ = x₀ - 0.1·b
      double s3 = Math.sqrt(3);
      double[] b = {1 / (s3 / 4 + 0.5), -2 / (s3 / 2 + 0.5)};
      double[] x = {1 - 0.1 * b[0], -2 - 0.1 * b[1]};
      p.step(train);
      p.assertX("step 1", x[0], x[1]);
      // Step 2: g = x₁;  v = 0.75·[0.25, 1] + 0.25·g²;  gAvg = 0.75·[0.25, -0.5] + 0.25·g
      //   avg = √(v - gAvg²) + 0.5;  b = 0.5·b₁ + g / avg;  x₂ = x₁ - 0.1·b
      double[] v = {0.1875 + 0.25 * x[0] * x[0], 0.75 + 0.25 * x[1] * x[1]};
      double[] gAvg = {0.1875 + 0.25 * x[0], -0.375 + 0.25 * x[1]};
      double[] x2 = new double[2];
      for (int i = 0; i < 2; i++) {
        double avg = Math.sqrt(v[i] - gAvg[i] * gAvg[i]) + 0.5;
        x2[i] = x[i] - 0.1 * (0.5 * b[i] + x[i] / avg);
      }
      p.step(train);
      p.assertX("step 2", x2[0], x2[1]);
    }
  }

  @Test
  void adadelta() {
    try (Problem p = Problem.quadratic()) {
      Op train = Adadelta.builder().lr(0.5).rho(0.75).eps(0.25).build(p.graph).minimize(p.loss);
      // Step 1: g = [1, -2];  v = 0.75·0 + 0.25·g² = [0.25, 1]
      //   delta = √(u + 0.25) / √(v + 0.25)·g = [0.5/√0.5, 0.5/√1.25·(-2)] = [1/√2, -2/√5]
      //   u = 0.25·delta² = [1/8, 1/5];  x₁ = x₀ - 0.5·delta = [1 - 1/(2√2), -2 + 1/√5]
      double a = 1 - 1 / (2 * Math.sqrt(2));
      double b = -2 + 1 / Math.sqrt(5);
      p.step(train);
      p.assertX("step 1", a, b);
      // Step 2: g = x₁ = [a, b];  v = 0.75·[0.25, 1] + 0.25·g² = [0.1875 + a²/4, 0.75 + b²/4]
      //   delta = √(u + 0.25) / √(v + 0.25)·g = [√0.375/√(0.4375 + a²/4)·a, √0.45/√(1 + b²/4)·b]
      //   x₂ = x₁ - 0.5·delta
      p.step(train);
      p.assertX(
          "step 2",
          a - 0.5 * Math.sqrt(0.375) / Math.sqrt(0.4375 + a * a / 4) * a,
          b - 0.5 * Math.sqrt(0.45) / Math.sqrt(1 + b * b / 4) * b);
    }
  }

  @Test
  void adamaxWithWeightDecay() {
    try (Problem p = Problem.quadratic()) {
      Op train =
          Adamax.builder().lr(1.0).beta1(0.75).beta2(0.75).eps(0.25).weightDecay(0.5).build(p.graph)
              .minimize(p.loss);
      // Step 1: g = x + 0.5·x = 1.5·x₀ = [1.5, -3];  m = 0.25·g = [0.375, -0.75]
      //   u = max(0.75·0, |g| + 0.25) = [1.75, 3.25];  lr / (1 - 0.75¹) = 4
      //   x₁ = x₀ - 4·m / u = x₀ - g / u = [1 - 1.5/1.75, -2 + 3/3.25] = [1/7, -14/13]
      p.step(train);
      p.assertX("step 1", 1.0 / 7, -14.0 / 13);
      // Step 2: g = 1.5·x₁ = [3/14, -21/13];  m = 0.75·m₁ + 0.25·g = [0.28125 + 3/56, -0.5625 - 21/52]
      //   u = max(0.75·u₁, |g| + 0.25) = [max(1.3125, 3/14 + 0.25), max(2.4375, 21/13 + 0.25)] = [1.3125, 2.4375]
      //   lr / (1 - 0.75²) = 1/0.4375 = 16/7;  x₂ = x₁ - (16/7)·m / u
      p.step(train);
      p.assertX(
          "step 2",
          1.0 / 7 - 16.0 / 7 * (0.28125 + 3.0 / 56) / 1.3125,
          -14.0 / 13 + 16.0 / 7 * (0.5625 + 21.0 / 52) / 2.4375);
    }
  }

  @Test
  void nadam() {
    try (Problem p = Problem.quadratic()) {
      Op train =
          NAdam.builder().lr(0.1).beta1(0.6).beta2(0.75).eps(0.5).momentumDecay(1).build(p.graph).minimize(p.loss);
      // ψ = 1:  μ_t = 0.6·(1 - 0.5·0.96^t):  μ₁ = 0.6·0.52 = 0.312, μ₂ = 0.6·0.5392 = 0.32352,
      //   μ₃ = 0.6·0.557632 = 0.3345792
      double mu1 = 0.312;
      double mu2 = 0.32352;
      double mu3 = 0.3345792;
      // Step 1: μprod = μ₁;  g = [1, -2];  m = 0.4·g = [0.4, -0.8];  v = 0.25·g² = [0.25, 1]
      //   denom = √(v / (1 - 0.75)) + 0.5 = |g| + 0.5 = [1.5, 2.5]
      //   x₁ = x₀ - 0.1·(1 - μ₁)/(1 - μ₁)·g / denom - 0.1·μ₂/(1 - μ₁μ₂)·m / denom
      //      = x₀ - 0.1·g / denom - c·m / denom,   c = 0.1·μ₂ / (1 - μ₁μ₂)
      double c = 0.1 * mu2 / (1 - mu1 * mu2);
      double[] x = {1 - 0.1 / 1.5 - c * 0.4 / 1.5, -2 + 0.2 / 2.5 + c * 0.8 / 2.5};
      p.step(train);
      p.assertX("step 1", x[0], x[1]);
      // Step 2: μprod = μ₁μ₂;  g = x₁;  m = 0.6·m₁ + 0.4·g;  v = 0.75·v₁ + 0.25·g²
      //   denom = √(v / (1 - 0.75²)) + 0.5 = √(v / 0.4375) + 0.5
      //   x₂ = x₁ - 0.1·(1 - μ₂)/(1 - μ₁μ₂)·g / denom - 0.1·μ₃/(1 - μ₁μ₂μ₃)·m / denom
      double[] m1 = {0.4, -0.8};
      double[] v1 = {0.25, 1};
      double gRate = 0.1 * (1 - mu2) / (1 - mu1 * mu2);
      double mRate = 0.1 * mu3 / (1 - mu1 * mu2 * mu3);
      double[] x2 = new double[2];
      for (int i = 0; i < 2; i++) {
        double g = x[i];
        double m = 0.6 * m1[i] + 0.4 * g;
        double v = 0.75 * v1[i] + 0.25 * g * g;
        double denom = Math.sqrt(v / 0.4375) + 0.5;
        x2[i] = x[i] - gRate * g / denom - mRate * m / denom;
      }
      p.step(train);
      p.assertX("step 2", x2[0], x2[1]);
      // The product of the μ's is one scalar of the optimizer, multiplied once per step.
      Operand<TFloat64> muProduct = p.graph.operation("nadam/mu_product").output(0);
      assertEquals(mu1 * mu2, TensorValues.read(p.session, muProduct)[0], EXACT, "μprod after step 2");
    }
  }

  @Test
  void radamFirstStepsAreSgdWithBiasCorrectedMomentum() {
    try (Problem p = Problem.quadratic()) {
      Op train = RAdam.builder().lr(0.1).beta1(0.75).build(p.graph).minimize(p.loss);
      // β2 = 0.999: ρ∞ = 2/0.001 - 1 = 1999;  ρ₁ = 1999 - 2·0.999/0.001 = 1,
      //   ρ₂ = 1999 - 4·0.998001/0.001999 ≈ 2.0, both ≤ 5: x = x - lr·m̂
      // Step 1: g = [1, -2];  m = 0.25·g;  m̂ = m / (1 - 0.75) = g;  x₁ = x₀ - 0.1·g = [0.9, -1.8]
      p.step(train);
      p.assertX("step 1", 0.9, -1.8);
      // Step 2: g = [0.9, -1.8];  m = 0.75·[0.25, -0.5] + 0.25·[0.9, -1.8] = [0.4125, -0.825]
      //   m̂ = m / (1 - 0.75²) = m / 0.4375 = [33/35, -66/35];  x₂ = x₁ - 0.1·m̂ = [0.9 - 3.3/35, -1.8 + 6.6/35]
      p.step(train);
      p.assertX("step 2", 0.9 - 3.3 / 35, -1.8 + 6.6 / 35);
    }
  }

  @Test
  void radamRectifiedFromStepSix() {
    try (Problem p = Problem.linear(1, -2)) {
      Op train = RAdam.builder().lr(0.1).beta1(0.5).beta2(0.9).eps(0.5).build(p.graph).minimize(p.loss);
      // g = c = [1, -2] at every step, so m_t = (1 - 0.5^t)·g, m̂ = g, and v_t = (1 - 0.9^t)·g².
      // ρ∞ = 2/0.1 - 1 = 19;  ρ_t = 19 - 2t·0.9^t / (1 - 0.9^t):
      //   ρ₅ = 19 - 10·0.59049/0.40951 ≈ 4.58 ≤ 5, ρ₆ = 19 - 12·0.531441/0.468559 ≈ 5.39 > 5.
      // Steps 1 to 5: x_t = x_{t-1} - 0.1·m̂ = x₀ - 0.1·t·g
      p.step(train);
      p.assertX("step 1", 0.9, -1.8);
      p.step(train);
      p.assertX("step 2", 0.8, -1.6);
      p.step(train);
      p.step(train);
      p.step(train);
      p.assertX("step 5", 0.5, -1.0);
      // Step 6: bc2 = 1 - 0.9⁶ = 0.468559;  √v = |g|·√bc2;  l = √bc2 / (|g|·√bc2 + 0.5)
      //   r = √((ρ₆ - 4)(ρ₆ - 2)·19 / (15·17·ρ₆));  x₆ = x₅ - 0.1·g·l·r
      double bc2 = 0.468559;
      double rho6 = 19 - 12 * 0.531441 / bc2;
      double r = Math.sqrt((rho6 - 4) * (rho6 - 2) * 19 / (15 * 17 * rho6));
      double l0 = Math.sqrt(bc2) / (Math.sqrt(bc2) + 0.5);
      double l1 = Math.sqrt(bc2) / (2 * Math.sqrt(bc2) + 0.5);
      p.step(train);
      p.assertX("step 6", 0.5 - 0.1 * l0 * r, -1.0 + 0.2 * l1 * r);
    }
  }
}
