package io.github.tftrain.cli.bench;

import io.github.tftrain.cli.ExitCodes;

import io.github.tftrain.cli.BadInputException;
import io.github.tftrain.cli.OptimizerSettings;

import io.github.tftrain.cli.Xla;
import io.github.tftrain.cli.models.GanTask;
import io.github.tftrain.cli.models.ImageClassifierTask;
import io.github.tftrain.cli.models.LanguageModelTask;
import io.github.tftrain.cli.models.ModelSpec;
import io.github.tftrain.cli.models.OptimizerFactory;
import io.github.tftrain.cli.models.SessionConfigs;
import io.github.tftrain.models.Init;
import io.github.tftrain.data.ChannelStats;
import io.github.tftrain.data.ImageBatches;
import io.github.tftrain.data.ImageDataset;
import io.github.tftrain.data.ImageFolder;
import io.github.tftrain.data.TextCorpus;
import io.github.tftrain.data.TokenBatches;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.function.LongConsumer;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tftrain bench models}: the time of one training step (forward, backward and optimizer update, batch-norm
 * updates included) per model, and the throughput it gives. By default the inputs are fixed random tensors built
 * once, so only the model is timed; with {@code --data} the batches come from a real dataset through the
 * prefetching pipeline, and the report says how long building a batch took and how long the step waited for one. A
 * GAN step is one critic and one generator update; its images/s counts the batch once per such pair.
 */
