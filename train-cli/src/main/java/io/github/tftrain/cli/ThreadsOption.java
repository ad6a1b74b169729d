package io.github.tftrain.cli;

import picocli.CommandLine.Option;

/**
 * {@code --threads N}, declared once for every command that runs TensorFlow ({@code @Mixin ThreadsOption}): how many
 * threads its session uses, one per core when not given.
 */
public final class ThreadsOption {
  @Option(names = "--threads", paramLabel = "N", description = "TensorFlow threads (default: one per core).")
  private Integer threads;

  /**
   * The threads for {@code SessionConfigs}: 0 for one per core.
   *
   * @throws IllegalArgumentException for a value below 1
   */
  public int threads() {
    if (threads != null && threads < 1) {
      throw new IllegalArgumentException("--threads must be >= 1, got " + threads + " (leave it out for one per core)");
    }
    return threads == null ? 0 : threads;
  }
}
