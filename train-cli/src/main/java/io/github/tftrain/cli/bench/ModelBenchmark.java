package io.github.tftrain.cli.bench;

import io.github.tftrain.cli.BadInputException;
import io.github.tftrain.cli.Tftrain;
import io.github.tftrain.cli.Xla;
import io.github.tftrain.cli.models.GanTask;
import io.github.tftrain.cli.models.ImageClassifierTask;
import io.github.tftrain.cli.models.LanguageModelTask;
import io.github.tftrain.cli.models.ModelSpec;
import io.github.tftrain.cli.models.OptimizerFactory;
import io.github.tftrain.cli.models.SessionConfigs;
import io.github.tftrain.models.Init;
import java.io.PrintWriter;
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
 * updates included) per model, and the throughput it gives. Inputs are fixed random tensors built once, so the
 * input pipeline is not timed (the trainer's benchmark includes it). A GAN step is one critic and one generator
 * update; its images/s counts the batch once per such pair.
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

  @Option(names = "--optimizer", defaultValue = "adam", description = "Optimizer (default: ${DEFAULT-VALUE})")
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
    OptimizerFactory factory = OptimizerFactory.of(optimizer, settings);
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
    for (ModelSpec model : selected) {
      Result r = time(model, factory, arithmetic);
      out.printf(Locale.ROOT, "%-18s %,12d %8s %10.1f %10.1f %,9.0f %s%n", model.name(), r.parameters(),
          r.batch(), r.medianMs(), r.minMs(), r.perSecond(), r.unit());
      out.flush();
    }
    return Tftrain.OK;
  }

  private record Result(long parameters, String batch, double medianMs, double minMs, double perSecond, String unit) {}

  private Result time(ModelSpec model, OptimizerFactory factory, SessionConfigs.Precision arithmetic) {
    try (Graph graph = new Graph();
        Session session = new Session(graph, SessionConfigs.of(threads, !(model instanceof ModelSpec.Gan), arithmetic))) {
      SplittableRandom random = new SplittableRandom(1);
      if (model instanceof ModelSpec.ImageClassifier classifier) {
        int batch = batchSize != null ? batchSize : 64;
        ImageClassifierTask task =
            ImageClassifierTask.build(graph, classifier, 32, 32, 3, 10, Init.KAIMING_UNIFORM, 1, 0, factory);
        session.initialize();
        try (TFloat32 images = randomImages(random, batch);
            TInt32 labels = randomIds(random, Shape.of(batch), 10)) {
          double[] ms = measure(step -> task.trainStep(session, images, labels, step));
          return result(task.network().parameterCount(), Integer.toString(batch), ms, batch, "images/s");
        }
      }
      if (model instanceof ModelSpec.Gan gan) {
        int batch = batchSize != null ? batchSize : 64;
        GanTask task = GanTask.build(graph, gan, batch, 32, Init.XAVIER_NORMAL, 1, 10, factory);
        session.initialize();
        try (TFloat32 real = randomImages(random, batch)) {
          double[] ms =
              measure(step -> {
                task.criticStep(session, real, step);
                task.generatorStep(session, step);
              });
          long parameters = task.generator().parameterCount() + task.critic().parameterCount();
          return result(parameters, Integer.toString(batch), ms, batch, "images/s");
        }
      }
      ModelSpec.LanguageModel lm = (ModelSpec.LanguageModel) model;
      int batch = batchSize != null ? batchSize : 20;
      try (LanguageModelTask task =
              LanguageModelTask.build(graph, lm, vocabulary, batch, bptt, Init.XAVIER_UNIFORM, 1, lm.dropout(),
                  factory);
          TInt32 inputs = randomIds(random, Shape.of(batch, bptt), vocabulary);
          TInt32 targets = randomIds(random, Shape.of(batch, bptt), vocabulary)) {
        session.initialize();
        double[] ms = measure(step -> task.trainStep(session, inputs, targets, step));
        return result(task.network().parameterCount(), batch + "x" + bptt, ms, (long) batch * bptt, "tokens/s");
      }
    }
  }

  private double[] measure(LongConsumer step) {
    for (int i = 0; i < warmup; i++) {
      step.accept(i);
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

  private static Result result(long parameters, String batch, double[] sortedMs, long items, String unit) {
    double median = sortedMs[sortedMs.length / 2];
    return new Result(parameters, batch, median, sortedMs[0], items * 1000.0 / median, unit);
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