@Command(
    name = "models",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Times forward + backward + update of each model: ms/step and images/s (tokens/s for language models).")
public final class ModelBenchmark implements Callable<Integer> {

  @Option(
      names = "--models",
      split = ",",
      paramLabel = "NAME[,NAME...]",
      defaultValue = "wrn-16-4,resnet18,dcgan,lstm-tiny,transformer-tiny",
      description = "Models (default: ${DEFAULT-VALUE}); any of tftrain's models, e.g. wrn-28-10, lstm-large")
  List<String> models;

  @Option(
      names = "--batch-size",
      description = "Images per step (default 64), or rows per BPTT window for language models (default 20)")
  Integer batchSize;

  @Option(names = "--bptt", defaultValue = "35", description = "Language-model window length (default: ${DEFAULT-VALUE})")
  int bptt;

  @Option(
      names = "--vocabulary",
      defaultValue = "10000",
      description = "Language-model vocabulary size (default: ${DEFAULT-VALUE}, PTB's)")
  int vocabulary;

  @Option(
      names = "--data",
      paramLabel = "DIR",
      description = "Train on this dataset's batches instead of fixed random tensors: images (CIFAR-10/100 binary, "
          + "IDX) through the shuffling, augmenting, prefetching batch pipeline, or a PTB/WikiText corpus. Also "
          + "reports the pipeline's time per batch and how long each step waited for input.")
  Path data;

  @Option(names = "--optimizer", defaultValue = "adam", completionCandidates = OptimizerSettings.Names.class,
      description = "Optimizer: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
  String optimizer;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description = "Optimizer hyperparameter (repeatable), as in trace and train")
  Map<String, String> settings = new LinkedHashMap<>();

  @Option(names = "--warmup", defaultValue = "3", description = "Untimed steps first (default: ${DEFAULT-VALUE})")
  int warmup;

  @Option(names = "--steps", defaultValue = "10", description = "Timed steps (default: ${DEFAULT-VALUE})")
  int steps;

  @Option(names = "--threads", defaultValue = "0", description = "TensorFlow threads; 0 = one per core (default)")
  int threads;

  @Option(
      names = "--precision",
      defaultValue = "float32",
      description = "float32 (default) or mixed-bfloat16 (oneDNN auto mixed precision; fast on AVX512_BF16/AMX CPUs)")
  String precision;

  @Option(names = "--xla", description = "XLA auto-clustering (sets TF_XLA_FLAGS for a child JVM if needed)")
  boolean xla;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    List<ModelSpec> selected = new ArrayList<>();
    for (String name : models) {
      selected.add(ModelSpec.parse(name));
    }
    if (batchSize != null && batchSize < 1) {
      throw new BadInputException("--batch-size must be >= 1, got " + batchSize);
    }
    if (warmup < 0 || steps < 1 || bptt < 1 || vocabulary < 2 || threads < 0) {
      throw new BadInputException(
          "need --warmup >= 0, --steps >= 1, --bptt >= 1, --vocabulary >= 2 and --threads >= 0");
    }
    if (data != null) {
      // every selected model must be able to use the data before anything is timed
      for (ModelSpec model : selected) {
        if (model instanceof ModelSpec.LanguageModel) {
          TextCorpus.detect(data);
        } else {
          ImageFolder.detect(data);
        }
      }
    }
    OptimizerFactory factory = OptimizerFactory.of(optimizer, OptimizerSettings.rejoined(settings));
    SessionConfigs.Precision arithmetic = SessionConfigs.Precision.parse(precision);
    if (xla) {
      Optional<Integer> child = Xla.relaunchIfNeeded();
      if (child.isPresent()) {
        return child.get();
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    out.printf(Locale.ROOT, "training step (forward + backward + %s update), %s, %d warmup + %d timed steps, "
        + "XLA %s, %s threads, %d cores%n", optimizer, arithmetic.cliName(), warmup, steps,
        Xla.enabled() ? "on" : "off",
        threads == 0 ? "default" : Integer.toString(threads), Runtime.getRuntime().availableProcessors());
    out.printf(Locale.ROOT, "%-18s %12s %8s %10s %10s %14s%n", "model", "parameters", "batch", "ms/step",
        "min ms", "throughput");
    out.flush();
    List<String> inputs = new ArrayList<>();
    for (ModelSpec model : selected) {
      Result r = time(model, factory, arithmetic);
      out.printf(Locale.ROOT, "%-18s %,12d %8s %10.1f %10.1f %,9.0f %s%n", model.name(), r.parameters(),
          r.batch(), r.medianMs(), r.minMs(), r.perSecond(), r.unit());
      if (r.input() != null) {
        inputs.add(model.name() + ": " + r.input());
      }
      out.flush();
    }
    inputs.forEach(out::println);
    out.println(data == null
        ? "inputs: fixed random tensors built once (no input pipeline in the time)"
        : "inputs: read from " + data + " during the timed steps");
    out.flush();
    return ExitCodes.OK;
  }

  private record Result(
      long parameters, String batch, double medianMs, double minMs, double perSecond, String unit, String input) {}

  private Result time(ModelSpec model, OptimizerFactory factory, SessionConfigs.Precision arithmetic)
      throws IOException {
    try (Graph graph = new Graph();
        Session session = new Session(graph, SessionConfigs.of(threads, !(model instanceof ModelSpec.Gan), arithmetic))) {
      if (model instanceof ModelSpec.LanguageModel lm) {
        return timeLanguageModel(graph, session, lm, factory);
      }
      int batch = batchSize != null ? batchSize : 64;
      ImageSource images = data == null ? new RandomImages(batch) : new DatasetImages(data, batch, model);
      try (images) {
        if (model instanceof ModelSpec.ImageClassifier classifier) {
          ImageClassifierTask task =
              ImageClassifierTask.build(graph, classifier, 32, 32, 3, images.classes(), Init.KAIMING_UNIFORM, 1, 0,
                  factory);
          session.initialize();
          double[] ms =
              measure(images, step -> {
                try (ImageBatch b = images.next()) {
                  task.trainStep(session, b.images(), b.labels(), step);
                }
              });
          return result(task.network().parameterCount(), Integer.toString(batch), ms, batch, "images/s",
              images.report(steps));
        }
        GanTask task = GanTask.build(graph, (ModelSpec.Gan) model, batch, 32, Init.XAVIER_NORMAL, 1, 10, factory);
        session.initialize();
        double[] ms =
            measure(images, step -> {
              try (ImageBatch b = images.next()) {
                task.iterate(session, List.of(b.images()), step); // n_critic = 1
              }
            });
        long parameters = task.generator().parameterCount() + task.critic().parameterCount();
        return result(parameters, Integer.toString(batch), ms, batch, "images/s", images.report(steps));
      }
    }
  }

  private Result timeLanguageModel(Graph graph, Session session, ModelSpec.LanguageModel lm, OptimizerFactory factory)
      throws IOException {
    int batch = batchSize != null ? batchSize : 20;
    SplittableRandom random = new SplittableRandom(1);
    TokenBatches windows = null;
    int words = vocabulary;
    if (data != null) {
      TextCorpus corpus = TextCorpus.read(data);
      windows = new TokenBatches(corpus.split("train"), batch, bptt);
      words = corpus.vocabulary().size();
    }
    TokenBatches source = windows;
    try (LanguageModelTask task =
            LanguageModelTask.build(graph, lm, words, batch, bptt, Init.XAVIER_UNIFORM, 1, lm.dropout(), factory);
        TInt32 randomInputs = randomIds(random, Shape.of(batch, bptt), words);
        TInt32 randomTargets = randomIds(random, Shape.of(batch, bptt), words)) {
      session.initialize();
      double[] ms =
          measure(null, step -> {
            if (source == null) {
              task.trainStep(session, randomInputs, randomTargets, step);
              return;
            }
            int window = (int) (step % source.windows());
            if (window == 0) {
              task.resetState();
            }
            try (TInt32 in = source.tensor(source.inputs(window));
                TInt32 out = source.tensor(source.targets(window))) {
              task.trainStep(session, in, out, step);
            }
          });
      String input =
          source == null
              ? null
              : "BPTT windows of " + data + (lm.transformer() ? "" : " (LSTM state carried from window to window)");
      return result(task.network().parameterCount(), batch + "x" + bptt, ms, (long) batch * bptt, "tokens/s", input);
    }
  }

  /** One batch of images and labels as tensors; closing releases them if this batch owns them. */
  private record ImageBatch(TFloat32 images, TInt32 labels, boolean owned) implements AutoCloseable {
    @Override
    public void close() {
      if (owned) {
        images.close();
        labels.close();
      }
    }
  }

  /** Where the image batches come from. */
  private interface ImageSource extends AutoCloseable {
    ImageBatch next();

    int classes();

    /** Marks the start of the timed steps. */
    default void startTiming() {}

    /** A line on the input pipeline over the timed steps, or null. */
    default String report(int timedSteps) {
      return null;
    }

    @Override
    default void close() {}
  }

  /** The same N(0, 1) images and random labels every step, kept as tensors (nothing to produce). */
  private static final class RandomImages implements ImageSource {
    private final TFloat32 images;
    private final TInt32 labels;

    RandomImages(int batch) {
      SplittableRandom random = new SplittableRandom(1);
      images = randomImages(random, batch);
      labels = randomIds(random, Shape.of(batch), 10);
    }

    @Override
    public ImageBatch next() {
      return new ImageBatch(images, labels, false);
    }

    @Override
    public int classes() {
      return 10;
    }

    @Override
    public void close() {
      images.close();
      labels.close();
    }
  }
  /**
   * Batches of a dataset's training split through {@link ImageBatches}: shuffled, augmented (classifiers) and
   * built ahead by the pipeline's background thread, epoch after epoch.
   */
  private static final class DatasetImages implements ImageSource {
    private final ImageBatches batches;
    private final Path dir;
    private final boolean augmented;
    private ImageBatches.Epoch epoch;
    private int epochIndex;
    private double producerAtStart;
    private double waitAtStart;
    private long producedAtStart;
    private long produced;

    DatasetImages(Path dir, int batch, ModelSpec model) throws IOException {
      ImageDataset train = ImageFolder.read(dir, "train");
      if (train.height() != 32 || train.width() != 32) {
        throw new BadInputException(dir + ": the models take 32x32 images, these are " + train.height() + "x"
            + train.width());
      }
      if (train.count() < batch) {
        throw new BadInputException(dir + ": " + train.count() + " training images, fewer than one batch of " + batch);
      }
      boolean gan = model instanceof ModelSpec.Gan;
      ImageDataset images = gan && train.channels() == 1 ? train.toRgb() : train;
      this.dir = dir;
      this.augmented = !gan;
      this.batches =
          ImageBatches.of(images)
              .batchSize(batch)
              .shuffle(true)
              .augment(!gan)
              .dropLast(true)
              .seed(1)
              .stats(gan ? ChannelStats.minusOneToOne(images.channels()) : ChannelStats.of(images))
              .build();
    }

    @Override
    public ImageBatch next() {
      if (epoch == null || !epoch.hasNext()) {
        if (epoch != null) {
          epoch.close();
        }
        epoch = batches.epoch(epochIndex++);
      }
      ImageBatches.Batch b = epoch.next();
      produced++;
      return new ImageBatch(b.imagesTensor(), b.labelsTensor(), true);
    }

    @Override
    public int classes() {
      return batches.dataset().classes();
    }

    @Override
    public void startTiming() {
      producerAtStart = batches.producerSeconds();
      waitAtStart = batches.waitSeconds();
      producedAtStart = produced;
    }

    @Override
    public String report(int timedSteps) {
      double producerMs = 1000 * (batches.producerSeconds() - producerAtStart) / Math.max(1, produced - producedAtStart);
      double waitMs = 1000 * (batches.waitSeconds() - waitAtStart) / timedSteps;
      return String.format(Locale.ROOT,
          "batches of %s (%s, prefetch 2): building one took %.1f ms on the pipeline thread; "
              + "each step waited %.2f ms for it",
          dir, augmented ? "shuffled, random crop + flip" : "shuffled", producerMs, waitMs);
    }

    @Override
    public void close() {
      if (epoch != null) {
        epoch.close();
      }
    }
  }

  private double[] measure(ImageSource source, LongConsumer step) {
    for (int i = 0; i < warmup; i++) {
      step.accept(i);
    }
    if (source != null) {
      source.startTiming();
    }
    double[] ms = new double[steps];
    for (int i = 0; i < steps; i++) {
      long start = System.nanoTime();
      step.accept(warmup + i);
      ms[i] = (System.nanoTime() - start) / 1e6;
    }
    Arrays.sort(ms);
    return ms;
  }

  private static Result result(
      long parameters, String batch, double[] sortedMs, long items, String unit, String input) {
    double median = sortedMs[sortedMs.length / 2];
    return new Result(parameters, batch, median, sortedMs[0], items * 1000.0 / median, unit, input);
  }

  /** N(0, 1) pixels, like normalised images. */
  private static TFloat32 randomImages(SplittableRandom random, int batch) {
    float[] v = new float[batch * 32 * 32 * 3];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) gaussian(random);
    }
    return TFloat32.tensorOf(Shape.of(batch, 32, 32, 3), DataBuffers.of(v, true, false));
  }

  private static double gaussian(SplittableRandom random) {
    double u = 1 - random.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
  }

  private static TInt32 randomIds(SplittableRandom random, Shape shape, int bound) {
    int[] v = new int[(int) shape.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = random.nextInt(bound);
    }
    return TInt32.tensorOf(shape, DataBuffers.of(v, true, false));
  }
}
