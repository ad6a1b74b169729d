package io.github.tftrain.trainer;

/**
 * A failure that is not the user's input (a run directory another process holds, a checkpoint that cannot be read, a
 * run that never took a finite step): the CLI prints the message, which says what and where, and exits 1.
 */
public final class RunFailedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public RunFailedException(String message) {
    super(message);
  }

  public RunFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}
