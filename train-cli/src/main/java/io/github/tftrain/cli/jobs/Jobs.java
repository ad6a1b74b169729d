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
    ModelSpec spec = ModelSpec.parse(config.model());
    Path data = Path.of(config.data());
    if (spec instanceof ModelSpec.LanguageModel lm) {
      TextCorpus corpus = TextCorpus.read(data);
      return new LanguageModelJob(config, lm, corpus);
    }
    if (spec instanceof ModelSpec.Mlp mlp) {
      return TabularJobs.create(config, mlp, CsvTable.read(data, "train"), CsvTable.read(data, "test"));
    }
    ImageDataset train = ImageFolder.read(data, "train");
    if (spec instanceof ModelSpec.Gan gan) {
      return new GanJob(config, gan, train);
    }
    ImageDataset test = ImageFolder.read(data, "test");
    return new ClassifierJob(config, (ModelSpec.ImageClassifier) spec, train, test);
  }

  /**
   * A session on the job's graph configured as every tftrain command configures it: the thread count (0: one per
   * core), the precision, and Grappler's remapper off for the WGAN-GP graph (see {@link SessionConfigs#of}).
   */
  public static Session openSession(TrainConfig config, TrainingJob job, int threads) {
    boolean gan = ModelSpec.parse(config.model()) instanceof ModelSpec.Gan;
    return new Session(job.graph(),
        SessionConfigs.of(threads, !gan, SessionConfigs.Precision.parse(config.precision())));
  }

  /** Steps (optimizer updates) in the whole run. */
  public static long totalSteps(TrainConfig config, long stepsPerEpoch) {
    return config.steps() > 0 ? config.steps() : config.epochs() * stepsPerEpoch;
  }

  /** The run's optimizer, with its schedule over the run's steps. */
  public static RunOptimizer optimizer(TrainConfig config, long stepsPerEpoch) {
    return new RunOptimizer(config.optimizer(), config.hyperparameters(), new ScheduleSpec(config.schedule()),
        stepsPerEpoch, totalSteps(config, stepsPerEpoch));
  }
}
