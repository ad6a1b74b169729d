package io.github.tftrain.cli.jobs;

import io.github.tftrain.cli.settings.TrainConfig;

import io.github.tftrain.trainer.SavedModels;

import io.github.tftrain.trainer.RunDirectory;
import io.github.tftrain.trainer.EventWriter;
import io.github.tftrain.trainer.Plots;
import io.github.tftrain.trainer.EvaluationWeights;
import io.github.tftrain.trainer.TrainingJob;

import io.github.tftrain.distributed.Replicas;
import io.github.tftrain.cli.models.GanTask;
import io.github.tftrain.cli.models.ModelSpec;
import io.github.tftrain.data.ChannelStats;
import io.github.tftrain.data.ImageBatches;
import io.github.tftrain.data.ImageDataset;
import io.github.tftrain.models.Init;
import io.github.tftrain.optimizers.EvaluationSwap;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;

/**
 * The WGAN-GP DCGAN: a trainer step is one iteration of Gulrajani et al.'s Algorithm 1 (n_critic critic updates, each
 * on its own real batch, then one generator update), each network with its own optimizer on its own variables. Real
 * images are scaled to [-1, 1] like the generator's tanh output. An epoch is one pass over the real images, i.e.
 * batches / n_critic iterations. After each epoch a sample grid of fixed noise goes to plots/ and TensorBoard.
 */
public final class GanJob implements TrainingJob {
  /** Noise key of the per-epoch sample grid: fixed, and far from any training step's key. */
  static final long SAMPLE_KEY = Long.MAX_VALUE / 2;
  private final TrainConfig config;
  private final ModelSpec.Gan spec;
  private final ImageDataset train;
  private final ImageBatches batches;
  private final RunOptimizer optimizer;
  private final Graph graph;
  private final GanTask task;
  private final EvaluationSwap evaluationSwap;
  private final Operand<TFloat64> criticLearningRate;
  private ImageBatches.Epoch epoch;
  private final Replicas replicas;
  /** The losses of a step on this replica, averaged over the replicas (the global batch's). */
  private final org.tensorflow.op.core.Placeholder<TFloat64> localLosses;
  private final Operand<TFloat64> globalLosses;
  /** The generator's images of the global batch, every replica's slice in its place (the sample grid's). */
  private final Operand<TFloat32> globalSamples;

  GanJob(TrainConfig config, ModelSpec.Gan spec, ImageDataset train) {
    this(config, spec, train, Replicas.single());
  }

