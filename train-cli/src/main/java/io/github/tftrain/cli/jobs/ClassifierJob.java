package io.github.tftrain.cli.jobs;

import io.github.tftrain.cli.settings.TrainConfig;

import io.github.tftrain.trainer.SavedModels;

import io.github.tftrain.trainer.EvaluationWeights;
import io.github.tftrain.trainer.TrainingJob;

import io.github.tftrain.distributed.Replicas;
import io.github.tftrain.cli.models.ImageClassifierTask;
import io.github.tftrain.cli.models.ModelSpec;
import io.github.tftrain.cli.models.OptimizerFactory;
import io.github.tftrain.data.ChannelStats;
import io.github.tftrain.data.ImageBatches;
import io.github.tftrain.data.ImageDataset;
import io.github.tftrain.models.Init;
import io.github.tftrain.optimizers.EvaluationSwap;
import io.github.tftrain.optimizers.Kafisto;
import io.github.tftrain.optimizers.LossAwareOptimizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TUint8;

/**
 * Image classification (WideResNet, CIFAR ResNets): cross-entropy on labels, random crop + flip, top-1/top-5 error
 * on the test split after each evaluated epoch.
 */
public final class ClassifierJob implements TrainingJob {
  private final TrainConfig config;
  private final ModelSpec.ImageClassifier spec;
  private final ImageDataset train;
  private final ImageDataset test;
  private final ChannelStats stats;
  private final RunOptimizer optimizer;
  private final Graph graph;
  private final ImageClassifierTask task;
  private final EvaluationSwap evaluationSwap;
  private final ImageBatches batches;
  private final ImageBatches testBatches;
  private final List<Column> columns = new ArrayList<>();
  private final List<Operand<TFloat64>> diagnostics = new ArrayList<>();
  private ImageBatches.Epoch epoch;
  private final Replicas replicas;

  ClassifierJob(TrainConfig config, ModelSpec.ImageClassifier spec, ImageDataset train, ImageDataset test) {
    this(config, spec, train, test, Replicas.single());
  }

