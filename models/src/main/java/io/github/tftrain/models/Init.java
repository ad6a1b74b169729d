package io.github.tftrain.models;

import java.util.Locale;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.linalg.Qr;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TFloating;

/**
 * Kernel initializers (the KaFiStO paper's Table 6 compares them), with torch.nn.init's definitions. Fans: a dense
 * kernel [in, out] has fan-in {@code in} and fan-out {@code out}; a convolution kernel [h, w, in, out] has
 * {@code h*w*in} and {@code h*w*out}.
 *
 * <p>Not taken from tensorflow-framework 1.1.0, whose initializers this project measured to be unusable: its
 * uniform variance-scaling initializers (He and Glorot uniform) draw from [0, limit) instead of (-limit, limit) —
 * all weights positive, mean limit/2 — and every initializer evaluates its shape operand by running a Session on the
 * graph being built, which first runs every initializer created so far (building ResNet-50 took 17 s, growing
 * quadratically). These compute the same distributions from the static shape with stateless random ops keyed by the
 * seed, so a seed gives the same weights every time.
 */
public enum Init {
  /** Kaiming/He uniform: U(-b, b), b = sqrt(6 / fan_in) (kaiming_uniform_ with a = 0, gain sqrt(2)). */
  KAIMING_UNIFORM,
  /** Xavier/Glorot normal: N(0, 2 / (fan_in + fan_out)) (xavier_normal_). */
  XAVIER_NORMAL,
  /** Xavier/Glorot uniform: U(-b, b), b = sqrt(6 / (fan_in + fan_out)) (xavier_uniform_). */
  XAVIER_UNIFORM,
  /**
   * Orthogonal (Saxe et al.), gain 1: the kernel flattened to [fan rows, out] is the Q of a QR decomposition of a
   * Gaussian matrix, signs fixed by R's diagonal (orthogonal_).
   */
  ORTHOGONAL;

  /**
   * Builds the initial value of a kernel.
   *
   * @param tf ops (the init scope)
   * @param seed the seed
   * @param shape the kernel's shape, rank >= 2
   * @param type float32 or float64
   */
  public <T extends TFloating> Operand<T> build(Ops tf, long seed, long[] shape, Class<T> type) {
    if (shape.length < 2) {
      throw new IllegalArgumentException("initializers are for kernels of rank >= 2, got rank " + shape.length);
    }
    long receptive = 1;
    for (int i = 0; i < shape.length - 2; i++) {
      receptive *= shape[i];
    }
    double fanIn = receptive * shape[shape.length - 2];
    double fanOut = receptive * shape[shape.length - 1];
    Operand<TInt64> seeds = tf.constant(new long[] {seed, 0x1717});
    Operand<TFloat64> value =
        switch (this) {
          case KAIMING_UNIFORM -> symmetricUniform(tf, shape, seeds, Math.sqrt(6 / fanIn));
          case XAVIER_UNIFORM -> symmetricUniform(tf, shape, seeds, Math.sqrt(6 / (fanIn + fanOut)));
          case XAVIER_NORMAL ->
              tf.math.mul(
                  tf.random.statelessRandomNormal(tf.constant(shape), seeds, TFloat64.class),
                  tf.constant(Math.sqrt(2 / (fanIn + fanOut))));
          case ORTHOGONAL -> orthogonal(tf, shape, seeds, (long) fanIn);
        };
    @SuppressWarnings("unchecked")
    Operand<T> typed = type == TFloat64.class ? (Operand<T>) value : tf.dtypes.cast(value, type);
    return typed;
  }

  private static Operand<TFloat64> symmetricUniform(Ops tf, long[] shape, Operand<TInt64> seeds, double bound) {
    Operand<TFloat64> unit = tf.random.statelessRandomUniform(tf.constant(shape), seeds, TFloat64.class);
    return tf.math.mul(tf.math.sub(tf.math.mul(unit, tf.constant(2.0)), tf.constant(1.0)), tf.constant(bound));
  }

  /** Q of QR(A), A ~ N(0, 1) of [rows, columns] (transposed when rows < columns), times sign(diag(R)). */
  private static Operand<TFloat64> orthogonal(Ops tf, long[] shape, Operand<TInt64> seeds, long rows) {
    long columns = shape[shape.length - 1];
    boolean transpose = rows < columns;
    long[] flat = transpose ? new long[] {columns, rows} : new long[] {rows, columns};
    Operand<TFloat64> gaussian = tf.random.statelessRandomNormal(tf.constant(flat), seeds, TFloat64.class);
    Qr<TFloat64> qr = tf.linalg.qr(gaussian);
    Operand<TFloat64> signs = tf.math.sign(tf.linalg.matrixDiagPartV3(qr.r(), tf.constant(0), tf.constant(0.0)));
    Operand<TFloat64> q = tf.math.mul(qr.q(), signs);
    if (transpose) {
      q = tf.linalg.transpose(q, tf.constant(new int[] {1, 0}));
    }
    return tf.reshape(q, tf.constant(shape));
  }

  /** Parses a command-line name (kaiming-uniform, xavier-normal, xavier-uniform, orthogonal). */
  public static Init parse(String name) {
    for (Init init : values()) {
      if (init.cliName().equals(name.trim().toLowerCase(Locale.ROOT))) {
        return init;
      }
    }
    throw new IllegalArgumentException(
        "unknown initializer '" + name + "'; valid: kaiming-uniform, xavier-normal, xavier-uniform, orthogonal");
  }

  /** The command-line name. */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
