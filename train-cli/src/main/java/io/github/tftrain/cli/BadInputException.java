package io.github.tftrain.cli;

/** A user error in flags or files: the CLI prints the message and exits 2. */
public final class BadInputException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public BadInputException(String message) {
    super(message);
  }
}