  ClassifierJob(TrainConfig config, ModelSpec.ImageClassifier spec, ImageDataset train, ImageDataset test,
      Replicas replicas) {
    this.config = config;
    this.replicas = replicas;
    this.spec = spec;
    this.train = train;
    this.test = test;
    this.stats = ChannelStats.of(train);
    if (config.batchSize() > train.count()) {
      throw new IllegalArgumentException("--batch-size " + config.batchSize() + " is larger than the "
          + train.count() + " training images of " + train.source());
    }
    this.batches =
        ImageBatches.of(train).batchSize(config.batchSize()).shuffle(true).augment(config.augment())
            .dropLast(true).seed(config.seed()).stats(stats).shard(replicas.rank(), replicas.size()).build();
    this.optimizer = Jobs.optimizer(config, batches.batchesPerEpoch()).withReplicas(replicas);
    this.graph = new Graph();
    try {
      this.task = build(graph, optimizer, null, config.syncBatchNorm() ? crossReplicaMean(replicas) : null,
          Jobs.graphSeed(config, replicas));
      RunOptimizer.requireGroupsMatched(List.of(task.optimizer()));
      this.evaluationSwap = EvaluationSwap.of(graph, List.of(task.optimizer()));
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
    this.testBatches = ImageBatches.of(test).batchSize(250).stats(stats).build();
    addStepColumns(task.optimizer(), columns, diagnostics, replicas);
  }

  /**
   * The training columns of a single-optimizer job and the float64 scalars fetched with each step for them: the
   * loss (fetched by the task itself), the learning rate (KaFiStO: its gain), the gradient norm and, with KaFiStO,
   * its filter state: σx² after the step, R, the qX in the step's predicted covariance and the effective step size
   * of eq 13; with {@code --log-step-size}, the step's update norm and its ratio to the gradient norm. With several
   * replicas the global batch's loss is fetched last; {@link Jobs#globalLoss} puts it in the
   * loss column.
   */
  static void addStepColumns(LossAwareOptimizer optimizer, List<Column> columns,
      List<Operand<TFloat64>> diagnostics, Replicas replicas) {
    columns.add(new Column("loss", true));
    columns.add(new Column("lr", false));
    columns.add(new Column("grad_norm", true));
    diagnostics.add(optimizer.learningRate());
    diagnostics.add(optimizer.gradientNorm());
    if (optimizer instanceof Kafisto kafisto) {
      columns.add(new Column("kafisto_sigma_x2", false));
      columns.add(new Column("kafisto_r_noise", false));
      columns.add(new Column("kafisto_q_x", false));
      columns.add(new Column("kafisto_effective_step", true));
      diagnostics.add(kafisto.sigmaX2());
      diagnostics.add(kafisto.measurementNoise());
      diagnostics.add(kafisto.stateNoise());
      diagnostics.add(kafisto.effectiveStepSize());
    }
    if (optimizer.configuration().tracksUpdateNorm()) {
      columns.add(new Column("update_norm", true));
      columns.add(new Column("effective_step", true));
      Ops tf = Ops.create(optimizer.globalStep().env()).withSubScope("step_size");
      diagnostics.add(optimizer.updateNorm());
      diagnostics.add(tf.math.divNoNan(optimizer.updateNorm(), optimizer.gradientNorm()));
    }
    if (replicas.isDistributed()) {
      diagnostics.add(optimizer.lossMean());
    }
  }

  /**
   * Batch norm's mean over the replicas: their all-reduce (an export or eval graph gets the one-process identity).
   * What {@code --sync-batch-norm} gives a network; public for a library user's own model.
   */
  public static io.github.tftrain.models.CrossReplicaMean crossReplicaMean(Replicas replicas) {
    return new io.github.tftrain.models.CrossReplicaMean() {
      @Override
      public <T extends org.tensorflow.types.family.TNumber> Operand<T> mean(Ops tf, Operand<T> value) {
        return replicas.allReduceMean(tf, value);
      }

      @Override
      public int replicas() {
        return replicas.size();
      }
    };
  }

  /**
   * The classifier in {@code g}; with {@code --sync-batch-norm}, {@code sync} averages batch norm's moments (the
   * training graph's replicas; an export's graph is one process's); {@code seed} seeds its initializers and dropout
   * ({@link Jobs#graphSeed}: one per worker in the training graph).
   */
  private ImageClassifierTask build(Graph g, OptimizerFactory factory, Operand<TFloat32> defaultImages,
      io.github.tftrain.models.CrossReplicaMean sync, long seed) {
    return ImageClassifierTask.build(g, spec, train.height(), train.width(), train.channels(), train.classes(),
        Init.parse(config.init()), seed, config.dropout(), factory, defaultImages, sync);
  }

  /** The images as the dataset stores them: IDX 28x28x1, CIFAR and image folders 32x32x3 (the readers' output). */
  private int[] rawShape() {
    return config.dataFormat().equals("idx") ? new int[] {28, 28, 1} : new int[] {train.height(), train.width(), 3};
  }

  /**
   * Raw pixels to the network's input, as the training pipeline prepares them: padded with black to 32x32 (centred),
   * grey repeated into three channels, then {@code (p / 255 - mean_c) / std_c} in float64 rounded to float32 (the
   * pipeline's lookup table holds exactly these values).
   */
  private Operand<TFloat32> preprocess(Ops tf, Operand<TUint8> pixels, int[] raw) {
    Operand<TFloat64> x = tf.dtypes.cast(pixels, TFloat64.class);
    int top = (train.height() - raw[0]) / 2;
    int left = (train.width() - raw[1]) / 2;
    if (top > 0 || left > 0) {
      x = tf.pad(x, tf.constant(new int[][] {{0, 0}, {top, train.height() - raw[0] - top},
          {left, train.width() - raw[1] - left}, {0, 0}}), tf.constant(0.0));
    }
    if (raw[2] == 1) {
      x = tf.concat(List.of(x, x, x), tf.constant(3));
    }
    double[] mean = new double[3];
    double[] std = new double[3];
    for (int c = 0; c < 3; c++) {
      mean[c] = stats.mean(c);
      std[c] = stats.std(c);
    }
    Operand<TFloat64> scaled = tf.math.div(x, tf.constant(255.0));
    Operand<TFloat64> normalized = tf.math.div(tf.math.sub(scaled, tf.constant(mean)), tf.constant(std));
    return tf.withName("preprocessed").dtypes.cast(normalized, TFloat32.class);
  }

  @Override
  public Graph graph() {
    return graph;
  }

  @Override
  public List<Column> trainColumns() {
    return columns;
  }

  @Override
  public List<String> evalColumns() {
    return List.of("test_loss", "test_error", "test_top5_error");
  }

  @Override
  public String bestMetric() {
    return "test_error";
  }

  @Override
  public long stepsPerEpoch() {
    return batches.batchesPerEpoch();
  }

  @Override
  public long itemsPerStep() {
    return config.batchSize();
  }

  @Override
  public String throughputUnit() {
    return "images/s";
  }

  @Override
  public void seek(int epochIndex, long batch) {
    if (epoch != null) {
      epoch.close();
    }
    epoch = batches.epoch(epochIndex, (int) batch);
  }

  @Override
  public double[] step(Session session, long step) {
    ImageBatches.Batch batch = epoch.next();
    try (TFloat32 x = batch.imagesTensor();
        TInt32 y = batch.labelsTensor()) {
      double[] out = task.trainStep(session, x, y, step, diagnostics);
      // columns: loss, lr, grad_norm, then KaFiStO's; fetched: loss, lr, grad_norm, ...
      return Jobs.globalLoss(out, replicas);
    }
  }

  @Override
  public List<io.github.tftrain.optimizers.LossAwareOptimizer> optimizers() {
    return List.of(task.optimizer());
  }

  @Override
  public EvaluationSwap evaluationSwap() {
    return evaluationSwap;
  }

  @Override
  public double[] evaluate(Session session) {
    double loss = 0;
    double top1 = 0;
    double top5 = 0;
    long n = 0;
    try (ImageBatches.Epoch all = testBatches.epoch(0)) {
      while (all.hasNext()) {
        ImageBatches.Batch batch = all.next();
        try (TFloat32 x = batch.imagesTensor();
            TInt32 y = batch.labelsTensor()) {
          ImageClassifierTask.Evaluation e = task.evaluate(session, x, y);
          loss += e.loss() * batch.size();
          top1 += e.top1Error() * batch.size();
          top5 += e.top5Error() * batch.size();
          n += batch.size();
        }
      }
    }
    return new double[] {loss / n, top1 / n, top5 / n};
  }

  @Override
  public String describeEvaluation(double[] values) {
    return String.format(Locale.ROOT, "test error %.2f%% (top-5 %.2f%%), test loss %.4f", 100 * values[1],
        100 * values[2], values[0]);
  }

  @Override
  public void exportSavedModel(String checkpointPrefix, Path out) throws IOException {
    try (Graph export = new Graph()) {
      Ops tf = Ops.create(export);
      int[] raw = rawShape();
      Placeholder<TUint8> pixels = tf.withName("pixels").placeholder(TUint8.class,
          Placeholder.shape(Shape.of(-1, raw[0], raw[1], raw[2])));
      ImageClassifierTask exported =
          build(export, Exports.portable(optimizer), preprocess(tf.withSubScope("preprocess"), pixels, raw),
              config.syncBatchNorm() ? io.github.tftrain.models.CrossReplicaMean.single() : null, config.seed());
      EvaluationSwap swap = EvaluationSwap.of(export, List.of(exported.optimizer()));
      Operand<TFloat32> probabilities = tf.withName("probabilities").nn.softmax(exported.logits());
      Operand<TFloat32> features = Exports.features(exported.logits());
      try (Session session = new Session(export)) {
        session.restore(checkpointPrefix);
        EvaluationWeights.load(session, swap);
        SavedModels.write(session, out,
            SavedModels.signature("serving_default",
                Map.of("pixels", pixels),
                Map.of("logits", exported.logits(), "probabilities", probabilities, "features", features)),
            SavedModels.signature("serving_normalized",
                Map.of("images", exported.images()),
                Map.of("logits", exported.logits(), "probabilities", probabilities, "features", features)),
            SavedModels.signature("train",
                Map.of("images", exported.images(), "labels", exported.labels(),
                    "training", exported.network().training(), "step", exported.network().step()),
                Map.of("loss", Exports.after(tf, "train_loss", exported.trainTargets(), exported.meanLoss()))));
      }
    }
  }

  @Override
  public Map<String, List<String>> assets() {
    return Map.of("classes.txt", train.classNames());
  }

  @Override
  public Map<String, Object> describeData() {
    Map<String, Object> d = new java.util.LinkedHashMap<>();
    d.put("train_images", train.count());
    d.put("test_images", test.count());
    d.put("shape", List.of(train.height(), train.width(), train.channels()));
    d.put("classes", train.classes());
    d.put("class_names", train.classNames());
    List<Double> mean = new ArrayList<>();
    List<Double> std = new ArrayList<>();
    for (int c = 0; c < stats.channels(); c++) {
      mean.add(stats.mean(c));
      std.add(stats.std(c));
    }
    d.put("normalization_mean", mean);
    d.put("normalization_std", std);
    d.put("train_crc32", train.crc32());
    d.put("test_crc32", test.crc32());
    return d;
  }

  /** The task the steps run (for {@link TrainerSteps}). */
  ImageClassifierTask task() {
    return task;
  }

  /** The training batches (for {@link TrainerSteps}: pipeline timings, a fixed batch). */
  ImageBatches batches() {
    return batches;
  }

  /** The run's optimizer with its schedule (for {@link TrainerSteps}). */
  RunOptimizer optimizer() {
    return optimizer;
  }

  /** The normalisation the model was trained with (the SavedModel takes normalised images). */
  ChannelStats stats() {
    return stats;
  }

  @Override
  public void close() {
    if (epoch != null) {
      epoch.close();
    }
    graph.close();
  }
}
