package io.github.tftrain.cli.commands;

import io.github.tftrain.cli.ThreadsOption;
import io.github.tftrain.cli.jobs.Jobs;
import io.github.tftrain.cli.settings.Settings;
import io.github.tftrain.cli.settings.TrainConfig;

import io.github.tftrain.cli.ExitCodes;


import io.github.tftrain.optimizers.schedule.Schedule;
import io.github.tftrain.trainer.AtomicFiles;
import io.github.tftrain.trainer.Json;
import io.github.tftrain.trainer.LearningRateFinder;
import io.github.tftrain.trainer.Plots;
import io.github.tftrain.trainer.TrainingJob;
import java.awt.Color;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.tensorflow.Session;
import io.github.tftrain.cli.settings.RunOptions;
import io.github.tftrain.cli.settings.RunSettings;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tftrain lr-find}: the learning-rate range test ({@link LearningRateFinder}) on the model, data and optimizer
 * a {@code train} command would use; writes lr_find.csv, lr_find.png and lr_find.json and prints the suggestion.
 */
@Command(
    name = "lr-find",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    modelTransformer = RunOptions.Declare.class,
    description = {
      "The learning-rate range test: train from the initial weights while the learning rate grows exponentially from "
          + "--start to --end over --steps steps (default 100), stop when the smoothed loss diverges, and suggest a "
          + "tenth of the rate at the lowest smoothed loss. Writes lr_find.csv, lr_find.png and lr_find.json to --out.",
      "Takes the train options (model, data, optimizer and its --set keys, batch size, seed...); --lr and --schedule "
          + "are replaced by the sweep."
    })
public final class LrFindCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--start", defaultValue = "1e-7", description = "The first learning rate (default 1e-7).")
  double start;

  @Option(names = "--end", defaultValue = "10", description = "The last learning rate (default 10).")
  double end;

  @Option(names = "--out", paramLabel = "DIR", description = "Where the results go (default "
      + "runs/lr-find-MODEL-OPTIMIZER-TIMESTAMP).")
  Path out;

  @CommandLine.Mixin ThreadsOption threads;


  @Override
  public Integer call() throws Exception {
    RunOptions options = RunOptions.of(spec);
    if (options.has(RunSettings.RUN_DIR) || options.has(RunSettings.EPOCHS) || options.has(RunSettings.SCHEDULE)
        || options.has(RunSettings.LR)) {
      throw new IllegalArgumentException("lr-find sweeps the learning rate over --steps steps into --out DIR; drop "
          + "--run-dir, --epochs, --schedule and --lr");
    }
    if (!(start > 0) || !(end > start) || Double.isInfinite(end)) {
      throw new IllegalArgumentException("lr-find needs 0 < --start < --end, got " + start + " and " + end);
    }
    int threadCount = threads.threads();
    long steps = options.get(RunSettings.STEPS).orElse(100L);
    if (steps < 5) {
      throw new IllegalArgumentException("--steps must be >= 5 for a sweep, got " + steps);
    }
    TrainConfig config = Settings.resolve(options.with(RunSettings.STEPS, steps)).withSchedule("range:" + start + ":" + end);
    Path dir = out != null ? out : Path.of("runs", "lr-find-" + config.model() + "-" + config.optimizer() + "-"
        + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    if (Files.exists(dir)) {
      throw new IllegalArgumentException("--out " + dir + " already exists; choose a new folder");
    }
    PrintWriter printer = spec.commandLine().getOut();
    Schedule sweep = Schedule.exponential(start, end, steps);
    LearningRateFinder.Result result;
    try (TrainingJob job = Jobs.create(config);
        Session session = Jobs.openSession(config, job, threadCount)) {
      session.initialize();
      printer.println(String.format(Locale.ROOT, "lr-find: %s on %s with %s, learning rate %.3g to %.3g over %d "
          + "steps", config.model(), config.data(), config.optimizer(), start, end, steps));
      printer.flush();
      result = LearningRateFinder.run(job, session, sweep::valueAt, steps);
    }
    Files.createDirectories(dir);
    write(dir, result, config);
    LearningRateFinder.Point minimum = result.minimum();
    printer.println(String.format(Locale.ROOT, "suggested lr: %.3g (the smoothed loss was lowest, %.4f, at lr %.3g; "
        + "a tenth of it)%s; results in %s", result.suggestion(), minimum.smoothed(), minimum.lr(),
        result.stoppedEarly() ? "; stopped at lr " + String.format(Locale.ROOT, "%.3g",
            result.points().get(result.points().size() - 1).lr()) + " when the loss diverged" : "", dir));
    return ExitCodes.OK;
  }

  private static void write(Path dir, LearningRateFinder.Result result, TrainConfig config) throws Exception {
    StringBuilder csv = new StringBuilder("step,lr,loss,smoothed_loss\n");
    for (LearningRateFinder.Point p : result.points()) {
      csv.append(p.step()).append(',').append(p.lr()).append(',').append(p.loss()).append(',').append(p.smoothed())
          .append('\n');
    }
    AtomicFiles.write(dir.resolve("lr_find.csv"), o -> o.write(csv.toString().getBytes(StandardCharsets.UTF_8)));
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("suggested_lr", result.suggestion());
    json.put("lowest_smoothed_loss_lr", result.minimum().lr());
    json.put("lowest_smoothed_loss", result.minimum().smoothed());
    json.put("stopped_early", result.stoppedEarly());
    json.put("steps_taken", result.points().size());
    json.put("train", config.toMap());
    AtomicFiles.write(dir.resolve("lr_find.json"), o -> o.write(Json.write(json).getBytes(StandardCharsets.UTF_8)));
    int n = result.points().size();
    double[] x = new double[n];
    double[] loss = new double[n];
    double[] smoothed = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = Math.log10(result.points().get(i).lr());
      loss[i] = result.points().get(i).loss();
      smoothed[i] = result.points().get(i).smoothed();
    }
    Plots.writePng(Plots.chart("learning-rate range test: " + config.model() + ", " + config.optimizer(),
        String.format(Locale.ROOT, "suggested lr %.3g", result.suggestion()), "log10 learning rate", "loss",
        List.of(new Plots.Series("loss", x, loss, new Color(120, 170, 255)),
            new Plots.Series("smoothed", x, smoothed, new Color(255, 150, 60))), false), dir.resolve("lr_find.png"));
  }
}
