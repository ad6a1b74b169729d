package io.github.tftrain.trainer;

/** How a training run ended; {@link #exitCode()} is the CLI's exit code for it. */
public enum Outcome {
  /** Every step taken, the SavedModel exported. */
  DONE(0),
  /** Stopped by a non-finite loss, or no step was ever finite. */
  FAILED(1),
  /** Stopped by a signal (or a callback's request) after writing a checkpoint; resumable. */
  INTERRUPTED(130);

  private final int exitCode;

  Outcome(int exitCode) {
    this.exitCode = exitCode;
  }

  /** 0, 1 or 130. */
  public int exitCode() {
    return exitCode;
  }
}
