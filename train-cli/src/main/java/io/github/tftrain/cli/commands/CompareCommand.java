package io.github.tftrain.cli.commands;

import io.github.tftrain.cli.ThreadsOption;
import io.github.tftrain.cli.settings.Settings;
import io.github.tftrain.cli.settings.TrainConfig;
import io.github.tftrain.cli.runs.Runs;

import io.github.tftrain.cli.ExitCodes;

import io.github.tftrain.trainer.Plots;
import io.github.tftrain.trainer.Interrupts;
import io.github.tftrain.trainer.AtomicFiles;
import io.github.tftrain.trainer.Json;
import io.github.tftrain.trainer.RunDirectory;



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
 * {@code tftrain compare}: a study. The same model, data and schedule trained per optimizer × grid point × seed, one
 * run directory each under --out, then tables of the results (mean ± standard deviation over seeds; per optimizer the
 * best grid point and the spread over its grid) and a chart. A study interrupted or killed continues when the same
 * command runs again: finished runs are kept, an interrupted one resumes from its checkpoint; the command with more
 * grid points or seeds (everything else the same) extends it, training only the runs it adds.
 */
@Command(
    name = "compare",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    modelTransformer = RunOptions.Declare.class,
    description = {
      "Train the same model and data with each optimizer (× --grid point × --seeds), one run directory each under "
          + "--out (OPTIMIZER, or OPTIMIZER/POINT/seed-S), then write comparison.md / comparison.csv (per "
          + "configuration: final and best metrics as mean ± std over seeds, the best grid point per optimizer and "
          + "the spread over the grid, time) and comparison.png (the metric, or the training loss, of each "
          + "optimizer's best configuration). Run the same command again to continue an interrupted study, or add "
          + "grid points or seeds to extend a finished one.",
      "Takes the train options; --lr and --set apply to every optimizer, so prefer a preset's lr.OPTIMIZER and "
          + "set.OPTIMIZER.KEY values."
    })
