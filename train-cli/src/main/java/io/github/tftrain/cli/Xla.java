package io.github.tftrain.cli;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import sun.misc.Signal;
import sun.misc.SignalHandler;

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

  /** Switches XLA on in the environment of a process about to start (this process's TF_XLA_FLAGS kept). */
  public static void enableIn(java.util.Map<String, String> environment) {
    String existing = System.getenv("TF_XLA_FLAGS");
    environment.put("TF_XLA_FLAGS", existing == null ? FLAGS : existing + " " + FLAGS);
  }

  /** Whether this process is the child a relaunch started. */
  public static boolean isChild() {
    return System.getenv(CHILD_MARKER) != null;
  }

  /**
   * Re-runs this JVM's command line with TF_XLA_FLAGS set and returns the child's exit code, or empty when XLA is
   * already on in this process (the caller then just goes on). While the child runs, SIGINT and SIGTERM to this
   * process are forwarded to it (as SIGTERM: it writes a checkpoint and exits 130), and this process ends with the
   * child's exit code; if this process is ended another way, a shutdown hook stops the child, and the child itself
   * stops when it sees this process gone.
   */
  public static Optional<Integer> relaunchIfNeeded() throws IOException, InterruptedException {
    if (enabled()) {
      return Optional.empty();
    }
    if (System.getenv(CHILD_MARKER) != null) {
      throw new IllegalStateException("TF_XLA_FLAGS was set for this process but is not visible to it");
    }
    List<String> command = OwnCommand.get();
    ProcessBuilder child = new ProcessBuilder(command).inheritIO();
    enableIn(child.environment());
    child.environment().put(CHILD_MARKER, "1");
    child.environment().put(io.github.tftrain.trainer.Interrupts.WATCH_PARENT, "1");
    Process process = child.start();
    SignalHandler forward = signal -> process.destroy();
    SignalHandler previousInt = Signal.handle(new Signal("INT"), forward);
    SignalHandler previousTerm = Signal.handle(new Signal("TERM"), forward);
    Thread stopChild = new Thread(() -> {
      if (process.isAlive()) {
        process.destroy();
      }
    }, "tftrain-stop-xla-child");
    Runtime.getRuntime().addShutdownHook(stopChild);
    try {
      return Optional.of(process.waitFor());
    } finally {
      Signal.handle(new Signal("INT"), previousInt);
      Signal.handle(new Signal("TERM"), previousTerm);
      try {
        Runtime.getRuntime().removeShutdownHook(stopChild);
      } catch (IllegalStateException e) {
        // the JVM is already shutting down: the hook runs
      }
    }
  }
}
