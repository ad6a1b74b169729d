package io.github.tftrain.cli.commands;

import io.github.tftrain.cli.ThreadsOption;
import io.github.tftrain.cli.ClusterOptions;
import io.github.tftrain.cli.runs.ClusterRun;
import io.github.tftrain.cli.runs.LocalWorkers;
import io.github.tftrain.cli.runs.Extension;
import io.github.tftrain.distributed.Cluster;
import java.util.Optional;
import io.github.tftrain.cli.settings.Settings;
import io.github.tftrain.cli.settings.TrainConfig;
import io.github.tftrain.cli.runs.Runs;

import io.github.tftrain.trainer.RunDirectory;
import io.github.tftrain.trainer.Interrupts;

import io.github.tftrain.cli.Xla;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import io.github.tftrain.cli.settings.RunOptions;
import io.github.tftrain.cli.settings.RunSetting;
import io.github.tftrain.cli.settings.RunSettings;

/**
 * {@code tftrain train}: trains a model on a dataset with an optimizer and writes a run directory. Settings come from
 * the built-in defaults, then the preset, then the flags; with no model, data or preset the {@code main} preset runs
 * (a small WideResNet with KaFiStO on the shipped Fashion-MNIST subset).
 */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    modelTransformer = RunOptions.Declare.class,
    description = {
      "Train a model and write a run directory (config.json, metrics.csv, events/, checkpoints/, saved_model/, "
          + "plots/).",
      "With no --model, --data or --preset it runs the 'main' preset: a small WideResNet trained with KaFiStO on "
          + "the Fashion-MNIST subset in testdata/.",
      "Exit codes: 0 done, 1 failed (e.g. a non-finite loss), 2 bad flags or input, 130 interrupted (a checkpoint "
          + "was written; continue with --resume --run-dir DIR)."
    })
public final class TrainCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--resume", description = "Continue the run in --run-dir from its latest checkpoint (--epochs or "
      + "--steps extend it; --data says where its dataset is now, e.g. a worker's own copy).")
  boolean resume;

  @CommandLine.Mixin ThreadsOption threads;

  @CommandLine.Mixin ClusterOptions clusterOptions;

  @Option(names = "--quiet", description = "Only per-epoch and final lines.")
  boolean quiet;

  @Override
  public Integer call() throws Exception {
    // First, so that a signal while the data is read and the graph built ends in one line and exit 130 too.
    try (Interrupts interrupts = Interrupts.install()) {
      return call(interrupts);
    }
  }

  private int call(Interrupts interrupts) throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    RunOptions options = options();
    String runDir = options.get(RunSettings.RUN_DIR).orElse(null);
    int localWorkers = clusterOptions.localWorkers();
    Optional<Cluster> cluster = clusterOptions.cluster();
    double timeout = clusterOptions.timeoutSeconds();
    String communication = clusterOptions.communication();
    Integer epochs = options.get(RunSettings.EPOCHS).orElse(null);
    Long steps = options.get(RunSettings.STEPS).orElse(null);
    if (resume) {
      if (runDir == null) {
        throw new IllegalArgumentException("--resume needs --run-dir DIR (the run to continue)");
      }
      List<String> extra = new ArrayList<>();
      for (RunSetting<?> setting : options.given()) {
        if (setting != RunSettings.RUN_DIR && setting != RunSettings.EPOCHS && setting != RunSettings.STEPS
            && setting != RunSettings.DATA) {
          extra.add(setting.flag());
        }
      }
      if (!extra.isEmpty()) {
        throw new IllegalArgumentException("--resume continues a run with the settings in its config.json (only "
            + "--epochs or --steps may extend it, and --data may say where its dataset is now); drop "
            + String.join(", ", extra));
      }
      if (epochs != null && steps != null) {
        throw new IllegalArgumentException("--resume takes --epochs or --steps to extend the run, not both");
      }
    }
    if (localWorkers > 1) {
      // the flags are checked once here, before any worker starts
      TrainConfig config = resume ? movedData(TrainConfig.read(RunDirectory.open(Path.of(runDir))), options)
          : Settings.resolve(options);
      return LocalWorkers.run(localWorkers, config.xla(), out, err);
    }
    if (cluster.isPresent() && cluster.get().task() != 0) {
      // a worker other than the chief: the chief's settings (a resume reads them from the chief, whose run it is)
      TrainConfig own = resume ? null : Settings.resolve(options);
      if (own != null && own.xla() && !Xla.enabled()) {
        return Xla.relaunchIfNeeded().orElseThrow(); // before the server takes the port
      }
      ClusterRun worker = ClusterRun.start(cluster.get(), timeout, communication);
      TrainConfig config = worker.agree(own, resume);
      if (resume) {
        try {
          config = movedData(config, options);
        } catch (IllegalArgumentException e) {
          worker.agreeOnData(java.util.Map.of(), e.getMessage()); // the others stop with this worker, not later
          throw e;
        }
      }
      return new Runs(out, err, quiet, threads.threads(), worker).follow(config, interrupts);
    }
    if (resume) {
      RunDirectory run = RunDirectory.open(Path.of(runDir));
      TrainConfig config = movedData(TrainConfig.read(run), options);
      if (config.xla() && !Xla.enabled()) {
        return Xla.relaunchIfNeeded().orElseThrow();
      }
      ClusterRun chief = cluster.map(c -> ClusterRun.start(c, timeout, communication)).orElse(null);
      if (chief != null) {
        // the others train to the length the run is extended to (the resume below records it in config.json);
        // checked before they commit to it
        chief.agree(epochs != null || steps != null ? Extension.longer(run, config, epochs, steps) : config, true);
      }
      return new Runs(out, err, quiet, threads.threads(), chief).resume(run, config, interrupts, epochs, steps);
    }
    TrainConfig config = Settings.resolve(options);
    if (config.xla() && !Xla.enabled()) {
      return Xla.relaunchIfNeeded().orElseThrow();
    }
    Path dir = runDir != null ? Path.of(runDir) : Runs.defaultRunDir(config);
    ClusterRun chief = cluster.map(c -> ClusterRun.start(c, timeout, communication)).orElse(null);
    if (chief != null) {
      RunDirectory.checkNew(dir); // before the other workers commit to the run
      chief.agree(config, false);
    }
    return new Runs(out, err, quiet, threads.threads(), chief).start(config, dir,
        spec.commandLine().getParseResult().originalArgs(), interrupts);
  }

  /**
   * A resumed run's settings with the dataset where {@code --data} says it is now (a moved folder, or a worker's own
   * copy on another machine); the workers check before training that they all read the same data.
   */
  private static TrainConfig movedData(TrainConfig config, RunOptions options) {
    Optional<String> given = options.get(RunSettings.DATA);
    if (given.isEmpty()) {
      return config;
    }
    Path folder = Settings.dataFolder(given.get());
    String format = Settings.detectFormat(io.github.tftrain.cli.models.ModelSpec.parse(config.model()), folder);
    if (!format.equals(config.dataFormat())) {
      throw new IllegalArgumentException("--data " + given.get() + " holds " + format + " data but the run trained on "
          + config.dataFormat() + " data (" + config.data() + ")");
    }
    return config.withData(folder.toString(), format);
  }

  /** The run settings given on the command line. */
  public RunOptions options() {
    return RunOptions.of(spec);
  }
}
