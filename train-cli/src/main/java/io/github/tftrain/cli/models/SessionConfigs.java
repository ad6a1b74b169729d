package io.github.tftrain.cli.models;

import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.GraphOptions;
import org.tensorflow.proto.RewriterConfig;

/** Session configurations for training graphs. */
public final class SessionConfigs {
  private SessionConfigs() {}

  /**
   * @param threads intra- and inter-op threads, or 0 for TensorFlow's default (one per core)
   * @param remapping Grappler's remapper pass, which fuses e.g. Conv2D + BiasAdd + activation. Turn it off for the
   *     WGAN-GP graph: the penalty's second-order gradient reads the BiasAdd the remapper wants to fuse away, so the
   *     pass fails on every run ("remapper failed: ... fanout ... exist for missing node"), logs an error and leaves
   *     the graph as it was anyway.
   */
  public static ConfigProto of(int threads, boolean remapping) {
    if (threads < 0) {
      throw new IllegalArgumentException("threads must be >= 0 (0 = one per core), got " + threads);
    }
    ConfigProto.Builder config = ConfigProto.newBuilder();
    if (threads > 0) {
      config.setIntraOpParallelismThreads(threads).setInterOpParallelismThreads(threads);
    }
    if (!remapping) {
      config.setGraphOptions(
          GraphOptions.newBuilder()
              .setRewriteOptions(RewriterConfig.newBuilder().setRemapping(RewriterConfig.Toggle.OFF)));
    }
    return config.build();
  }
}
