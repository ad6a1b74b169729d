package io.github.tftrain.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * XLA on CPU is switched on by the environment variable TF_XLA_FLAGS, read once when TensorFlow loads (a session
 * option alone does nothing on CPU). When {@code --xla} is asked for and the variable is not set, the CLI runs itself
 * again in a child JVM with it set, before TensorFlow is touched.
 */
public final class Xla {
  /** The flags that turn on auto-clustering for the CPU. */
  public static final String FLAGS = "--tf_xla_auto_jit=2 --tf_xla_cpu_global_jit";

  private static final String CHILD_MARKER = "TFTRAIN_XLA_CHILD";

  private Xla() {}

  /** Whether this process runs with XLA auto-clustering on. */
  public static boolean enabled() {
    String flags = System.getenv("TF_XLA_FLAGS");
    return flags != null && flags.contains("--tf_xla_auto_jit=2") && flags.contains("--tf_xla_cpu_global_jit");
  }

  /**
   * Re-runs this JVM's command line with TF_XLA_FLAGS set and returns the child's exit code, or empty when XLA is
   * already on in this process (the caller then just goes on).
   */
  public static Optional<Integer> relaunchIfNeeded() throws IOException, InterruptedException {
    if (enabled()) {
      return Optional.empty();
    }
    if (System.getenv(CHILD_MARKER) != null) {
      throw new IllegalStateException("TF_XLA_FLAGS was set for this process but is not visible to it");
    }
    ProcessHandle.Info info = ProcessHandle.current().info();
    List<String> command = new ArrayList<>();
    command.add(info.command().orElseThrow(() -> new IllegalStateException("cannot find this JVM's executable")));
    command.addAll(List.of(info.arguments().orElseThrow(() -> new IllegalStateException("cannot read this JVM's arguments"))));
    ProcessBuilder child = new ProcessBuilder(command).inheritIO();
    String existing = System.getenv("TF_XLA_FLAGS");
    child.environment().put("TF_XLA_FLAGS", existing == null ? FLAGS : existing + " " + FLAGS);
    child.environment().put(CHILD_MARKER, "1");
    return Optional.of(child.start().waitFor());
  }
}
