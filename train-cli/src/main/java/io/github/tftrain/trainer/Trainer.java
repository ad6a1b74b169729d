package io.github.tftrain.trainer;

import io.github.tftrain.optimizers.LossAwareOptimizer;
import io.github.tftrain.optimizers.OptimizerBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.tensorflow.Session;
import org.tensorflow.TensorFlow;
import org.tensorflow.proto.ConfigProto;

/**
 * Trains your own TF-Java model with everything {@code tftrain train} does: epochs of steps, metrics.csv, TensorBoard
 * events and plots, evaluation, checkpoints (the latest few and the best), bit-exact resume, SIGINT/SIGTERM (a
 * checkpoint, then {@link Outcome#INTERRUPTED}), non-finite steps (stop or skip), callbacks and a SavedModel.
 *
 * <pre>{@code
 * Outcome outcome = Trainer.builder()
 *     .model(ctx -> {                       // your graph: inputs -> loss, metrics, predictions
 *       Operand<TFloat32> x = ctx.input("x", TFloat32.class);
 *       ...
 *       return ModelOutputs.loss(loss).metric("error", error).prediction("probabilities", p).servingInputs("x");
 *     })
 *     .train(ArrayData.builder().features("x", rows).labels("y", labels).batchSize(32).shuffle(1).build())
 *     .evaluation(ArrayData.builder().features("x", testRows).labels("y", testLabels).batchSize(256).build())
 *     .optimizer(Optimizers.builder("adamw").lr(1e-3))
 *     .epochs(10)
 *     .callbacks(EarlyStopping.onMetric("eval_error", 3, 0.001))
 *     .runDirectory(Path.of("runs/mine"))
 *     .build()
 *     .fit();
 * }</pre>
 *
 * <p>{@link #fit()} starts a new run in an empty (or absent) run directory; {@link #resume()} continues one from its
 * latest checkpoint with the same model, data and settings. The evaluation columns are {@code eval_loss} and
 * {@code eval_METRIC}; the best checkpoint is the one with the lowest {@code eval_loss}.
 */
public final class Trainer {
  private final Model model;
  private final DataSource train;
  private final DataSource evaluation;
  private final OptimizerBuilder<?, ?> optimizer;
  private final LoopSettings loop;
  private final List<Callback> callbacks;
  private final Path runDirectory;
  private final long seed;
  private final int threads;
  private final PrintWriter out;
  private final PrintWriter err;

  private Trainer(Builder b) {
    this.model = Objects.requireNonNull(b.model, "model");
    this.train = Objects.requireNonNull(b.train, "training data");
    this.evaluation = b.evaluation;
    this.optimizer = Objects.requireNonNull(b.optimizer, "optimizer").copy();
    this.optimizer.validate(); // a bad hyperparameter fails here, before anything is built or written
    this.loop = new LoopSettings(b.epochs, b.steps, b.logEvery, b.evalEvery, b.checkpointEvery, b.keepCheckpoints,
        b.onNan, b.initFrom == null ? "" : b.initFrom.toAbsolutePath().toString());
    this.callbacks = List.copyOf(b.callbacks);
    this.runDirectory = Objects.requireNonNull(b.runDirectory, "run directory");
    this.seed = b.seed;
    this.threads = b.threads;
    this.out = b.out != null ? b.out : new PrintWriter(System.out, true);
    this.err = b.err != null ? b.err : new PrintWriter(System.err, true);
  }

  /** A builder; model, training data, optimizer and run directory are required. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts a new run: creates the run directory (which must be absent or empty), writes config.json and trains.
   *
   * @return how the run ended
   * @throws IllegalArgumentException for a run directory in use by an earlier run, or settings the model rejects
   */
  public Outcome fit() throws IOException {
    return run(false);
  }

  /**
   * Continues the run in the run directory from its latest checkpoint (with the model, data and settings it was
   * started with: the run's output is then that of an uninterrupted run).
   */
  public Outcome resume() throws IOException {
    return run(true);
  }

  /**
   * The learning-rate range test ({@link LearningRateFinder}) on this trainer's model, training data and optimizer:
   * from the initial weights, the learning rate grows exponentially from {@code start} to {@code end} over
   * {@code steps} steps. Writes nothing; the run directory is not used.
   */
  public LearningRateFinder.Result findLearningRate(double start, double end, long steps) {
    io.github.tftrain.optimizers.schedule.Schedule sweep =
        io.github.tftrain.optimizers.schedule.Schedule.exponential(start, end, steps);
    try (ModelJob job = new ModelJob(model, train, null, optimizer.copy().lr(sweep), seed);
        Session session = new Session(job.graph(), sessionConfig(threads))) {
      session.initialize();
      return LearningRateFinder.run(job, session, sweep::valueAt, steps);
    }
  }

  private Outcome run(boolean resume) throws IOException {
    try (Interrupts interrupts = Interrupts.install();
        ModelJob job = new ModelJob(model, train, evaluation, optimizer, seed)) {
      RunDirectory run = resume ? RunDirectory.open(runDirectory) : RunDirectory.create(runDirectory);
      try (RunDirectory.Lock lock = run.lock()) {
        if (!resume) {
          run.writeConfig(config(job));
        }
        Progress progress = new Progress(out, err, System.console() != null, false, 10);
        try (Session session = new Session(job.graph(), sessionConfig(threads));
            EventWriter events = EventWriter.open(run.events())) {
          return new Training(loop, run, job, session, progress, interrupts, events, callbacks).run(resume);
        }
      }
    }
  }

  /** Intra- and inter-op threads, or TensorFlow's default (one per core) for 0. */
  private static ConfigProto sessionConfig(int threads) {
    ConfigProto.Builder config = ConfigProto.newBuilder();
    if (threads > 0) {
      config.setIntraOpParallelismThreads(threads).setInterOpParallelismThreads(threads);
    }
    return config.build();
  }

