package io.github.tftrain.cli.runs;

import io.github.tftrain.cli.jobs.Jobs;
import io.github.tftrain.cli.settings.TrainConfig;

import io.github.tftrain.distributed.Replicas;
import io.github.tftrain.trainer.ReplicaSync;
import io.github.tftrain.trainer.Training;
import io.github.tftrain.trainer.RunDirectory;
import io.github.tftrain.trainer.EventWriter;
import io.github.tftrain.trainer.Outcome;
import io.github.tftrain.trainer.Progress;
import io.github.tftrain.trainer.Interrupts;
import io.github.tftrain.trainer.Json;
import io.github.tftrain.trainer.Provenance;
import io.github.tftrain.trainer.TrainingJob;

import java.io.IOException;
import java.nio.file.Files;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Session;
import org.tensorflow.TensorFlow;

/**
 * Starts and resumes runs: builds the job (reading and checking the data, building the graph) before anything is
 * written, then creates the run directory, writes config.json and hands over to {@link Training}.
 */
public final class Runs {
  private final PrintWriter out;
  private final PrintWriter err;
  private final boolean quiet;
  private final int threads;
  private final ClusterRun cluster;

  /**
   * @param out progress and results
   * @param err warnings about the settings (one line each)
   */
  public Runs(PrintWriter out, PrintWriter err, boolean quiet, int threads) {
    this(out, err, quiet, threads, null);
  }

  /**
   * Runs of one worker of a data-parallel cluster: the chief writes the run directory, the others train in step with
   * it on scratch space and write nothing there.
   *
   * @param cluster this worker's place in the cluster, its server started; null for one process
   */
  public Runs(PrintWriter out, PrintWriter err, boolean quiet, int threads, ClusterRun cluster) {
    this.out = out;
    this.err = err;
    this.quiet = quiet;
    this.threads = threads;
    this.cluster = cluster;
  }

  private Replicas replicas() {
    return cluster == null ? Replicas.single() : cluster.replicas();
  }

  private boolean isChief() {
    return cluster == null || cluster.isChief();
  }

  /**
   * A worker other than the chief: the same run in step with the chief, on a scratch run directory deleted at the end
   * (the chief's is the run's); it starts fresh and takes the chief's variables and place.
   */
  public int follow(TrainConfig config, Interrupts interrupts) throws IOException {
    Path temporary = Path.of(System.getProperty("java.io.tmpdir"));
    removeAbandonedScratch(temporary);
    Path scratch = Files.createTempDirectory(temporary, "tftrain-worker-" + cluster.cluster().task() + "-"
        + ProcessHandle.current().pid() + "-");
    try (TrainingJob job = createJob(config)) {
      cluster.agreeOnData(dataFacts(job), null);
      RunDirectory run = RunDirectory.create(scratch.resolve("run"));
      return train(config, run, job, false, interrupts);
    } finally {
      io.github.tftrain.trainer.Checkpoints.deleteTree(scratch);
    }
  }

  /**
   * Deletes the scratch folders of workers that were killed (SIGKILL leaves them): {@code tftrain-worker-T-PID-*} in
   * {@code folder} whose process no longer runs.
   */
  static void removeAbandonedScratch(Path folder) throws IOException {
    java.util.regex.Pattern name = java.util.regex.Pattern.compile("tftrain-worker-\\d+-(\\d+)-.*");
    try (var entries = Files.list(folder)) {
      for (Path entry : entries.toList()) {
        java.util.regex.Matcher m = name.matcher(entry.getFileName().toString());
        if (m.matches() && Files.isDirectory(entry)
            && ProcessHandle.of(Long.parseLong(m.group(1))).map(p -> !p.isAlive()).orElse(true)) {
          io.github.tftrain.trainer.Checkpoints.deleteTree(entry);
        }
      }
    }
  }



  /** runs/MODEL-OPTIMIZER-yyyyMMdd-HHmmss under the working folder. */
  public static Path defaultRunDir(TrainConfig config) {
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    return Path.of("runs", config.model() + "-" + config.optimizer() + "-" + stamp);
  }

