package io.github.tftrain.cli.commands;

import io.github.tftrain.cli.ThreadsOption;
import io.github.tftrain.cli.settings.Settings;
import io.github.tftrain.cli.settings.TrainConfig;
import io.github.tftrain.cli.runs.Runs;

import io.github.tftrain.cli.ExitCodes;

import io.github.tftrain.trainer.Plots;
import io.github.tftrain.trainer.Progress;
import io.github.tftrain.trainer.Interrupts;
import io.github.tftrain.trainer.AtomicFiles;



import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import io.github.tftrain.cli.settings.RunOptions;
import io.github.tftrain.cli.settings.RunSettings;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tftrain compare}: the same model, data, seed and schedule trained once per optimizer, each with its own
 * learning rate (the preset's lr.OPT, else the optimizer's default), then a side-by-side table and one chart.
 */
@Command(
    name = "compare",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    modelTransformer = RunOptions.Declare.class,
    description = {
      "Train the same model, data and seed with each optimizer, one run directory per optimizer under --out, then "
          + "write comparison.md / comparison.csv (final and best metrics, time) and comparison.png (the metric, "
          + "or the training loss, per epoch for every optimizer).",
      "Takes the train options; --lr and --set apply to every optimizer, so prefer a preset's lr.OPTIMIZER and "
          + "set.OPTIMIZER.KEY values."
    })