  private Map<String, Object> config(ModelJob job) {
    Map<String, Object> all = new LinkedHashMap<>();
    Map<String, Object> settings = new LinkedHashMap<>();
    settings.put("epochs", loop.epochs());
    settings.put("steps", loop.steps());
    settings.put("log_every", loop.logEvery());
    settings.put("eval_every", loop.evalEvery());
    settings.put("checkpoint_every", loop.checkpointEvery());
    settings.put("keep_checkpoints", loop.keepCheckpoints());
    settings.put("on_nan", loop.onNan());
    settings.put("init_from", loop.initFrom());
    settings.put("seed", seed);
    settings.put("callbacks", callbacks.stream().map(Callback::name).toList());
    all.put("trainer", settings);
    List<Object> optimizers = new ArrayList<>();
    for (LossAwareOptimizer o : job.optimizers()) {
      optimizers.add(Map.of("scope", o.configuration().name(), "optimizer", o.configuration().spec().name(),
          "hyperparameters", o.configuration().toMap()));
    }
    all.put("optimizers", optimizers);
    all.put("threads", threads > 0 ? threads : Runtime.getRuntime().availableProcessors());
    Map<String, Object> versions = new LinkedHashMap<>();
    versions.put("tensorflow", TensorFlow.version());
    versions.put("java", System.getProperty("java.version"));
    versions.putAll(Provenance.git());
    all.put("versions", versions);
    all.put("data", job.describeData());
    all.put("steps_per_epoch", job.stepsPerEpoch());
    return all;
  }

  /** Builds a {@link Trainer}. */
  public static final class Builder {
    private Model model;
    private DataSource train;
    private DataSource evaluation;
    private OptimizerBuilder<?, ?> optimizer;
    private int epochs = 1;
    private long steps;
    private int logEvery = 50;
    private int evalEvery = 1;
    private int checkpointEvery;
    private int keepCheckpoints = 3;
    private String onNan = "stop";
    private Path initFrom;
    private final List<Callback> callbacks = new ArrayList<>();
    private Path runDirectory;
    private long seed = 1;
    private int threads;
    private PrintWriter out;
    private PrintWriter err;

    private Builder() {}

    /** The model (required). */
    public Builder model(Model value) {
      this.model = value;
      return this;
    }

    /** The training data (required). */
    public Builder train(DataSource value) {
      this.train = value;
      return this;
    }

    /** Evaluation data: evaluated every {@link #evalEvery} epochs and at the end; none by default. */
    public Builder evaluation(DataSource value) {
      this.evaluation = value;
      return this;
    }

    /** Any tftrain optimizer (required): {@code Optimizers.builder("lion").lr(1e-4)}, a typed builder, .... */
    public Builder optimizer(OptimizerBuilder<?, ?> value) {
      this.optimizer = value;
      return this;
    }

    /** Epochs to train (default 1). */
    public Builder epochs(int value) {
      this.epochs = value;
      this.steps = 0;
      return this;
    }

    /** Steps to train instead of epochs. */
    public Builder steps(long value) {
      this.steps = value;
      return this;
    }

    /** A metrics row every this many steps and at epoch ends (default 50). */
    public Builder logEvery(int value) {
      this.logEvery = value;
      return this;
    }

    /** Evaluate every this many epochs and at the end (default 1). */
    public Builder evalEvery(int value) {
      this.evalEvery = value;
      return this;
    }

    /** Also checkpoint every this many steps (default 0: at epoch ends). */
    public Builder checkpointEvery(int value) {
      this.checkpointEvery = value;
      return this;
    }

    /** The latest checkpoints kept besides the best (default 3). */
    public Builder keepCheckpoints(int value) {
      this.keepCheckpoints = value;
      return this;
    }

    /** "stop" (default: checkpoint the last good state and fail) or "skip" (drop the batch) on a non-finite step. */
    public Builder onNan(String value) {
      this.onNan = value;
      return this;
    }

    /** Start from another run's weights (its SavedModel's, else its latest checkpoint's); see the CLI's --init-from. */
    public Builder initFrom(Path run) {
      this.initFrom = run;
      return this;
    }

    /** Callbacks, run in order after each step and each epoch's end. */
    public Builder callbacks(Callback... values) {
      this.callbacks.addAll(List.of(values));
      return this;
    }

    /** The run directory (required): config.json, metrics.csv, events/, checkpoints/, plots/, saved_model/. */
    public Builder runDirectory(Path value) {
      this.runDirectory = value;
      return this;
    }

    /** The seed the model gets ({@link ModelContext#seed()}); default 1. */
    public Builder seed(long value) {
      this.seed = value;
      return this;
    }

    /** TensorFlow threads (default 0: one per core). */
    public Builder threads(int value) {
      if (value < 0) {
        throw new IllegalArgumentException("threads must be >= 0 (0: one per core), got " + value);
      }
      this.threads = value;
      return this;
    }

    /** Where progress (out) and warnings (err) go; default the process's stdout and stderr. */
    public Builder output(PrintWriter progress, PrintWriter warnings) {
      this.out = progress;
      this.err = warnings;
      return this;
    }

    /**
     * @throws IllegalArgumentException for a missing part or a setting out of range (naming it)
     * @throws NullPointerException naming a required part that is missing
     */
    public Trainer build() {
      if (runDirectory != null && Files.exists(runDirectory) && !Files.isDirectory(runDirectory)) {
        throw new IllegalArgumentException("run directory " + runDirectory + " is a file");
      }
      return new Trainer(this);
    }
  }
}
