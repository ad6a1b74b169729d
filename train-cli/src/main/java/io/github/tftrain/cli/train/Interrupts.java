package io.github.tftrain.cli.train;

import java.util.concurrent.atomic.AtomicReference;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Turns SIGINT (Ctrl-C) and SIGTERM into a request the training loop polls between steps, so it can write a
 * checkpoint and exit 130 instead of dying mid-step. A second signal while the first is being handled exits at once
 * with 130. The JVM's handlers come back on {@link #close()}.
 */
final class Interrupts implements AutoCloseable {
  private final AtomicReference<String> requested = new AtomicReference<>();
  private final SignalHandler previousInt;
  private final SignalHandler previousTerm;

  private Interrupts() {
    SignalHandler handler = signal -> {
      if (!requested.compareAndSet(null, "SIG" + signal.getName())) {
        Runtime.getRuntime().halt(130);
      }
    };
    previousInt = Signal.handle(new Signal("INT"), handler);
    previousTerm = Signal.handle(new Signal("TERM"), handler);
  }

  static Interrupts install() {
    return new Interrupts();
  }

  /** The signal received ("SIGINT", "SIGTERM"), or null. */
  String requested() {
    return requested.get();
  }

  /** For tests and callers that stop a run in-process. */
  void request(String why) {
    requested.compareAndSet(null, why);
  }

  @Override
  public void close() {
    Signal.handle(new Signal("INT"), previousInt);
    Signal.handle(new Signal("TERM"), previousTerm);
  }
}
