package io.github.tftrain.trainer;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * Progress output. On a terminal, a line rewritten in place during each epoch (bar, loss, throughput, ETA) and a
 * permanent line per epoch; otherwise (a pipe, a log file, CI) a plain line every {@code plainEverySeconds} and per
 * epoch. {@code --quiet} keeps only the per-epoch and final lines.
 */
public final class Progress {
  private final PrintWriter out;
  private final PrintWriter err;
  private final boolean terminal;
  private final boolean quiet;
  private final double plainEverySeconds;
  private long lastPrint = System.nanoTime();
  private boolean lineOpen;

  /**
   * @param out progress, epoch lines and results
   * @param err warnings and failures (non-finite steps, unreadable checkpoints)
   */
  public Progress(PrintWriter out, PrintWriter err, boolean terminal, boolean quiet, double plainEverySeconds) {
    this.out = out;
    this.err = err;
    this.terminal = terminal;
    this.quiet = quiet;
    this.plainEverySeconds = plainEverySeconds;
  }

  /** During an epoch, after a step. */
  public void step(int epoch, int epochs, long batch, long batches, String label, double loss, double throughput,
      String unit, double etaSeconds) {
    if (quiet) {
      return;
    }
    long now = System.nanoTime();
    double since = (now - lastPrint) / 1e9;
    if (terminal) {
      if (since < 0.25 && batch < batches) {
        return;
      }
      int width = 24;
      int filled = (int) Math.round(width * (double) batch / Math.max(1, batches));
      String bar = "=".repeat(Math.max(0, filled - 1)) + (filled > 0 ? ">" : "") + " ".repeat(width - filled);
      out.printf(Locale.ROOT, "\repoch %s [%s] %d/%d  %s %.4f  %.0f %s  ETA %s   ", epochLabel(epoch, epochs), bar,
          batch, batches, label, loss, throughput, unit, duration(etaSeconds));
      out.flush();
      lineOpen = true;
    } else if (since >= plainEverySeconds) {
      out.printf(Locale.ROOT, "epoch %s  batch %d/%d  %s %.4f  %.0f %s  ETA %s%n", epochLabel(epoch, epochs), batch,
          batches, label, loss, throughput, unit, duration(etaSeconds));
      out.flush();
    } else {
      return;
    }
    lastPrint = now;
  }

  /** A permanent line (epoch summaries, messages). */
  public void line(String text) {
    if (lineOpen) {
      out.print("\r\033[K");
      lineOpen = false;
    }
    out.println(text);
    out.flush();
    lastPrint = System.nanoTime();
  }

  /** A warning or failure line, on the error stream (after closing an open progress line). */
  public void warn(String text) {
    if (lineOpen) {
      out.print("\r\033[K");
      out.flush();
      lineOpen = false;
    }
    err.println(text);
    err.flush();
  }

  public static String epochLabel(int epoch, int epochs) {
    return epochs > 0 ? (epoch + 1) + "/" + epochs : Integer.toString(epoch + 1);
  }

  public static String duration(double seconds) {
    if (!Double.isFinite(seconds) || seconds < 0) {
      return "?";
    }
    long s = Math.round(seconds);
    if (s < 60) {
      return s + "s";
    }
    if (s < 3600) {
      return (s / 60) + "m" + String.format(Locale.ROOT, "%02d", s % 60) + "s";
    }
    return (s / 3600) + "h" + String.format(Locale.ROOT, "%02d", (s % 3600) / 60) + "m";
  }
}
