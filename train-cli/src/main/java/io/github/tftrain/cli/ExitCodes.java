package io.github.tftrain.cli;

/** The {@code tftrain} command's exit codes, for every command. */
public final class ExitCodes {
  /** Success. */
  public static final int OK = 0;
  /** The run failed (a diverging loss, an I/O error, a busy run directory). */
  public static final int FAILED = 1;
  /** Bad flags, keys, values or input files. */
  public static final int BAD_INPUT = 2;
  /** Stopped by SIGINT/SIGTERM (after a checkpoint, for train). */
  public static final int INTERRUPTED = 130;

  private ExitCodes() {}
}