  /** A new run. */
  public int start(TrainConfig config, Path runDir, List<String> args, Interrupts interrupts) throws IOException {
    try (TrainingJob job = createJob(config)) {
      if (cluster != null) {
        cluster.agreeOnData(dataFacts(job), null); // before the run directory exists
      }
      if (interrupts.requested() != null) {
        return interruptedWhileStarting(interrupts, "nothing was written");
      }
      callbacks(config, job); // a bad --early-stopping metric fails before the run directory exists
      RunDirectory run = RunDirectory.create(runDir);
      try (RunDirectory.Lock lock = run.lock()) {
        Map<String, Object> json = configJson(config, job, args, threads);
        if (cluster != null) {
          Map<String, Object> workers = new LinkedHashMap<>();
          workers.put("workers", cluster.cluster().addresses());
          workers.put("batch_per_worker", config.batchSize() / cluster.cluster().size());
          if (io.github.tftrain.cli.settings.RunSettings.SYNC_BATCH_NORM.appliesTo(
              io.github.tftrain.cli.models.ModelSpec.parse(config.model()))) {
            workers.put("batch_norm", config.syncBatchNorm()
                ? "synchronised: every worker normalises with the global batch's statistics"
                : "per worker: each worker normalises with its own slice's statistics");
          }
          json.put("cluster", workers);
        }
        run.writeConfig(json);
        return train(config, run, job, false, interrupts);
      }
    }
  }

  /**
   * Continues a run from its latest checkpoint, made longer first when {@code epochs} or {@code steps} is given
   * (see {@link Extension}).
   */
  public int resume(RunDirectory run, TrainConfig config, Interrupts interrupts, Integer epochs, Long steps)
      throws IOException {
    try (RunDirectory.Lock lock = run.lock()) {
      boolean extend = epochs != null || steps != null;
      TrainConfig settings = extend ? Extension.longer(run, config, epochs, steps) : config; // checked, not written
      try (TrainingJob job = createJob(settings)) {
        String otherData = differentData(run, settings, job);
        if (cluster != null) {
          cluster.agreeOnData(dataFacts(job), otherData);
        } else if (otherData != null) {
          throw new IllegalArgumentException(otherData);
        }
        if (interrupts.requested() != null) {
          return interruptedWhileStarting(interrupts, "the run is as it was");
        }
        if (extend) {
          settings = Extension.extend(run, config, epochs, steps, err); // recorded once the data is known good
        }
        return train(settings, run, job, true, interrupts);
      }
    }
  }

  /**
   * Why the data read for a resume is not the data the run trained on (a checksum in config.json's "data" differs), or
   * null. Runs from before the checksums were recorded are not checked.
   */
  @SuppressWarnings("unchecked")
  static String differentData(RunDirectory run, TrainConfig config, TrainingJob job) throws IOException {
    Object recorded = Json.parseObject(Files.readString(run.config(), java.nio.charset.StandardCharsets.UTF_8),
        run.config()).get("data");
    if (!(recorded instanceof Map)) {
      return null;
    }
    for (Map.Entry<String, Object> fact : job.describeData().entrySet()) {
      Object then = ((Map<String, Object>) recorded).get(fact.getKey());
      if (fact.getKey().endsWith("_crc32") && then != null && !then.equals(fact.getValue())) {
        return "--resume: the data in " + config.data() + " is not what " + run.root() + " trained on: its "
            + fact.getKey() + " is " + fact.getValue() + ", config.json records " + then;
      }
    }
    return null;
  }

  /**
   * The job: its data read and checked, its graph built. In a cluster a worker that fails here (data missing or
   * malformed on its machine) says so through the data agreement that the others are waiting in, so that every
   * worker stops at once with its message instead of waiting out the collective timeout.
   */
  private TrainingJob createJob(TrainConfig config) throws IOException {
    try {
      return Jobs.create(config, replicas());
    } catch (IllegalArgumentException | IOException e) {
      if (cluster != null) {
        cluster.agreeOnData(Map.of(), String.valueOf(e.getMessage()));
      }
      throw e;
    }
  }

  /** What the workers of a cluster compare before training: the data's facts (checksums too), steps per epoch. */
  private static Map<String, Object> dataFacts(TrainingJob job) {
    Map<String, Object> facts = new LinkedHashMap<>(job.describeData());
    facts.put("steps_per_epoch", job.stepsPerEpoch());
    return facts;
  }

  /** The run's callbacks: early stopping when asked for, on one of the job's evaluation columns. */
  static List<io.github.tftrain.trainer.Callback> callbacks(TrainConfig config, TrainingJob job) {
    if (config.earlyStopping().isEmpty()) {
      return List.of();
    }
    io.github.tftrain.trainer.EarlyStopping stopping = io.github.tftrain.trainer.EarlyStopping.parse(
        config.earlyStopping());
    if (!job.evalColumns().contains(stopping.metric())) {
      throw new IllegalArgumentException("--early-stopping " + config.earlyStopping() + ": " + config.model()
          + " evaluates " + (job.evalColumns().isEmpty() ? "nothing" : String.join(", ", job.evalColumns())));
    }
    return List.of(stopping);
  }