  GanJob(TrainConfig config, ModelSpec.Gan spec, ImageDataset train, Replicas replicas) {
    this.config = config;
    this.spec = spec;
    this.train = train;
    this.replicas = replicas;
    if (train.height() != 32 || train.width() != 32 || train.channels() != 3) {
      throw new IllegalArgumentException("--model " + spec.name() + " makes 32x32 RGB images; " + train.source()
          + " has " + train.height() + "x" + train.width() + "x" + train.channels());
    }
    this.batches =
        ImageBatches.of(train).batchSize(config.batchSize()).shuffle(true).dropLast(true).seed(config.seed())
            .stats(ChannelStats.minusOneToOne(3)).shard(replicas.rank(), replicas.size()).build();
    if (batches.batchesPerEpoch() < config.nCritic()) {
      throw new IllegalArgumentException("--n-critic " + config.nCritic() + " needs that many batches of "
          + config.batchSize() + " per epoch; " + train.source() + " has " + batches.batchesPerEpoch());
    }
    this.optimizer = Jobs.optimizer(config, stepsPerEpoch()).withReplicas(replicas);
    this.graph = new Graph();
    try {
      this.task = build(graph, optimizer, replicas);
      Ops tf = Ops.create(graph).withSubScope("replica_losses");
      this.localLosses = tf.placeholder(TFloat64.class,
          org.tensorflow.op.core.Placeholder.shape(org.tensorflow.ndarray.Shape.of(4)));
      this.globalLosses = replicas.allReduceMean(tf, localLosses);
      this.globalSamples = globalSamples(Ops.create(graph).withSubScope("samples"), task.fake(), replicas);
      RunOptimizer.requireGroupsMatched(List.of(task.criticOptimizer(), task.generatorOptimizer()));
      // the generator's evaluation weights make the samples and the export; the critic's swap along (it is exported
      // too, for the train_critic signature)
      this.evaluationSwap =
          EvaluationSwap.of(graph, List.of(task.criticOptimizer(), task.generatorOptimizer()));
      // the lr of the step about to run: read before the iteration (the global step moves with each update)
      this.criticLearningRate = Ops.create(graph).withName("critic_lr").identity(task.criticOptimizer().learningRate());
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
  }

  /**
   * The GAN in {@code g} for {@code replicas} (each its slice of the global batch; an export is one process's, with
   * the global batch).
   */
  private GanTask build(Graph g, io.github.tftrain.cli.models.OptimizerFactory factory, Replicas replicas) {
    return GanTask.build(g, spec, config.batchSize() / replicas.size(), 32, Init.parse(config.init()), config.seed(),
        config.lambda(), factory, replicas.rank(), replicas.size(),
        config.syncBatchNorm() ? ClassifierJob.crossReplicaMean(replicas) : null);
  }

  /**
   * The global batch of generated images on every replica: each replica's slice padded with zeros to the global
   * batch at its offset, summed over the replicas (adding zeros is exact). With --sync-batch-norm the grid is one
   * process's; with per-worker batch norm each slice is drawn with its own worker's moving statistics.
   */
  private static Operand<TFloat32> globalSamples(Ops tf, Operand<TFloat32> fake, Replicas replicas) {
    if (!replicas.isDistributed()) {
      return fake;
    }
    int rows = (int) fake.shape().get(0);
    int before = replicas.rank() * rows;
    int after = (replicas.size() - 1 - replicas.rank()) * rows;
    Operand<TFloat32> placed = tf.pad(fake, tf.constant(new int[][] {{before, after}, {0, 0}, {0, 0}, {0, 0}}),
        tf.constant(0f));
    return replicas.allReduceSum(tf, placed);
  }

  @Override
  public Graph graph() {
    return graph;
  }

  @Override
  public Map<String, Object> describeData() {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("train_images", train.count());
    d.put("shape", List.of(train.height(), train.width(), train.channels()));
    d.put("scaling", "pixels / 127.5 - 1");
    d.put("train_crc32", train.crc32());
    return d;
  }

  @Override
  public List<Column> trainColumns() {
    return List.of(new Column("critic_loss", true), new Column("wasserstein", true),
        new Column("gradient_penalty", true), new Column("generator_loss", true), new Column("lr", false));
  }

  @Override
  public List<String> evalColumns() {
    return List.of();
  }

  @Override
  public String bestMetric() {
    return null;
  }

  @Override
  public long stepsPerEpoch() {
    return batches.batchesPerEpoch() / config.nCritic();
  }

  @Override
  public long itemsPerStep() {
    return (long) config.batchSize() * config.nCritic();
  }

  @Override
  public String throughputUnit() {
    return "images/s";
  }

  @Override
  public void seek(int epochIndex, long iteration) {
    if (epoch != null) {
      epoch.close();
    }
    epoch = batches.epoch(epochIndex, (int) (iteration * config.nCritic()));
  }

  @Override
  public double[] step(Session session, long step) {
    double lr;
    try (Result r = session.runner().fetch(criticLearningRate).run()) {
      lr = ((TFloat64) r.get(0)).getDouble();
    }
    List<TFloat32> real = new ArrayList<>();
    try {
      for (int j = 0; j < config.nCritic(); j++) {
        real.add(epoch.next().imagesTensor());
      }
      GanTask.Iteration it = task.iterate(session, real, step);
      double loss = 0;
      double wasserstein = 0;
      double penalty = 0;
      for (GanTask.CriticStep c : it.criticSteps()) {
        loss += c.loss();
        wasserstein += c.wasserstein();
        penalty += c.gradientPenalty();
      }
      int n = it.criticSteps().size();
      double[] losses = {loss / n, wasserstein / n, penalty / n, it.generatorLoss()};
      if (replicas.isDistributed()) {
        try (TFloat64 own = TFloat64.vectorOf(losses);
            Result r = session.runner().feed(localLosses, own).fetch(globalLosses).run()) {
          TFloat64 global = (TFloat64) r.get(0);
          for (int i = 0; i < losses.length; i++) {
            losses[i] = global.getDouble(i); // every replica's batch is as large: the global batch's means
          }
        }
      }
      return new double[] {losses[0], losses[1], losses[2], losses[3], lr};
    } finally {
      real.forEach(TFloat32::close);
    }
  }

  @Override
  public List<io.github.tftrain.optimizers.LossAwareOptimizer> optimizers() {
    return List.of(task.criticOptimizer(), task.generatorOptimizer());
  }

  @Override
  public EvaluationSwap evaluationSwap() {
    return evaluationSwap;
  }

  @Override
  public double[] evaluate(Session session) {
    return new double[0];
  }

  @Override
  public void afterEpoch(Session session, int epochIndex, long step, RunDirectory run, EventWriter events)
      throws IOException {
    float[] samples = task.samples(session, SAMPLE_KEY, globalSamples);
    int n = Math.min(64, config.batchSize());
    Plots.grid(samples, n, 32, 32, 3, run.plots().resolve(String.format(Locale.ROOT, "samples-epoch-%03d.png",
        epochIndex + 1)));
    if (events != null) {
      events.images("samples", step, samples, Math.min(16, n), 32, 32, 3);
    }
  }

  /**
   * {@code n} generated images in [-1, 1] (NHWC), from as many batches as needed; {@code seed} picks the noise
   * (keys distinct from training and from the per-epoch grid).
   */
  public float[] generate(Session session, int n, long seed) {
    int size = 32 * 32 * 3;
    float[] out = new float[n * size];
    int batch = config.batchSize() / replicas.size();
    for (int b = 0; b * batch < n; b++) {
      float[] images = task.samples(session, SAMPLE_KEY + 1 + seed * 1_000_003L + b);
      int m = Math.min(batch, n - b * batch);
      System.arraycopy(images, 0, out, b * batch * size, m * size);
    }
    return out;
  }

  @Override
  public String describeEvaluation(double[] values) {
    return "sample grid in plots/";
  }

  @Override
  public void exportSavedModel(String checkpointPrefix, Path out) throws IOException {
    try (Graph export = new Graph()) {
      GanTask exported = build(export, Exports.portable(optimizer), Replicas.single());
      EvaluationSwap swap =
          EvaluationSwap.of(export, List.of(exported.criticOptimizer(), exported.generatorOptimizer()));
      Ops tf = Ops.create(export);
      try (Session session = new Session(export)) {
        session.restore(checkpointPrefix);
        EvaluationWeights.load(session, swap);
        SavedModels.write(session, out,
            SavedModels.signature("serving_default", Map.of("z", exported.z()), Map.of("images", exported.fake())),
            SavedModels.signature("train_critic",
                Map.of("real", exported.real(), "training", exported.generator().training(),
                    "step", exported.generator().step()),
                Map.of("loss", Exports.after(tf, "critic_train_loss", List.of(exported.criticOptimizer().trainOp()),
                    tf.math.mean(exported.losses().critic(), tf.constant(0))))),
            SavedModels.signature("train",
                Map.of("training", exported.generator().training(), "step", exported.generator().step()),
                Map.of("loss", Exports.after(tf, "generator_train_loss",
                    List.of(exported.generatorOptimizer().trainOp()),
                    tf.math.mean(exported.losses().generator(), tf.constant(0))))));
      }
    }
  }

  @Override
  public void close() {
    if (epoch != null) {
      epoch.close();
    }
    graph.close();
  }
}
