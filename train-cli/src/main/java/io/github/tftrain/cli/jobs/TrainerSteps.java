package io.github.tftrain.cli.jobs;

import io.github.tftrain.cli.settings.Settings;
import io.github.tftrain.cli.settings.TrainConfig;
import io.github.tftrain.cli.settings.RunOptions;
import io.github.tftrain.cli.settings.RunSettings;

import io.github.tftrain.trainer.TrainingJob;

import io.github.tftrain.cli.models.ImageClassifierTask;
import io.github.tftrain.cli.models.OptimizerFactory;
import io.github.tftrain.data.ImageBatches;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Session;

/**
 * An image-classifier job exactly as {@code tftrain train} builds and steps it (the same settings resolution,
 * defaults, optimizer with {@code checkFinite} and schedule, batch pipeline with shuffling and augmentation, and
 * per-step diagnostics fetch), without a run directory, checkpoints or metrics: for benchmarks that time the
 * trainer's own step ({@code tftrain bench trainer}).
 *
 * <p>Use: {@link #open}, add any extra ops to {@link #graph()}, then {@link #openSession}, {@link #start} and
 * {@link #step} as often as needed; close it at the end.
 */
public final class TrainerSteps implements AutoCloseable {
  private final TrainConfig config;
  private final ClassifierJob job;
  private int epoch;
  private long batch;

  private TrainerSteps(TrainConfig config, ClassifierJob job) {
    this.config = config;
    this.job = job;
  }

  /**
   * Resolves the settings as {@code tftrain train --model MODEL --data DATA --optimizer OPTIMIZER --set ...
   * --batch-size N --steps STEPS} would (no preset), reads the data and builds the graph.
   *
   * @param model an image classifier's name (wrn-16-4, resnet18, ...)
   * @param data a dataset folder, {@code fashion-mnist} or {@code testdata/NAME} (see {@link #dataFolder})
   * @param optimizer a registered optimizer name
   * @param settings the optimizer's hyperparameters as text ({@code --set})
   * @param batchSize images per step
   * @param steps the run length the schedule is built for
   * @throws IllegalArgumentException for bad settings, or a model that is not an image classifier
   * @throws IOException for unreadable data
   */
  public static TrainerSteps open(
      String model, String data, String optimizer, Map<String, String> settings, int batchSize, long steps)
      throws IOException {
    RunOptions flags = RunOptions.none()
        .with(RunSettings.MODEL, model)
        .with(RunSettings.DATA, data)
        .with(RunSettings.OPTIMIZER, optimizer)
        .with(RunSettings.SET, new java.util.LinkedHashMap<>(settings))
        .with(RunSettings.BATCH_SIZE, batchSize)
        .with(RunSettings.STEPS, steps);
    TrainConfig config = Settings.resolve(flags);
    TrainingJob job = Jobs.create(config);
    if (!(job instanceof ClassifierJob classifier)) {
      job.close();
      throw new IllegalArgumentException(model + " is not an image classifier");
    }
    return new TrainerSteps(config, classifier);
  }

  /**
   * The dataset folder {@code tftrain train --data TEXT} uses: {@code fashion-mnist} is Debian's package, an
   * existing path is taken as is, and {@code testdata/NAME} falls back to the checkout's shipped testdata.
   *
   * @throws IllegalArgumentException if there is no such folder
   */
  public static Path dataFolder(String text) {
    return Settings.dataFolder(text);
  }

  /** The resolved settings. */
  public TrainConfig config() {
    return config;
  }

  /** The training graph; ops added before {@link #openSession} run in the same session as the steps. */
  public Graph graph() {
    return job.graph();
  }

  /** The model, loss and train op. */
  public ImageClassifierTask task() {
    return job.task();
  }

  /** The optimizer the task was built with (same settings and schedule), to build the same optimizer elsewhere. */
  public OptimizerFactory optimizerFactory() {
    return job.optimizer();
  }

  /** The training batches: pipeline timings ({@code producerSeconds}, {@code waitSeconds}), fixed batches. */
  public ImageBatches batches() {
    return job.batches();
  }

  /** A session on the graph configured as the trainer configures it (thread count; 0 = one per core). */
  public Session openSession(int threads) {
    return Jobs.openSession(config, job, threads);
  }

  /** Initialises the variables and positions the data at the first batch, as a fresh run does. */
  public void start(Session session) {
    session.initialize();
    epoch = 0;
    batch = 0;
    job.seek(0, 0);
  }

  /**
   * One trainer step: the next batch from the pipeline, its tensors, the train op with the logged diagnostics
   * (loss, lr, gradient norm, KaFiStO's filter state); at an epoch's end the data moves on to the next epoch.
   *
   * @param step the trainer step number
   * @return the values the trainer logs
   */
  public double[] step(Session session, long step) {
    double[] values = job.step(session, step);
    if (++batch == job.stepsPerEpoch()) {
      epoch++;
      batch = 0;
      job.seek(epoch, 0);
    }
    return values;
  }

  @Override
  public void close() {
    job.close();
  }
}