  private int interruptedWhileStarting(Interrupts interrupts, String state) {
    err.println("tftrain train: interrupted (" + interrupts.requested() + ") while starting; " + state);
    err.flush();
    return io.github.tftrain.trainer.Outcome.INTERRUPTED.exitCode();
  }

  private int train(TrainConfig config, RunDirectory run, TrainingJob job, boolean resume, Interrupts interrupts)
      throws IOException {
    if (isChief()) {
      warn(err, config, job.stepsPerEpoch());
    }
    Progress progress = isChief() ? new Progress(out, err, System.console() != null, quiet, 10)
        : new Progress(new PrintWriter(java.io.Writer.nullWriter()), err, false, true, 10); // one progress: the chief's
    if (!resume) {
      progress.line(String.format(java.util.Locale.ROOT, "training %s on %s (%s) with %s: %s; run directory %s",
          config.model(), config.data(), config.dataFormat(), config.optimizer(),
          config.steps() > 0 ? config.steps() + " steps" : config.epochs() + " epochs of " + job.stepsPerEpoch()
              + " steps", run.root()));
    }
    // the agreement ops go into the graph before its session opens: every worker builds them at the same point
    ReplicaSync sync = cluster == null ? null : ReplicaSync.build(job.graph(), cluster.replicas());
    try (Session session = cluster == null ? Jobs.openSession(config, job, threads)
            : Jobs.openSession(config, job, threads, cluster.cluster());
        EventWriter events = EventWriter.open(run.events())) {
      Outcome outcome;
      try {
        outcome = new Training(config.loopSettings(), run, job, session, progress, interrupts, events,
            callbacks(config, job), sync).run(resume);
      } catch (org.tensorflow.exceptions.TensorFlowException e) {
        if (cluster == null || !ClusterRun.isCollectiveFailure(e)) {
          throw e;
        }
        throw new io.github.tftrain.trainer.RunFailedException(cluster.lost(e));
      }
      if (outcome == Outcome.INTERRUPTED) {
        progress.line("Continue with: tftrain train --resume --run-dir " + run.root());
      }
      return outcome.exitCode();
    }
  }

  /**
   * Prints to {@code err} what in the settings defeats the run, one line each: an optimizer's own warmup (Apollo's)
   * that covers every step, so the learning rate never reaches its value and the schedule is never used.
   */
  public static void warn(PrintWriter err, TrainConfig config, long stepsPerEpoch) {
    Jobs.optimizer(config, stepsPerEpoch).warmupWarning().ifPresent(err::println);
    err.flush();
  }

  /**
   * config.json: the settings, every optimizer's resolved hyperparameters (defaults and the update kernel included),
   * the threads, the versions and the code's git commit when known, the data's facts and the command line.
   *
   * @param threads the --threads given (0: one per core)
   */
  public static Map<String, Object> configJson(TrainConfig config, TrainingJob job, List<String> args, int threads) {
    Map<String, Object> all = new LinkedHashMap<>();
    all.put("train", config.toMap());
    List<Object> optimizers = new java.util.ArrayList<>();
    for (io.github.tftrain.optimizers.LossAwareOptimizer optimizer : job.optimizers()) {
      Map<String, Object> record = new LinkedHashMap<>();
      record.put("scope", optimizer.configuration().name());
      record.put("optimizer", optimizer.configuration().spec().name());
      record.put("hyperparameters", optimizer.configuration().toMap());
      optimizers.add(record);
    }
    all.put("optimizers", optimizers);
    all.put("threads", threads > 0 ? threads : Runtime.getRuntime().availableProcessors());
    Map<String, Object> versions = new LinkedHashMap<>();
    String version = Runs.class.getPackage().getImplementationVersion();
    versions.put("tftrain", version == null ? "dev" : version);
    versions.put("tensorflow", TensorFlow.version());
    versions.put("java", System.getProperty("java.version"));
    versions.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
    versions.putAll(Provenance.git());
    all.put("versions", versions);
    all.put("data", job.describeData());
    all.put("steps_per_epoch", job.stepsPerEpoch());
    all.put("command", args);
    return all;
  }
}