public final class CompareCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--optimizers", required = true, split = ",",
      completionCandidates = io.github.tftrain.cli.OptimizerSettings.Names.class,
      description = "Comma-separated names from: ${COMPLETION-CANDIDATES}; e.g. kafisto,apollo,sgd,adam")
  List<String> optimizers;

  @Option(names = "--out", paramLabel = "DIR", description = "Folder of the runs and the comparison (default "
      + "runs/compare-MODEL-TIMESTAMP).")
  Path out;

  @CommandLine.Mixin ThreadsOption threads;

  @Option(names = "--quiet", description = "Only per-epoch and final lines.")
  boolean quiet;


  /** The train options compare does not take (it refuses them with a message saying what to use instead). */
  private static final List<String> NOT_TAKEN = List.of("--optimizer", "--run-dir", "--xla");

  /**
   * Hides from {@code compare --help} the train options compare does not take; they stay parsed, so that giving one
   * gets the message that says what to use instead.
   */
  public static void hideOptionsNotTaken(CommandLine.Model.CommandSpec compare) {
    for (String name : NOT_TAKEN) {
      CommandLine.Model.OptionSpec option = compare.findOption(name);
      if (option != null && !option.hidden()) {
        compare.remove(option);
        compare.addOption(option.toBuilder().hidden(true).build());
      }
    }
  }

  @Override
  public Integer call() throws Exception {
    RunOptions options = RunOptions.of(spec);
    if (options.has(RunSettings.OPTIMIZER)) {
      throw new IllegalArgumentException("compare takes --optimizers (a list), not --optimizer");
    }
    if (options.has(RunSettings.RUN_DIR)) {
      throw new IllegalArgumentException("compare takes --out DIR; each optimizer's run goes to DIR/OPTIMIZER");
    }
    if (options.get(RunSettings.XLA).orElse(false)) {
      throw new IllegalArgumentException("compare does not take --xla; run tftrain train --xla per optimizer");
    }
    // Resolve every optimizer's settings first: a bad one fails before any training.
    Map<String, TrainConfig> configs = new LinkedHashMap<>();
    for (String name : optimizers) {
      configs.put(name.trim(), Settings.resolve(options.with(RunSettings.OPTIMIZER, name.trim())));
    }
    TrainConfig first = configs.values().iterator().next();
    Path root = out != null ? out : Path.of("runs", "compare-" + first.model() + "-"
        + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    if (Files.exists(root)) {
      throw new IllegalArgumentException("--out " + root + " already exists; choose a new folder");
    }
    PrintWriter printer = spec.commandLine().getOut();
    Runs runs = new Runs(printer, spec.commandLine().getErr(), quiet, threads.threads());
    List<Row> rows = new ArrayList<>();
    Map<String, Path> metrics = new LinkedHashMap<>();
    try (Interrupts interrupts = Interrupts.install()) {
      for (Map.Entry<String, TrainConfig> e : configs.entrySet()) {
        Path runDir = root.resolve(e.getKey());
        long t0 = System.nanoTime();
        int code = runs.start(e.getValue(), runDir, spec.commandLine().getParseResult().originalArgs(), interrupts);
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (code == io.github.tftrain.trainer.Outcome.INTERRUPTED.exitCode()) {
          return code;
        }
        rows.add(Row.read(e.getKey(), runDir, code, seconds));
        metrics.put(e.getKey(), runDir.resolve("metrics.csv"));
      }
    }
    String column = rows.get(0).metric != null ? rows.get(0).metric : "loss";
    Plots.overlay(metrics, column, root.resolve("comparison.png"));
    writeTables(root, rows);
    printer.println(Files.readString(root.resolve("comparison.md"), StandardCharsets.UTF_8));
    printer.println("comparison written to " + root);
    return rows.stream().allMatch(r -> r.exitCode == 0) ? ExitCodes.OK : ExitCodes.FAILED;
  }

  /** One optimizer's outcome, read back from its run directory. */
  record Row(String optimizer, int exitCode, double seconds, String metric, double finalMetric, double bestMetric,
      long bestStep, double finalLoss, long steps) {
    static Row read(String optimizer, Path runDir, int exitCode, double seconds) throws IOException {
      List<String> lines = Files.readAllLines(runDir.resolve("metrics.csv"), StandardCharsets.UTF_8);
      List<String> header = List.of(lines.get(0).split(",", -1));
      String metric = header.contains("test_error") ? "test_error" : header.contains("valid_ppl") ? "valid_ppl" : null;
      double last = Double.NaN;
      double best = Double.NaN;
      long bestStep = -1;
      double loss = Double.NaN;
      long steps = 0;
      int lossColumn = header.indexOf(header.contains("loss") ? "loss" : "critic_loss");
      for (String line : lines.subList(1, lines.size())) {
        String[] cells = line.split(",", -1);
        steps = Long.parseLong(cells[0]);
        loss = Double.parseDouble(cells[lossColumn]);
        if (metric != null && !cells[header.indexOf(metric)].isEmpty()) {
          last = Double.parseDouble(cells[header.indexOf(metric)]);
          if (Double.isNaN(best) || last < best) {
            best = last;
            bestStep = steps;
          }
        }
      }
      return new Row(optimizer, exitCode, seconds, metric, last, best, bestStep, loss, steps);
    }
  }

  private static void writeTables(Path root, List<Row> rows) throws IOException {
    String metric = rows.get(0).metric == null ? "-" : rows.get(0).metric;
    StringBuilder md = new StringBuilder();
    md.append("| optimizer | exit | steps | final train loss | final ").append(metric).append(" | best ")
        .append(metric).append(" (step) | time |\n|---|---|---|---|---|---|---|\n");
    StringBuilder csv = new StringBuilder(
        "optimizer,exit_code,steps,final_train_loss,final_" + metric + ",best_" + metric + ",best_step,seconds\n");
    for (Row r : rows) {
      md.append(String.format(Locale.ROOT, "| %s | %d | %d | %.4f | %s | %s (%d) | %s |%n", r.optimizer, r.exitCode,
          r.steps, r.finalLoss, format(r.finalMetric), format(r.bestMetric), r.bestStep, Progress.duration(r.seconds)));
      csv.append(String.format(Locale.ROOT, "%s,%d,%d,%.17g,%.17g,%.17g,%d,%.3f%n", r.optimizer, r.exitCode, r.steps,
          r.finalLoss, r.finalMetric, r.bestMetric, r.bestStep, r.seconds));
    }
    AtomicFiles.write(root.resolve("comparison.md"), o -> o.write(md.toString().getBytes(StandardCharsets.UTF_8)));
    AtomicFiles.write(root.resolve("comparison.csv"), o -> o.write(csv.toString().getBytes(StandardCharsets.UTF_8)));
  }

  private static String format(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.4f", v);
  }
}
