package io.github.tftrain.cli.trace;

import java.util.List;
import java.util.Locale;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.family.TNumber;

/**
 * Classic 2-D optimization test functions, as TF graph ops (for the optimizer) and in plain Java (for the contour
 * plot). Each has the customary starting point, its minimum and a domain for plotting.
 */
public enum TestFunction {
  /** (1 - x0)² + 100 (x1 - x0²)²: a curved valley; minimum 0 at (1, 1). */
  ROSENBROCK(new double[] {-1.5, 2}, new double[] {1, 1}, new double[] {-2, 2, -1, 3}) {
    @Override
    public double value(double x0, double x1) {
      return sq(1 - x0) + 100 * sq(x1 - x0 * x0);
    }

    @Override
    <T extends TNumber> Operand<T> build(Ops tf, Operand<T> x0, Operand<T> x1, Constants<T> c) {
      return tf.math.add(
          tf.math.square(tf.math.sub(c.of(1), x0)),
          tf.math.mul(c.of(100), tf.math.square(tf.math.sub(x1, tf.math.square(x0)))));
    }
  },
  /** 0.5 x0² + 5 x1²: an ill-conditioned bowl (condition number 10); minimum 0 at (0, 0). */
  QUADRATIC(new double[] {3, 2}, new double[] {0, 0}, new double[] {-3.5, 3.5, -2.5, 2.5}) {
    @Override
    public double value(double x0, double x1) {
      return 0.5 * x0 * x0 + 5 * x1 * x1;
    }

    @Override
    <T extends TNumber> Operand<T> build(Ops tf, Operand<T> x0, Operand<T> x1, Constants<T> c) {
      return tf.math.add(
          tf.math.mul(c.of(0.5), tf.math.square(x0)), tf.math.mul(c.of(5), tf.math.square(x1)));
    }
  },
  /** (1.5 - x0 + x0x1)² + (2.25 - x0 + x0x1²)² + (2.625 - x0 + x0x1³)²; minimum 0 at (3, 0.5). */
  BEALE(new double[] {1, 1.5}, new double[] {3, 0.5}, new double[] {-1, 4, -1.5, 2}) {
    @Override
    public double value(double x0, double x1) {
      return sq(1.5 - x0 + x0 * x1) + sq(2.25 - x0 + x0 * x1 * x1) + sq(2.625 - x0 + x0 * x1 * x1 * x1);
    }

    @Override
    <T extends TNumber> Operand<T> build(Ops tf, Operand<T> x0, Operand<T> x1, Constants<T> c) {
      Operand<T> x1Squared = tf.math.square(x1);
      Operand<T> x1Cubed = tf.math.mul(x1Squared, x1);
      return tf.math.add(
          tf.math.add(term(tf, c, 1.5, x0, x1), term(tf, c, 2.25, x0, x1Squared)), term(tf, c, 2.625, x0, x1Cubed));
    }

    private <T extends TNumber> Operand<T> term(Ops tf, Constants<T> c, double a, Operand<T> x0, Operand<T> power) {
      return tf.math.square(tf.math.add(tf.math.sub(c.of(a), x0), tf.math.mul(x0, power)));
    }
  },
  /** 20 + Σ (xi² - 10 cos 2π xi): many local minima; global minimum 0 at (0, 0). */
  RASTRIGIN(new double[] {-2.5, 1.5}, new double[] {0, 0}, new double[] {-3, 3, -3, 3}) {
    @Override
    public double value(double x0, double x1) {
      return 20 + x0 * x0 - 10 * Math.cos(2 * Math.PI * x0) + x1 * x1 - 10 * Math.cos(2 * Math.PI * x1);
    }

    @Override
    <T extends TNumber> Operand<T> build(Ops tf, Operand<T> x0, Operand<T> x1, Constants<T> c) {
      return tf.math.add(tf.math.add(c.of(20), term(tf, c, x0)), term(tf, c, x1));
    }

    private <T extends TNumber> Operand<T> term(Ops tf, Constants<T> c, Operand<T> x) {
      return tf.math.sub(
          tf.math.square(x), tf.math.mul(c.of(10), tf.math.cos(tf.math.mul(c.of(2 * Math.PI), x))));
    }
  };

  private final double[] start;
  private final double[] minimum;
  private final double[] domain;

  TestFunction(double[] start, double[] minimum, double[] domain) {
    this.start = start;
    this.minimum = minimum;
    this.domain = domain;
  }

  /** The function in plain Java. */
  public abstract double value(double x0, double x1);

  abstract <T extends TNumber> Operand<T> build(Ops tf, Operand<T> x0, Operand<T> x1, Constants<T> c);

  /**
   * The function of a [2] vector, as graph ops in the vector's float type.
   *
   * @param tf ops
   * @param x a float32 or float64 vector of shape [2] (a value, not a variable reference)
   * @param constants makes scalar constants of the vector's type
   */
  public <T extends TNumber> Operand<T> build(Ops tf, Operand<T> x, Constants<T> constants) {
    List<org.tensorflow.Output<T>> parts = tf.unstack(x, 2L).output();
    return build(tf, parts.get(0), parts.get(1), constants);
  }

  /** The customary starting point. */
  public double[] start() {
    return start.clone();
  }

  /** The global minimizer. */
  public double[] minimum() {
    return minimum.clone();
  }

  /** The plotting domain {x0min, x0max, x1min, x1max}. */
  public double[] domain() {
    return domain.clone();
  }

  /** The lowercase command-line name. */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses a command-line name, listing the valid ones on failure. */
  public static TestFunction parse(String name) {
    for (TestFunction f : values()) {
      if (f.cliName().equals(name.trim().toLowerCase(Locale.ROOT))) {
        return f;
      }
    }
    throw new IllegalArgumentException(
        "unknown function '" + name + "'; valid: rosenbrock, quadratic, beale, rastrigin");
  }

  private static double sq(double v) {
    return v * v;
  }

  /** Scalar constants in the function's float type. */
  @FunctionalInterface
  public interface Constants<T extends TNumber> {
    Operand<T> of(double value);
  }
}
