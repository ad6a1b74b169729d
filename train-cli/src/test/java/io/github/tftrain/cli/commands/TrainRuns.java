package io.github.tftrain.cli.commands;

import io.github.tftrain.cli.settings.Home;
import io.github.tftrain.cli.settings.Settings;

import io.github.tftrain.trainer.Json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.tftrain.cli.app.Tftrain;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Shared plumbing of the {@code tftrain train} tests: the command in-process or in a child JVM, and readers for what a
 * run directory holds (config.json through the project's {@link Json}, metrics.csv as plain text).
 */
public final class TrainRuns {
  private TrainRuns() {}

  /** An in-process run: exit code and what went to the command's out and err writers. */
  record Cli(int exitCode, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- out:\n" + out + "--- err:\n" + err;
    }
  }

  /** {@code tftrain train ARGS} in this JVM. */
  static Cli train(String... args) {
    String[] all = new String[args.length + 1];
    all[0] = "train";
    System.arraycopy(args, 0, all, 1, args.length);
    return tftrain(all);
  }

  /** {@code tftrain ARGS} (the command first) in this JVM. */
  static Cli tftrain(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Tftrain.execute(new PrintWriter(out), new PrintWriter(err), args);
    return new Cli(code, out.toString(), err.toString());
  }

  /** The shipped dataset folder, as Settings resolves {@code testdata/NAME}. */
  static Path testdata(String name) {
    return Home.testdata(name).toAbsolutePath().normalize();
  }

  /**
   * The test JVM's class path for a child JVM. Surefire may run the tests from a manifest-only jar and then names the
   * real class path in {@code surefire.test.class.path}.
   */
  static String classpath() {
    String surefire = System.getProperty("surefire.test.class.path");
    return surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
  }

  /** A child JVM running {@code mainClass ARGS} with this JVM's class path; stdout and stderr go to {@code log}. */
  static Process java(Path log, String mainClass, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx1g");
    command.add("-cp");
    command.add(classpath());
    command.add(mainClass);
    command.addAll(Arrays.asList(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putIfAbsent("TF_CPP_MIN_LOG_LEVEL", "1");
    return pb.start();
  }

  /**
   * A child JVM running one Java source file (Java's source launcher) with only TensorFlow Java on the class path
   * (its API, natives, ndarray, JavaCPP and protobuf jars): no tftrain code.
   */
  static Process javaSourceWithTensorFlowOnly(Path log, Path source, String... args) throws IOException {
    List<String> tensorflow = new ArrayList<>();
    for (String entry : classpath().split(java.io.File.pathSeparator)) {
      String name = Path.of(entry).getFileName().toString();
      if (name.matches("(tensorflow-core-(api|native)|ndarray|javacpp|protobuf-java)-.*\\.jar")) {
        tensorflow.add(entry);
      }
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx1g");
    command.add("-cp");
    command.add(String.join(java.io.File.pathSeparator, tensorflow));
    command.add(source.toString());
    command.addAll(Arrays.asList(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putIfAbsent("TF_CPP_MIN_LOG_LEVEL", "1");
    return pb.start();
  }

  /** The result {@code tftrain eval} wrote last: the highest-named file of evaluations/. */
  static Map<String, Object> lastEvaluation(Path run) throws IOException {
    try (Stream<Path> files = Files.list(run.resolve("evaluations"))) {
      Path last = files.max(java.util.Comparator.naturalOrder()).orElseThrow();
      return Json.parseObject(Files.readString(last, StandardCharsets.UTF_8));
    }
  }

  /** {@code tftrain train ARGS} in a child JVM. */
  static Process startTrain(Path log, String... args) throws IOException {
    String[] all = new String[args.length + 1];
    all[0] = "train";
    System.arraycopy(args, 0, all, 1, args.length);
    return java(log, Tftrain.class.getName(), all);
  }

  /**
   * A copy of the shipped Fashion-MNIST sample in {@code dir}; with {@code changeLabel}, training label 100 is another
   * class (the same sizes, other content).
   */
  static Path fashionMnistCopy(Path dir, boolean changeLabel) throws java.io.IOException {
    Path shipped = io.github.tftrain.cli.settings.Home.testdata("fashion-mnist");
    Files.createDirectories(dir);
    try (var files = Files.list(shipped)) {
      for (Path file : files.toList()) {
        Files.copy(file, dir.resolve(file.getFileName()));
      }
    }
    if (changeLabel) {
      Path labels = dir.resolve("train-labels-idx1-ubyte.gz");
      byte[] bytes;
      try (var in = new java.util.zip.GZIPInputStream(Files.newInputStream(labels))) {
        bytes = in.readAllBytes();
      }
      bytes[8 + 100] = (byte) ((bytes[8 + 100] + 1) % 10);
      try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(labels))) {
        out.write(bytes);
      }
    }
    return dir;
  }

  /** Waits for a child JVM; kills it (and fails) past the timeout. */
  static int await(Process process, Duration timeout, Path log) throws Exception {
    if (!process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
      process.destroyForcibly().waitFor();
      fail("child JVM still running after " + timeout + "; its output:\n" + read(log));
    }
    return process.exitValue();
  }

  /** Polls until {@code file} has at least {@code lines} lines; fails if the process ends first or time runs out. */
  static void awaitLines(Path file, int lines, Process process, Duration timeout, Path log) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.isRegularFile(file) && lineCount(file) >= lines) {
        return;
      }
      if (!process.isAlive()) {
        fail("child JVM ended (exit " + process.exitValue() + ") before " + file + " had " + lines + " lines:\n"
            + read(log));
      }
      Thread.sleep(50);
    }
    process.destroyForcibly().waitFor();
    fail(file + " did not reach " + lines + " lines within " + timeout + "; child output:\n" + read(log));
  }

  private static long lineCount(Path file) throws IOException {
    // complete lines only: a row is flushed whole, but never count a line still being written
    String text = Files.readString(file, StandardCharsets.UTF_8);
    return text.chars().filter(c -> c == '\n').count();
  }

  static String read(Path file) throws IOException {
    return Files.isRegularFile(file) ? Files.readString(file, StandardCharsets.UTF_8) : "(no " + file + ")";
  }

  /** config.json as the project's JSON reader sees it. */
  static Map<String, Object> config(Path run) throws IOException {
    return Json.parseObject(Files.readString(run.resolve("config.json"), StandardCharsets.UTF_8));
  }

  /** The "train" object of config.json. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> trainSettings(Path run) throws IOException {
    return (Map<String, Object>) config(run).get("train");
  }

  /** metrics.csv: its header and rows (cells as written; "" for empty). */
  record Metrics(List<String> header, List<String[]> rows) {
    int column(String name) {
      int i = header.indexOf(name);
      assertTrue(i >= 0, "metrics.csv has no column " + name + ": " + header);
      return i;
    }

    String cell(int row, String name) {
      return rows.get(row)[column(name)];
    }

    double number(int row, String name) {
      return Double.parseDouble(cell(row, name));
    }

    String[] last() {
      return rows.get(rows.size() - 1);
    }

    List<Long> steps() {
      return rows.stream().map(r -> Long.parseLong(r[0])).toList();
    }

    /** The rows as text with one column dropped (the throughput, which is wall time). */
    List<String> without(String name) {
      int drop = column(name);
      List<String> out = new ArrayList<>();
      for (String[] row : rows) {
        List<String> cells = new ArrayList<>(Arrays.asList(row));
        cells.remove(drop);
        out.add(String.join(",", cells));
      }
      return out;
    }
  }

  static Metrics metrics(Path run) throws IOException {
    List<String> lines = Files.readAllLines(run.resolve("metrics.csv"), StandardCharsets.UTF_8);
    assertTrue(!lines.isEmpty(), "metrics.csv is empty");
    List<String> header = List.of(lines.get(0).split(",", -1));
    List<String[]> rows = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] cells = line.split(",", -1);
      assertEquals(header.size(), cells.length, "metrics.csv row with the wrong number of cells: " + line);
      rows.add(cells);
    }
    return new Metrics(header, rows);
  }

  /** The names in {@code run}/checkpoints, sorted (complete checkpoints, partial folders, best.json). */
  static List<String> checkpointEntries(Path run) throws IOException {
    Path dir = run.resolve("checkpoints");
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** The names in a folder, sorted. */
  static List<String> list(Path dir) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  static String stepName(long step) {
    return String.format("step-%09d", step);
  }
}
