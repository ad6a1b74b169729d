package io.github.tftrain.optimizers.reference;

/** A plain-Java double-precision optimizer, written from the equations and sharing no code with the graph version. */
public interface ReferenceOptimizer {

  /** Applies one step on {@code objective}'s minibatch {@code step} (0-based). */
  void step(Objective objective, int step);

  /** The point the next loss is evaluated at: what the graph's model variables hold between steps. */
  double[][] currentPoint();

  /** Moves the weights (Lookahead's fast ← slow); references that support wrappers override it. */
  default void setPoint(double[][] point) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot be wrapped");
  }

  static double[][] copy(double[][] a) {
    double[][] out = new double[a.length][];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i].clone();
    }
    return out;
  }

  static double[][] zerosLike(double[][] a) {
    double[][] out = new double[a.length][];
    for (int i = 0; i < a.length; i++) {
      out[i] = new double[a[i].length];
    }
    return out;
  }

  static double squaredNorm(double[] a) {
    double s = 0;
    for (double v : a) {
      s += v * v;
    }
    return s;
  }
}