public final class CompareCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--optimizers", required = true, split = ",",
      completionCandidates = io.github.tftrain.cli.OptimizerSettings.Names.class,
      description = "Comma-separated names from: ${COMPLETION-CANDIDATES}; e.g. kafisto,apollo,sgd,adam")
  List<String> optimizers;

  @Option(names = "--seeds", split = ",", paramLabel = "S1,S2,...",
      description = "Train every configuration once per seed; tables give mean ± standard deviation over them.")
  List<Long> seeds;

  @Option(names = "--grid", paramLabel = "KEY.OPTIMIZER=V1,V2,...",
      description = "Try every value of an optimizer's hyperparameter (repeatable; several keys of one optimizer "
          + "make their product), e.g. --grid lr.sgd=0.03,0.1,0.3; the table reports each optimizer's best "
          + "configuration by the mean best validation metric, and the spread over its grid.")
  Map<String, String> grid = new LinkedHashMap<>();

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
    // Plan and resolve every run first: a bad optimizer, grid key or value fails before any training.
    List<String> names = optimizers.stream().map(n -> n.trim().toLowerCase(java.util.Locale.ROOT)).toList();
    Path root0 = out != null ? out : Path.of("runs", "compare-" + Settings.resolve(options.with(RunSettings.OPTIMIZER,
        names.get(0))).model() + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    List<Study.Trial> trials = Study.plan(options, names, grid, seeds == null ? List.of() : seeds, root0);
    Path root = root0;
    List<String> command = spec.commandLine().getParseResult().originalArgs();
    List<Object> plan = new ArrayList<>();
    for (Study.Trial t : trials) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("run", root.relativize(t.dir()).toString());
      entry.put("train", t.config().toMap());
      plan.add(entry);
    }
    Path studyFile = root.resolve("study.json");
    PrintWriter printer = spec.commandLine().getOut();
    if (Files.exists(root)) {
      // an interrupted study continues: same plan, finished runs are not rerun
      if (!Files.isRegularFile(studyFile)) {
        throw new IllegalArgumentException("--out " + root + " already exists and holds no study (no study.json); "
            + "choose a new folder");
      }
      Map<String, Object> prior = Json.parseObject(Files.readString(studyFile, StandardCharsets.UTF_8), studyFile);
      List<String> priorRuns = new ArrayList<>();
      for (Object entry : (List<?>) prior.get("plan")) {
        priorRuns.add(Json.write(normalised(entry)));
      }
      List<String> plannedRuns = plan.stream().map(Json::write).toList();
      if (!plannedRuns.containsAll(priorRuns)) {
        throw new IllegalArgumentException("--out " + root + " holds another study (its study.json plans other runs "
            + "or settings); give the same flags to continue it, more grid points or seeds to extend it, or choose a "
            + "new folder");
      }
      long done = trials.stream().filter(t -> Files.isRegularFile(t.dir().resolve(TRIAL_FILE))).count();
      if (plannedRuns.size() > priorRuns.size()) {
        // More grid points or seeds with everything else the same: the runs already planned keep their results.
        List<Object> commands = new ArrayList<>();
        if (prior.get("extends") instanceof List<?> earlier) {
          commands.addAll(earlier);
        }
        commands.add(prior.get("command"));
        Map<String, Object> study = new LinkedHashMap<>();
        study.put("command", command);
        study.put("extends", commands);
        study.put("plan", plan);
        AtomicFiles.write(studyFile, o -> o.write(Json.write(study).getBytes(StandardCharsets.UTF_8)));
        printer.println("extending the study in " + root + ": " + priorRuns.size() + " runs planned before, "
            + (plannedRuns.size() - priorRuns.size()) + " more; " + done + " of " + trials.size() + " runs done");
      } else {
        printer.println("continuing the study in " + root + ": " + done + " of " + trials.size() + " runs done");
      }
    } else {
      Files.createDirectories(root);
      Map<String, Object> study = new LinkedHashMap<>();
      study.put("command", command);
      study.put("plan", plan);
      AtomicFiles.write(studyFile, o -> o.write(Json.write(study).getBytes(StandardCharsets.UTF_8)));
    }
    Runs runs = new Runs(printer, spec.commandLine().getErr(), quiet, threads.threads());
    List<Row> rows = new ArrayList<>();
    try (Interrupts interrupts = Interrupts.install()) {
      for (Study.Trial t : trials) {
        Path finished = t.dir().resolve(TRIAL_FILE);
        if (!Files.isRegularFile(finished)) {
          long t0 = System.nanoTime();
          int code;
          if (Files.isRegularFile(t.dir().resolve("config.json"))) {
            RunDirectory run = RunDirectory.open(t.dir());
            code = runs.resume(run, TrainConfig.read(run), interrupts, null, null);
          } else {
            code = runs.start(t.config(), t.dir(), command, interrupts);
          }
          if (code == io.github.tftrain.trainer.Outcome.INTERRUPTED.exitCode()) {
            printer.println("the study stopped; the same command continues it");
            return code;
          }
          Map<String, Object> outcome = new LinkedHashMap<>();
          outcome.put("exit_code", code);
          outcome.put("seconds", (System.nanoTime() - t0) / 1e9);
          AtomicFiles.write(finished, o -> o.write(Json.write(outcome).getBytes(StandardCharsets.UTF_8)));
        }
        Map<String, Object> outcome = Json.parseObject(Files.readString(finished, StandardCharsets.UTF_8), finished);
        rows.add(Row.read(t.optimizer(), t.dir(), ((Number) outcome.get("exit_code")).intValue(),
            ((Number) outcome.get("seconds")).doubleValue()));
      }
    }
    String metric = rows.get(0).metric;
    List<Study.Configuration> configurations = Study.configurations(trials, rows);
    Map<String, Study.Configuration> winners = Study.winners(configurations);
    // each optimizer's best configuration: its seeds' mean with a min-max band
    Map<String, List<Path>> groups = new LinkedHashMap<>();
    Map<String, Double> secondsPerEpoch = new LinkedHashMap<>();
    Map<String, Double> secondsPerStep = new LinkedHashMap<>();
    for (int i = 0; i < trials.size(); i++) {
      Study.Trial t = trials.get(i);
      if (winners.get(t.optimizer()).point().equals(t.pointLabel())) {
        String label = grid.isEmpty() ? t.optimizer() : t.optimizer() + " " + t.pointLabel();
        groups.computeIfAbsent(label, k -> new ArrayList<>()).add(t.dir().resolve("metrics.csv"));
        double epochs = Math.max(1, rows.get(i).lastEpoch);
        int seeds = winners.get(t.optimizer()).runs().size();
        secondsPerEpoch.merge(label, rows.get(i).seconds / epochs / seeds, Double::sum);
        secondsPerStep.merge(label, rows.get(i).seconds / Math.max(1, rows.get(i).steps) / seeds, Double::sum);
      }
    }
    // no evaluation metric (dcgan): the training loss, by its own name (critic_loss)
    String column = metric != null ? metric : rows.get(0).lossColumn;
    List<String> charts = new ArrayList<>(List.of("comparison.png", "comparison-train-loss.png",
        "comparison-time.png", "comparison-train-loss-time.png"));
    Plots.bands(groups, column, null, root.resolve(charts.get(0)));
    Plots.bands(groups, rows.get(0).lossColumn, true, null, root.resolve(charts.get(1)));
    Plots.bands(groups, column, secondsPerEpoch, root.resolve(charts.get(2)));
    Plots.bands(groups, rows.get(0).lossColumn, true, secondsPerStep, root.resolve(charts.get(3)));
    for (String diagnostic : STEP_DIAGNOSTICS) {
      if (anyLogs(groups, diagnostic)) {
        String chart = "comparison-" + diagnostic.replace('_', '-') + ".png";
        Plots.bands(groups, diagnostic, true, null, root.resolve(chart));
        charts.add(chart);
      }
    }
    String md = Study.markdown(configurations, metric, command);
    AtomicFiles.write(root.resolve("comparison.md"), o -> o.write(md.getBytes(StandardCharsets.UTF_8)));
    String csv = Study.csv(configurations, metric);
    AtomicFiles.write(root.resolve("comparison.csv"), o -> o.write(csv.getBytes(StandardCharsets.UTF_8)));
    String html = Study.html(md, trials.get(0), trials.size(), root, charts);
    AtomicFiles.write(root.resolve("comparison.html"), o -> o.write(html.getBytes(StandardCharsets.UTF_8)));
    printer.println(md);
    printer.println("comparison written to " + root);
    return rows.stream().allMatch(r -> r.exitCode == 0) ? ExitCodes.OK : ExitCodes.FAILED;
  }

  /**
   * Per-step columns charted by step when any compared run logs them: the effective step size of every optimizer
   * ({@code --log-step-size}) and KaFiStO's filter state.
   */
  private static final List<String> STEP_DIAGNOSTICS = List.of("effective_step", "kafisto_effective_step",
      "kafisto_sigma_x2", "kafisto_r_noise", "kafisto_q_x");

  private static boolean anyLogs(Map<String, List<Path>> groups, String column) throws IOException {
    for (List<Path> files : groups.values()) {
      for (Path file : files) {
        if (Plots.Table.columns(file).contains(column)) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * A plan entry of study.json as this version writes it: its train settings read and written back, so that a study
   * planned by an older tftrain (without a setting added since, which reads as its default) continues.
   */
  @SuppressWarnings("unchecked")
  private static Object normalised(Object entry) {
    if (!(entry instanceof Map<?, ?> map) || !(map.get("train") instanceof Map<?, ?> train)) {
      return entry;
    }
    Map<String, Object> copy = new LinkedHashMap<>((Map<String, Object>) map);
    try {
      copy.put("train", TrainConfig.fromMap((Map<String, Object>) train).toMap());
    } catch (IllegalArgumentException e) {
      return entry; // not a plan this version can read: compared as written, so it is refused
    }
    return copy;
  }

  /** Written into a run's folder when the run ended (its exit code and seconds): a continued study skips it. */
  private static final String TRIAL_FILE = "trial.json";

  /** One optimizer's outcome, read back from its run directory. */
  record Row(String optimizer, int exitCode, double seconds, String metric, double finalMetric, double bestMetric,
      long bestStep, double finalLoss, long steps, String lossColumn, double lastEpoch) {
    static Row read(String optimizer, Path runDir, int exitCode, double seconds) throws IOException {
      List<String> lines = Files.readAllLines(runDir.resolve("metrics.csv"), StandardCharsets.UTF_8);
      List<String> header = List.of(lines.get(0).split(",", -1));
      String metric = header.contains("test_error") ? "test_error" : header.contains("valid_ppl") ? "valid_ppl" : null;
      double last = Double.NaN;
      double best = Double.NaN;
      long bestStep = -1;
      double loss = Double.NaN;
      long steps = 0;
      String lossName = header.contains("loss") ? "loss" : "critic_loss";
      int lossColumn = header.indexOf(lossName);
      double lastEpoch = 0;
      for (String line : lines.subList(1, lines.size())) {
        String[] cells = line.split(",", -1);
        steps = Long.parseLong(cells[0]);
        lastEpoch = Double.parseDouble(cells[header.indexOf("epoch")]);
        loss = Double.parseDouble(cells[lossColumn]);
        if (metric != null && !cells[header.indexOf(metric)].isEmpty()) {
          last = Double.parseDouble(cells[header.indexOf(metric)]);
          if (Double.isNaN(best) || last < best) {
            best = last;
            bestStep = steps;
          }
        }
      }
      return new Row(optimizer, exitCode, seconds, metric, last, best, bestStep, loss, steps, lossName, lastEpoch);
    }
  }
}
