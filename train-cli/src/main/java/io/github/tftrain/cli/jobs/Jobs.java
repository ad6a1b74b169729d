package io.github.tftrain.cli.jobs;

import io.github.tftrain.cli.settings.ScheduleSpec;
import io.github.tftrain.cli.settings.TrainConfig;

import io.github.tftrain.trainer.TrainingJob;

import io.github.tftrain.cli.models.ModelSpec;
import io.github.tftrain.data.CsvTable;
import io.github.tftrain.data.ImageDataset;
import io.github.tftrain.data.ImageFolder;
import io.github.tftrain.data.TextCorpus;
import java.io.IOException;
import io.github.tftrain.cli.models.SessionConfigs;
import io.github.tftrain.distributed.Cluster;
import io.github.tftrain.distributed.Replicas;
import java.nio.file.Path;
import org.tensorflow.Session;

/** Makes the job of a model family from a run's settings, reading its data. */
public final class Jobs {
  private Jobs() {}

  /**
   * @throws IOException for unreadable data (DataFormatException names the file and record)
   * @throws IllegalArgumentException for settings the model or optimizer reject
   */
  public static TrainingJob create(TrainConfig config) throws IOException {
    return create(config, Replicas.single());
  }

  /**
   * The job of one replica of a data-parallel run: its slice of every global batch ({@code --batch-size} /
   * replicas), optimizers that average over the replicas.
   *
   * @throws IllegalArgumentException when the family does not train data-parallel yet, or the batch does not split
   */
  public static TrainingJob create(TrainConfig config, Replicas replicas) throws IOException {
    ModelSpec spec = ModelSpec.parse(config.model());
    Path data = Path.of(config.data());
    if (replicas.isDistributed()) {
      if (config.batchSize() % replicas.size() != 0) {
        throw new IllegalArgumentException("--batch-size " + config.batchSize() + " does not split evenly over "
            + replicas.size() + " workers (the global batch is divided among them)");
      }
    }
    if (spec instanceof ModelSpec.LanguageModel lm) {
      TextCorpus corpus = TextCorpus.read(data);
      return new LanguageModelJob(config, lm, corpus, replicas);
    }
    if (spec instanceof ModelSpec.Mlp mlp) {
      return TabularJobs.create(config, mlp, CsvTable.read(data, "train"), CsvTable.read(data, "test"), replicas);
    }
    ImageDataset train = ImageFolder.read(data, "train");
    if (spec instanceof ModelSpec.Gan gan) {
      return new GanJob(config, gan, train, replicas);
    }
    ImageDataset test = ImageFolder.read(data, "test");
    return new ClassifierJob(config, (ModelSpec.ImageClassifier) spec, train, test, replicas);
  }

  /**
   * A session on the job's graph configured as every tftrain command configures it: the thread count (0: one per
   * core), the precision, and Grappler's remapper off for the WGAN-GP graph (see {@link SessionConfigs#of}).
   */
  public static Session openSession(TrainConfig config, TrainingJob job, int threads) {
    return new Session(job.graph(), sessionConfig(config, threads));
  }

  /** A session on the job's graph through a cluster worker's server (data-parallel runs), configured the same way. */
  public static Session openSession(TrainConfig config, TrainingJob job, int threads, Cluster cluster) {
    return cluster.openSession(job.graph(), sessionConfig(config, threads));
  }

  private static org.tensorflow.proto.ConfigProto sessionConfig(TrainConfig config, int threads) {
    boolean gan = ModelSpec.parse(config.model()) instanceof ModelSpec.Gan;
    return SessionConfigs.of(threads, !gan, SessionConfigs.Precision.parse(config.precision()));
  }

  /** Steps (optimizer updates) in the whole run. */
  public static long totalSteps(TrainConfig config, long stepsPerEpoch) {
    return config.steps() > 0 ? config.steps() : config.epochs() * stepsPerEpoch;
  }

  /** The run's optimizer, with its schedule over the run's steps. */
  public static RunOptimizer optimizer(TrainConfig config, long stepsPerEpoch) {
    return new RunOptimizer(config.optimizer(), config.hyperparameters(), new ScheduleSpec(config.schedule()),
        stepsPerEpoch, totalSteps(config, stepsPerEpoch)).withUpdateNorm(config.logStepSize());
  }

  /**
   * The seed of a training graph's initializers and random ops: the run's seed, and on several workers a different
   * one per worker, so that their dropout masks are independent (identical masks on every worker would give a global
   * batch only B/N distinct ones). The initial weights it makes do not matter there: every worker starts from the
   * chief's. Data order and augmentation keep the run's seed.
   */
  static long graphSeed(TrainConfig config, Replicas replicas) {
    return replicas.isDistributed() ? config.seed() + 1_000_003L * replicas.rank() : config.seed();
  }

  /**
   * The training columns' values of a step: with several replicas the first column (the loss) is replaced by the
   * global batch's loss, fetched as the last value (see {@link ClassifierJob#addStepColumns}).
   */
  static double[] globalLoss(double[] fetched, Replicas replicas) {
    if (!replicas.isDistributed()) {
      return fetched;
    }
    double[] values = java.util.Arrays.copyOf(fetched, fetched.length - 1);
    values[0] = fetched[fetched.length - 1];
    return values;
  }
}
