package io.github.tftrain.trainer;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Turns SIGINT (Ctrl-C) and SIGTERM into a request the training loop polls between steps, so it can write a
 * checkpoint and exit 130 instead of dying mid-step. Installed first thing by {@code tftrain train}, so a signal
 * during startup (reading data, building the graph) also ends in one line and exit 130.
 *
 * <p>A second signal more than a second after the first exits at once with 130 (one line on stderr). One within a
 * second is taken as the same request: Ctrl-C reaches the whole process group, so the XLA child gets it both from
 * the terminal and forwarded by its parent (the CLI's XLA relaunch). With the environment variable
 * TFTRAIN_WATCH_PARENT set (by the {@code tftrain} launcher script and the XLA relaunch) a watcher also requests a stop
 * when the parent process is gone, so a killed parent never leaves the training running alone. The JVM's handlers come back on
 * {@link #close()}.
 */
public final class Interrupts implements AutoCloseable {
  private static final long SAME_REQUEST_NANOS = 1_000_000_000L;
  /** Set by the {@code tftrain} launcher script and the XLA relaunch: stop when the parent is gone. */
  public static final String WATCH_PARENT = "TFTRAIN_WATCH_PARENT";
  private final AtomicReference<String> requested = new AtomicReference<>();
  private final AtomicLong firstAt = new AtomicLong();
  private final SignalHandler previousInt;
  private final SignalHandler previousTerm;
  private final Thread parentWatch;

  private Interrupts() {
    SignalHandler handler = signal -> {
      String name = "SIG" + signal.getName();
      if (requested.compareAndSet(null, name)) {
        firstAt.set(System.nanoTime());
      } else if (System.nanoTime() - firstAt.get() > SAME_REQUEST_NANOS) {
        System.err.println("tftrain: " + name + " again; exiting now, without a checkpoint");
        System.err.flush();
        Runtime.getRuntime().halt(Outcome.INTERRUPTED.exitCode());
      }
    };
    previousInt = Signal.handle(new Signal("INT"), handler);
    previousTerm = Signal.handle(new Signal("TERM"), handler);
    parentWatch = System.getenv(WATCH_PARENT) != null ? watchParent() : null;
  }

  public static Interrupts install() {
    return new Interrupts();
  }

  /** The signal received ("SIGINT", "SIGTERM"), or null. */
  public String requested() {
    return requested.get();
  }

  /** For tests and callers that stop a run in-process. */
  public void request(String why) {
    requested.compareAndSet(null, why);
  }

  private Thread watchParent() {
    ProcessHandle parent = ProcessHandle.current().parent().orElse(null);
    if (parent == null) {
      return null;
    }
    Thread watch = new Thread(() -> {
      try {
        while (parent.isAlive()) {
          Thread.sleep(500);
        }
        request("the parent process (PID " + parent.pid() + ") exited");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "tftrain-parent-watch");
    watch.setDaemon(true);
    watch.start();
    return watch;
  }

  @Override
  public void close() {
    Signal.handle(new Signal("INT"), previousInt);
    Signal.handle(new Signal("TERM"), previousTerm);
    if (parentWatch != null) {
      parentWatch.interrupt();
    }
  }
}
