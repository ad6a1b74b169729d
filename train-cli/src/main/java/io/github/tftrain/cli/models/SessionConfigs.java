package io.github.tftrain.cli.models;

import java.util.Locale;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.GraphOptions;
import org.tensorflow.proto.RewriterConfig;

/** Session configurations for training graphs. */
public final class SessionConfigs {
  private SessionConfigs() {}

  /** The arithmetic a training graph runs in. */
  public enum Precision {
    /** Everything in float32. */
    FLOAT32,
    /**
     * Grappler's oneDNN auto-mixed-precision pass: convolutions, matrix products and most element-wise ops run in
     * bfloat16, variables, optimizer state and numerically sensitive ops (softmax, reductions, batch-norm
     * statistics) stay float32. Faster on CPUs with AVX512_BF16 or AMX; elsewhere oneDNN emulates bfloat16 and it
     * is slower. Training is not bitwise identical to float32.
     */
    MIXED_BFLOAT16;

    /** Parses float32 or mixed-bfloat16. */
    public static Precision parse(String name) {
      for (Precision p : values()) {
        if (p.cliName().equals(name.trim().toLowerCase(Locale.ROOT))) {
          return p;
        }
      }
      throw new IllegalArgumentException("unknown precision '" + name + "'; valid: float32, mixed-bfloat16");
    }

    public String cliName() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  /** {@link #of(int, boolean, Precision)} in float32. */
  public static ConfigProto of(int threads, boolean remapping) {
    return of(threads, remapping, Precision.FLOAT32);
  }

  /**
   * @param threads intra- and inter-op threads, or 0 for TensorFlow's default (one per core)
   * @param remapping Grappler's remapper pass, which fuses e.g. Conv2D + BiasAdd + activation. Turn it off for the
   *     WGAN-GP graph: the penalty's second-order gradient reads the BiasAdd the remapper wants to fuse away, so the
   *     pass fails on every run ("remapper failed: ... fanout ... exist for missing node"), logs an error and leaves
   *     the graph as it was anyway.
   * @param precision float32, or oneDNN mixed bfloat16
   */
  public static ConfigProto of(int threads, boolean remapping, Precision precision) {
    if (threads < 0) {
      throw new IllegalArgumentException("threads must be >= 0 (0 = one per core), got " + threads);
    }
    ConfigProto.Builder config = ConfigProto.newBuilder();
    if (threads > 0) {
      config.setIntraOpParallelismThreads(threads).setInterOpParallelismThreads(threads);
    }
    RewriterConfig.Builder rewrites = RewriterConfig.newBuilder();
    if (!remapping) {
      rewrites.setRemapping(RewriterConfig.Toggle.OFF);
    }
    if (precision == Precision.MIXED_BFLOAT16) {
      rewrites.setAutoMixedPrecisionOnednnBfloat16(RewriterConfig.Toggle.ON);
    }
    if (!remapping || precision != Precision.FLOAT32) {
      config.setGraphOptions(GraphOptions.newBuilder().setRewriteOptions(rewrites));
    }
    return config.build();
  }
}
