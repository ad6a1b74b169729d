package io.github.tftrain.trainer;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * metrics.csv: a header, then one row per logging window: {@code step,epoch}, the job's training columns, the
 * throughput, and its evaluation columns (filled on the rows that end an evaluated epoch). Values are printed with
 * {@code %.17g} (exact doubles) and empty where absent; every row is flushed. On resume, rows after the checkpoint's
 * step are dropped first, so a resumed run writes the file an uninterrupted run would have (the throughput column
 * aside: it is wall time).
 */
public final class MetricsLog implements AutoCloseable {
  private final Path file;
  private final List<String> header;
  private BufferedWriter out;

  private MetricsLog(Path file, List<String> header) {
    this.file = file;
    this.header = header;
  }

  public static List<String> header(TrainingJob job) {
    List<String> header = new ArrayList<>(List.of("step", "epoch"));
    job.trainColumns().forEach(c -> header.add(c.name()));
    header.add(job.throughputUnit().replace("/", "_per_"));
    header.addAll(job.evalColumns());
    return header;
  }

  /** Starts a new file. */
  public static MetricsLog create(Path file, List<String> header) throws IOException {
    MetricsLog log = new MetricsLog(file, header);
    log.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
    log.out.write(String.join(",", header));
    log.out.newLine();
    log.out.flush();
    return log;
  }

  /** Reopens a file for a resumed run, keeping the header and the rows up to {@code step}. */
  public static MetricsLog resume(Path file, List<String> header, long step) throws IOException {
    List<String> kept = new ArrayList<>();
    if (Files.isRegularFile(file)) {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      if (lines.isEmpty() || !lines.get(0).equals(String.join(",", header))) {
        throw new IllegalArgumentException(file + ": its header does not match this run's columns");
      }
      for (String line : lines.subList(1, lines.size())) {
        int comma = line.indexOf(',');
        if (comma > 0 && Long.parseLong(line.substring(0, comma)) <= step) {
          kept.add(line);
        }
      }
    }
    MetricsLog log = new MetricsLog(file, header);
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
      w.write(String.join(",", header));
      w.newLine();
      for (String line : kept) {
        w.write(line);
        w.newLine();
      }
    }
    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    log.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    return log;
  }

  /** Writes a row; a null value is an empty cell. */
  public void row(long step, int epoch, double[] train, double throughput, double[] eval) throws IOException {
    StringBuilder line = new StringBuilder();
    line.append(step).append(',').append(epoch);
    for (double v : train) {
      line.append(',').append(format(v));
    }
    line.append(',').append(Double.isNaN(throughput) ? "" : String.format(Locale.ROOT, "%.1f", throughput));
    int evalCount = header.size() - 3 - train.length;
    for (int i = 0; i < evalCount; i++) {
      line.append(',');
      if (eval != null) {
        line.append(format(eval[i]));
      }
    }
    out.write(line.toString());
    out.newLine();
    out.flush();
  }

  private static String format(double v) {
    return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.17g", v);
  }

  @Override
  public void close() throws IOException {
    if (out != null) {
      out.close();
    }
  }
}
