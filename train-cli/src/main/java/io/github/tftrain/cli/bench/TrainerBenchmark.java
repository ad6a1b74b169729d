package io.github.tftrain.cli.bench;

import io.github.tftrain.cli.ExitCodes;

import io.github.tftrain.trainer.AtomicFiles;


import io.github.tftrain.cli.BadInputException;
import io.github.tftrain.cli.OptimizerSettings;

import io.github.tftrain.cli.models.ImageClassifierTask;
import io.github.tftrain.cli.models.ModelSpec;
import io.github.tftrain.cli.models.OptimizerFactory;
import io.github.tftrain.cli.models.SessionConfigs;
import io.github.tftrain.cli.jobs.TrainerSteps;
import io.github.tftrain.data.ImageBatches;
import io.github.tftrain.data.ImageFolder;
import io.github.tftrain.models.Network;
import io.github.tftrain.optimizers.Apollo;
import io.github.tftrain.optimizers.Kafisto;
import io.github.tftrain.optimizers.LossAwareOptimizer;
import io.github.tftrain.optimizers.Optimizers;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.zip.CRC32;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.framework.optimizers.Optimizer.GradAndVar;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.ByteDataBuffer;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.random.RandomStandardNormal;
import org.tensorflow.op.random.RandomUniform;
import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TType;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tftrain bench trainer}: what the optimizer update costs inside a real training step, and the images/s of
 * the trainer's own step. For each optimizer it builds the classifier exactly as {@code tftrain train} does
 * ({@link TrainerSteps}: same settings resolution, {@code checkFinite}, schedule, pipeline) and, on one session, times
 *
 * <ol>
 *   <li><b>full</b>: {@link ImageClassifierTask#trainStep} on a fixed batch: forward, backward, optimizer update
 *       (with its finite check) and batch-norm updates;
 *   <li><b>gradients only</b>: the same forward and backward on the same batch, through a second gradient subgraph
 *       of the same loss ({@code computeGradients}) run as targets, so nothing is written (checked: every variable's
 *       bytes are unchanged after such a run);
 *   <li><b>trainer</b>: the trainer's step, batches from the shuffling, augmenting, prefetching pipeline, tensor
 *       creation and the diagnostics the trainer logs, giving images/s.
 * </ol>
 *
 * Full and gradients-only runs alternate (full first in even pairs, second in odd ones), so drift on a shared
 * machine hits both alike; the update's share of the step is (median full - median gradients only) / median full,
 * and the median of the pairwise differences is reported next to it. That difference of two noisy medians cannot
 * resolve a few percent on a busy machine, so the update is also measured two other ways: <b>traced</b>, full steps
 * run with TensorFlow's step statistics, whose <em>tail</em> is the wall time from the end of the last gradient op
 * to the end of the step (all the optimizer's writes, the finite check's remainder, batch-norm updates: what the
 * step spends after backprop, measured inside one run and so immune to drift between runs), next to the optimizer's
 * update-scope ops' share of all op time; and <b>directly</b>: the same optimizer on variables of the model's exact shapes with precomputed gradients
 * (what {@code bench optimizers} does with equal-sized tensors). The graph census counts the ops under the
 * optimizer's {@code update} scope and the tensor-sized arrays they read and write per parameter, a proxy for the
 * update's passes over memory (see {@link #census}).
 */
@Command(
    name = "trainer",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Times a classifier's training step through the trainer: full step, forward + backward only (interleaved), "
          + "the optimizer update's share of the step, the update alone on the model's shapes, and images/s of "
          + "the trainer's step with its input pipeline.",
      "An optimizer may carry its own settings: kafisto:kernel=graph."
    })
public final class TrainerBenchmark implements Callable<Integer> {

  @Option(
      names = "--optimizers",
      split = ",",
      paramLabel = "NAME[:KEY=VALUE...][,...]",
      defaultValue = "kafisto,apollo,sgd,adam",
      description = "Optimizers (default: ${DEFAULT-VALUE}), each optionally with settings of its own, e.g. "
          + "kafisto,kafisto:kernel=graph")
  List<String> optimizers;

  @Option(names = "--model", defaultValue = "wrn-16-4", description = "Image classifier (default: ${DEFAULT-VALUE})")
  String model;

  @Option(names = "--batch-size", defaultValue = "64", description = "Images per step (default: ${DEFAULT-VALUE})")
  int batchSize;

  @Option(
      names = "--data",
      paramLabel = "DIR",
      defaultValue = "testdata/fashion-mnist",
      description = "Image dataset, resolved as tftrain train --data does (default: ${DEFAULT-VALUE})")
  String data;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description = "Hyperparameter for every selected optimizer that has the key (repeatable), e.g. kernel=graph "
          + "or group[rank<2].weightDecay=0")
  Map<String, String> settings = new LinkedHashMap<>();

  @Option(names = "--warmup", defaultValue = "3", description = "Untimed runs of each kind first (default: ${DEFAULT-VALUE})")
  int warmup;

  @Option(names = "--steps", defaultValue = "20", description = "Timed runs of each kind (default: ${DEFAULT-VALUE})")
  int steps;

  @Option(
      names = "--update-steps",
      defaultValue = "50",
      description = "Timed runs of the update alone (default: ${DEFAULT-VALUE})")
  int updateSteps;

  @Option(names = "--threads", defaultValue = "0", description = "TensorFlow threads; 0 = one per core (default)")
  int threads;

  @Option(names = "--csv", paramLabel = "FILE", description = "Also write the results as CSV")
  Path csv;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** The update's share of the step this benchmark checks KaFiStO and Apollo against (issue #4). */
  static final double GOAL = 0.03;

  /** One optimizer to benchmark: its registered name and its settings (the --set keys it has, then its own). */
  private record Entry(String label, String name, Map<String, String> settings) {}

  /** Median and quartiles of a sample, in ms. */
  record Spread(double median, double q1, double q3) {
    double iqr() {
      return q3 - q1;
    }

    static Spread of(double[] values) {
      double[] sorted = values.clone();
      Arrays.sort(sorted);
      return new Spread(quantile(sorted, 0.5), quantile(sorted, 0.25), quantile(sorted, 0.75));
    }

    /** Linear interpolation between order statistics (R's type 7). */
    private static double quantile(double[] sorted, double p) {
      double h = (sorted.length - 1) * p;
      int lo = (int) Math.floor(h);
      int hi = Math.min(lo + 1, sorted.length - 1);
      return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }
  }

  /** Per traced step: ms from the last gradient op's end to the step's end, and the update ops' share of op time. */
  private record Trace(double tailMs, double updateOpShare) {}

  /** The ops under the optimizer's update scope and the tensor-sized arrays they touch per parameter. */
  private record Census(int ops, double arrays) {}

  private record Row(
      Entry entry, String kernel, Spread full, Spread gradients, Spread paired, Spread tail, Spread updateOps,
      Spread direct, Spread trainer,
      Census census, double buildMs, double waitMs, double loadBefore, double loadAfter, long parameters,
      int variables) {
    double updateMs() {
      return full.median() - gradients.median();
    }

    double share() {
      return updateMs() / full.median();
    }

    double tailShare() {
      return tail.median() / full.median();
    }

    /** The paired differences' IQR as a share of the step: what the difference of medians can resolve. */
    double pairedNoise() {
      return paired.iqr() / full.median();
    }

    double directShare() {
      return direct.median() / full.median();
    }

    double imagesPerSecond(int batch) {
      return batch * 1000.0 / trainer.median();
    }
  }

  @Override
  public Integer call() throws Exception {
    List<Entry> entries = entries();
    if (batchSize < 1 || warmup < 0 || steps < 2 || updateSteps < 1 || threads < 0) {
      throw new BadInputException(
          "need --batch-size >= 1, --warmup >= 0, --steps >= 2, --update-steps >= 1 and --threads >= 0");
    }
    if (!(ModelSpec.parse(model) instanceof ModelSpec.ImageClassifier)) {
      throw new BadInputException("--model " + model + " is not an image classifier (wrn-D-K, resnet18, ...)");
    }
    Path dataDir = TrainerSteps.dataFolder(data);
    ImageFolder.detect(dataDir);

    PrintWriter out = spec.commandLine().getOut();
    out.printf(Locale.ROOT, "trainer step, %s, batch %d, %s, float32, %d warmup + %d timed runs of each kind "
        + "(full and gradients-only interleaved), update alone %d runs, %s threads, %d cores%n", model, batchSize,
        dataDir, warmup, steps, updateSteps, threads == 0 ? "default" : Integer.toString(threads),
        Runtime.getRuntime().availableProcessors());
    out.printf(Locale.ROOT, "%-24s %-6s %9s %7s %9s %7s %9s %7s %9s %7s %9s%n", "optimizer", "kernel", "full ms",
        "IQR", "grads ms", "IQR", "update ms", "share", "trainer ms", "IQR", "images/s");
    out.flush();
    List<Row> rows = new ArrayList<>();
    for (Entry entry : entries) {
      Row r = measure(entry);
      rows.add(r);
      out.printf(Locale.ROOT, "%-24s %-6s %9.1f %7.1f %9.1f %7.1f %9.1f %6.2f%% %9.1f %7.1f %9.1f%n",
          entry.label(), r.kernel(), r.full().median(), r.full().iqr(), r.gradients().median(), r.gradients().iqr(),
          r.updateMs(), 100 * r.share(), r.trainer().median(), r.trainer().iqr(), r.imagesPerSecond(batchSize));
      out.flush();
    }
    out.println();
    out.println("cross-checks: paired = full - gradients-only of adjacent runs; tail = traced full steps, last "
        + "gradient op's end to the step's end; op% = update ops' share of op time; direct = the update alone on "
        + "the model's shapes");
    out.printf(Locale.ROOT, "%-24s %8s %16s %7s %16s %6s %7s %8s %16s %7s %7s %6s %10s %9s%n", "optimizer",
        "paired", "[q1, q3]", "tail ms", "[q1, q3]", "tail%", "op%", "direct", "[q1, q3]", "direct%", "upd ops",
        "arrays", "pipeline", "load");
    for (Row r : rows) {
      out.printf(Locale.ROOT, "%-24s %8.1f %16s %7.1f %16s %5.2f%% %6.2f%% %8.2f %16s %6.2f%% %7d %6.1f %10s %9s%n",
          r.entry().label(), r.paired().median(), quartiles(r.paired(), 1), r.tail().median(), quartiles(r.tail(), 1),
          100 * r.tailShare(), 100 * r.updateOps().median(), r.direct().median(), quartiles(r.direct(), 2),
          100 * r.directShare(), r.census().ops(), r.census().arrays(),
          String.format(Locale.ROOT, "%.1f/%.2f", r.buildMs(), r.waitMs()),
          String.format(Locale.ROOT, "%.1f-%.1f", r.loadBefore(), r.loadAfter()));
    }
    out.printf(Locale.ROOT, "%s: %,d parameters in %d trainable variables%n", model, rows.get(0).parameters(),
        rows.get(0).variables());
    out.println("share = (median full - median gradients-only) / median full; tail% and direct% = their medians / "
        + "median full; "
        + "upd ops / arrays = ops in the optimizer's update scope / tensor-sized inputs and results they touch per "
        + "parameter (graph as built, before Grappler; in-place kernels' writes not counted); "
        + "pipeline = ms building a batch / ms each trainer step waited for one; load = 1-min load average before "
        + "and after");
    for (Row r : rows) {
      String name = r.entry().name();
      if (name.equals("kafisto") || name.equals("apollo")) {
        boolean resolved = r.pairedNoise() <= GOAL;
        boolean met = r.tailShare() <= GOAL && r.directShare() <= GOAL && (!resolved || r.share() <= GOAL);
        boolean missed = r.tailShare() > GOAL && r.directShare() > GOAL && (!resolved || r.share() > GOAL);
        out.printf(Locale.ROOT, "%s: update %.2f%% of the step by difference (paired IQR %.1f%% of the step: %s), "
                + "tail %.2f%% traced, %.2f%% timed alone; goal <= %.0f%%: %s%n", r.entry().label(), 100 * r.share(),
            100 * r.pairedNoise(), resolved ? "resolves the goal" : "too noisy to resolve the goal",
            100 * r.tailShare(), 100 * r.directShare(), 100 * GOAL, met ? "met" : missed ? "not met" : "unclear");
      }
    }
    out.flush();
    if (csv != null) {
      writeCsv(rows);
      out.println("wrote " + csv);
      out.flush();
    }
    return ExitCodes.OK;
  }

  /** Parses and validates --optimizers and --set before anything is built. */
  private List<Entry> entries() {
    List<Entry> entries = new ArrayList<>();
    Set<String> usedGlobal = new LinkedHashSet<>();
    for (String text : optimizers) {
      String[] parts = text.trim().split(":");
      String name = parts[0].trim().toLowerCase(Locale.ROOT);
      if (!Optimizers.names().contains(name)) {
        throw new BadInputException("unknown optimizer '" + parts[0].trim() + "' for the benchmark; valid: "
            + String.join(", ", Optimizers.names()));
      }
      List<String> keys = Optimizers.builder(name).keys();
      Map<String, String> own = new LinkedHashMap<>();
      OptimizerSettings.rejoined(settings).forEach((k, v) -> {
        if (keys.contains(OptimizerSettings.baseKey(k))) { // group[SELECTOR].KEY goes where KEY does
          own.put(k, v);
          usedGlobal.add(k);
        }
      });
      for (int i = 1; i < parts.length; i++) {
        int eq = OptimizerSettings.separator(parts[i]);
        if (eq <= 0) {
          throw new BadInputException("--optimizers " + text + ": expected NAME:KEY=VALUE, got '" + parts[i] + "'");
        }
        own.put(parts[i].substring(0, eq).trim(), parts[i].substring(eq + 1).trim());
      }
      OptimizerFactory.of(name, own); // fails here, with the key's name, for a bad key or value
      entries.add(new Entry(text.trim(), name, own));
    }
    for (String key : OptimizerSettings.rejoined(settings).keySet()) {
      if (!usedGlobal.contains(key)) {
        throw new BadInputException("--set " + key + ": none of the selected optimizers has this hyperparameter");
      }
    }
    return entries;
  }

  private Row measure(Entry entry) throws IOException {
    double loadBefore = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    try (TrainerSteps trainer =
        TrainerSteps.open(model, data, entry.name(), entry.settings(), batchSize, warmup + 2L * steps)) {
      ImageClassifierTask task = trainer.task();
      LossAwareOptimizer optimizer = task.optimizer();
      Network<TFloat32> net = task.network();
      Graph graph = trainer.graph();
      Census census = census(graph, optimizer.getOptimizerName() + "/update/", net.parameterCount());
      // A second backward pass of the same loss, outside the train op: running it writes nothing.
      List<GradAndVar<?>> gradients = optimizer.computeGradients(task.losses(), net.trainableVariables());
      List<Op> gradientTargets = new ArrayList<>();
      for (GradAndVar<?> g : gradients) {
        gradientTargets.add(g.getGradient());
      }
      List<Output<?>> variables = variables(graph);
      String kernel = optimizer instanceof Kafisto k ? k.kernel().name().toLowerCase(Locale.ROOT)
          : optimizer instanceof Apollo a ? a.kernel().name().toLowerCase(Locale.ROOT) : "-";

      double[] full = new double[steps];
      double[] gradientsOnly = new double[steps];
      double[] paired = new double[steps];
      double[] tail = new double[steps];
      double[] updateOps = new double[steps];
      double[] trainerMs = new double[steps];
      double buildMs;
      double waitMs;
      try (Session session = trainer.openSession(threads)) {
        trainer.start(session);
        try (FixedBatch fixed = FixedBatch.of(trainer.batches())) {
          long step = 0;
          for (int i = 0; i < warmup; i++) {
            task.trainStep(session, fixed.images(), fixed.labels(), step++);
            gradientsOnly(session, task, gradientTargets, fixed, step);
          }
          long before = checksum(session, variables);
          gradientsOnly(session, task, gradientTargets, fixed, step);
          if (checksum(session, variables) != before) {
            throw new IllegalStateException("the gradients-only run changed a variable; the benchmark is broken");
          }
          for (int i = 0; i < steps; i++) {
            boolean fullFirst = i % 2 == 0;
            if (fullFirst) {
              full[i] = timeFull(session, task, fixed, step++);
            }
            gradientsOnly[i] = timeGradients(session, task, gradientTargets, fixed, step);
            if (!fullFirst) {
              full[i] = timeFull(session, task, fixed, step++);
            }
            paired[i] = full[i] - gradientsOnly[i];
          }
          String scope = optimizer.getOptimizerName();
          for (int i = 0; i < warmup + steps; i++) {
            Trace t = traced(session, task, fixed, step++, scope);
            if (i >= warmup) {
              tail[i - warmup] = t.tailMs();
              updateOps[i - warmup] = t.updateOpShare();
            }
          }
        }
        long step = 0;
        for (int i = 0; i < warmup; i++) {
          trainer.step(session, step++);
        }
        double producerBefore = trainer.batches().producerSeconds();
        double waitBefore = trainer.batches().waitSeconds();
        for (int i = 0; i < steps; i++) {
          long t0 = System.nanoTime();
          trainer.step(session, step++);
          trainerMs[i] = (System.nanoTime() - t0) / 1e6;
        }
        buildMs = 1000 * (trainer.batches().producerSeconds() - producerBefore) / steps;
        waitMs = 1000 * (trainer.batches().waitSeconds() - waitBefore) / steps;
      }
      Spread direct = Spread.of(direct(trainer.optimizerFactory(), net.trainableVariables()));
      double loadAfter = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
      return new Row(entry, kernel, Spread.of(full), Spread.of(gradientsOnly), Spread.of(paired), Spread.of(tail),
          Spread.of(updateOps), direct,
          Spread.of(trainerMs), census, buildMs, waitMs, loadBefore, loadAfter, net.parameterCount(),
          net.trainableVariables().size());
    }
  }

  private static double timeFull(Session session, ImageClassifierTask task, FixedBatch batch, long step) {
    long t0 = System.nanoTime();
    task.trainStep(session, batch.images(), batch.labels(), step);
    return (System.nanoTime() - t0) / 1e6;
  }

  private static double timeGradients(
      Session session, ImageClassifierTask task, List<Op> targets, FixedBatch batch, long step) {
    long t0 = System.nanoTime();
    gradientsOnly(session, task, targets, batch, step);
    return (System.nanoTime() - t0) / 1e6;
  }

  /**
   * The train step as {@link ImageClassifierTask#trainStep} runs it, with TensorFlow's step statistics: the tail
   * from the end of the last op of the backward pass (ops named {@code SCOPE/gradients/...}; Grappler keeps the
   * prefix in the names of nodes it rewrites) to the end of the last op of the step, and the share of summed op
   * time spent in ops under {@code SCOPE/update/}.
   */
  private static Trace traced(Session session, ImageClassifierTask task, FixedBatch batch, long step, String scope) {
    String gradients = scope + "/gradients/";
    String update = scope + "/update/";
    try (TBool training = TBool.scalarOf(true);
        TInt64 stepValue = TInt64.scalarOf(step)) {
      Session.Runner runner =
          session.runner()
              .feed(task.images(), batch.images())
              .feed(task.labels(), batch.labels())
              .feed(task.network().training(), training)
              .feed(task.network().step(), stepValue)
              .fetch(task.meanLoss())
              .setOptions(RunOptions.newBuilder().setTraceLevel(RunOptions.TraceLevel.SOFTWARE_TRACE).build());
      task.trainTargets().forEach(runner::addTarget);
      try (Result r = runner.runAndFetchMetadata()) {
        RunMetadata metadata =
            r.getMetadata().orElseThrow(() -> new IllegalStateException("a traced run returned no metadata"));
        long end = Long.MIN_VALUE;
        long lastGradient = Long.MIN_VALUE;
        long allOps = 0;
        long updateOps = 0;
        for (DeviceStepStats device : metadata.getStepStats().getDevStatsList()) {
          for (NodeExecStats node : device.getNodeStatsList()) {
            long nodeEnd = node.getAllStartNanos() + node.getAllEndRelNanos();
            long duration = node.getOpEndRelNanos() - node.getOpStartRelNanos();
            end = Math.max(end, nodeEnd);
            allOps += duration;
            if (node.getNodeName().contains(gradients)) {
              lastGradient = Math.max(lastGradient, nodeEnd);
            }
            if (node.getNodeName().contains(update)) {
              updateOps += duration;
            }
          }
        }
        if (lastGradient == Long.MIN_VALUE) {
          throw new IllegalStateException("no op of " + gradients + " in the step's trace");
        }
        return new Trace((end - lastGradient) / 1e6, updateOps / (double) Math.max(1, allOps));
      }
    }
  }

  private static String quartiles(Spread s, int decimals) {
    return String.format(Locale.ROOT, "[%." + decimals + "f, %." + decimals + "f]", s.q1(), s.q3());
  }

  /** Forward and backward in training mode, fed exactly as the train step is, fetching the loss as it does. */
  private static void gradientsOnly(
      Session session, ImageClassifierTask task, List<Op> targets, FixedBatch batch, long step) {
    try (TBool training = TBool.scalarOf(true);
        TInt64 stepValue = TInt64.scalarOf(step)) {
      Session.Runner runner =
          session.runner()
              .feed(task.images(), batch.images())
              .feed(task.labels(), batch.labels())
              .feed(task.network().training(), training)
              .feed(task.network().step(), stepValue)
              .fetch(task.meanLoss());
      targets.forEach(runner::addTarget);
      try (Result r = runner.run()) {
        // the loss is fetched, as the train step fetches it
      }
    }
  }

  /** One batch from the pipeline (shuffled, augmented, normalised), kept as tensors for the interleaved runs. */
  private record FixedBatch(TFloat32 images, TInt32 labels) implements AutoCloseable {
    static FixedBatch of(ImageBatches batches) {
      try (ImageBatches.Epoch epoch = batches.epoch(0)) {
        ImageBatches.Batch b = epoch.next();
        return new FixedBatch(b.imagesTensor(), b.labelsTensor());
      }
    }

    @Override
    public void close() {
      images.close();
      labels.close();
    }
  }

  /** Every VariableV2 in the graph: weights, batch-norm statistics, optimizer slots and scalars. */
  private static List<Output<?>> variables(Graph graph) {
    List<Output<?>> outputs = new ArrayList<>();
    for (Iterator<GraphOperation> it = graph.operations(); it.hasNext(); ) {
      GraphOperation op = it.next();
      if (Variable.OP_NAME.equals(op.type())) {
        outputs.add(op.output(0));
      }
    }
    return outputs;
  }

  /** A CRC of the bytes of every variable, read right after the fetch (a fetched variable may share its buffer). */
  private static long checksum(Session session, List<Output<?>> variables) {
    Session.Runner runner = session.runner();
    variables.forEach(runner::fetch);
    CRC32 crc = new CRC32();
    try (Result r = runner.run()) {
      for (int i = 0; i < variables.size(); i++) {
        Tensor t = r.get(i);
        ByteDataBuffer data = t.asRawTensor().data();
        byte[] bytes = new byte[(int) data.size()];
        data.read(bytes);
        crc.update(bytes);
      }
    }
    return crc.getValue();
  }

  /**
   * Ops under {@code prefix}, and the tensor-sized arrays they touch per parameter: Σ over the ops (Identity reads
   * excluded: they copy nothing) of their inputs' elements plus their non-reference results' elements, over the
   * parameter count. An elementwise graph op on a layer counts 2 or 3 (inputs and result), an Assign 2, a reduction
   * 1; a fused in-place kernel counts its inputs only (its writes go through references).
   */
  private static Census census(Graph graph, String prefix, long parameters) {
    int ops = 0;
    long elements = 0;
    for (Iterator<GraphOperation> it = graph.operations(); it.hasNext(); ) {
      GraphOperation op = it.next();
      if (!op.name().startsWith(prefix)) {
        continue;
      }
      ops++;
      if (op.type().equals("Identity")) {
        continue;
      }
      for (Operand<?> input : op.inputs()) {
        elements += elements(input.asOutput().shape());
      }
      for (int i = 0; i < op.numOutputs(); i++) {
        if (!op.output(i).dataType().name().endsWith("_REF")) {
          elements += elements(op.output(i).shape());
        }
      }
    }
    return new Census(ops, elements / (double) parameters);
  }

  /** The elements of a tensor of this shape; 0 for scalars and unknown shapes (only tensor-sized traffic counts). */
  private static long elements(Shape shape) {
    return shape.isUnknown() || shape.hasUnknownDimension() || shape.numDimensions() == 0 ? 0 : shape.size();
  }

  /**
   * The update alone, in ms per run: the optimizer, built by the trainer's factory (same settings, finite check), on
   * float32 variables of the model's shapes with fixed gradients ~ N(0, 0.01²) and per-example losses of 2.3.
   */
  private double[] direct(OptimizerFactory factory, List<Variable<TFloat32>> shapes) {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Ops init = tf.withInitScope();
      List<GradAndVar<? extends TType>> pairs = new ArrayList<>();
      for (int i = 0; i < shapes.size(); i++) {
        Operand<TInt64> shape = init.constant(shapes.get(i).shape().asArray());
        Variable<TFloat32> x =
            tf.withName("x" + i).variable(init.random.randomUniform(shape, TFloat32.class,
                RandomUniform.seed(1L), RandomUniform.seed2((long) i)));
        Variable<TFloat32> g =
            tf.withName("g" + i).variable(init.math.mul(init.random.randomStandardNormal(shape, TFloat32.class,
                RandomStandardNormal.seed(2L), RandomStandardNormal.seed2((long) i)), init.constant(0.01f)));
        pairs.add(new GradAndVar<>(tf.identity(g).asOutput(), x.asOutput()));
      }
      Variable<TFloat32> losses =
          tf.withName("losses").variable(init.fill(init.constant(new long[] {batchSize}), init.constant(2.3f)));
      LossAwareOptimizer optimizer = factory.create(graph, "optimizer");
      Op train = optimizer.applyGradients(pairs, tf.identity(losses));
      try (Session session = new Session(graph, SessionConfigs.of(threads, true))) {
        session.initialize();
        for (int i = 0; i < Math.max(warmup, 3); i++) {
          session.run(train);
        }
        double[] ms = new double[updateSteps];
        for (int i = 0; i < updateSteps; i++) {
          long t0 = System.nanoTime();
          session.run(train);
          ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        return ms;
      }
    }
  }

  private void writeCsv(List<Row> rows) throws IOException {
    StringBuilder s = new StringBuilder();
    s.append("optimizer,kernel,full_ms,full_q1,full_q3,gradients_ms,gradients_q1,gradients_q3,update_ms,"
        + "update_share,paired_ms,paired_q1,paired_q3,tail_ms,tail_q1,tail_q3,tail_share,update_op_time_share,direct_ms,direct_q1,direct_q3,direct_share,trainer_ms,"
        + "trainer_q1,trainer_q3,images_per_s,update_ops,update_arrays,batch_build_ms,batch_wait_ms,load_before,"
        + "load_after\n");
    for (Row r : rows) {
      s.append(String.format(Locale.ROOT,
          "\"%s\",%s,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%.5f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%.5f,%.5f,%.3f,%.3f,%.3f,%.5f,%.2f,%.2f,%.2f,%.2f,"
              + "%d,%.2f,%.3f,%.3f,%.2f,%.2f%n",
          r.entry().label(), r.kernel(), r.full().median(), r.full().q1(), r.full().q3(), r.gradients().median(),
          r.gradients().q1(), r.gradients().q3(), r.updateMs(), r.share(), r.paired().median(), r.paired().q1(),
          r.paired().q3(), r.tail().median(), r.tail().q1(), r.tail().q3(), r.tailShare(), r.updateOps().median(),
          r.direct().median(), r.direct().q1(), r.direct().q3(), r.directShare(),
          r.trainer().median(), r.trainer().q1(), r.trainer().q3(), r.imagesPerSecond(batchSize), r.census().ops(),
          r.census().arrays(), r.buildMs(), r.waitMs(), r.loadBefore(), r.loadAfter()));
    }
    byte[] bytes = s.toString().getBytes(StandardCharsets.UTF_8);
    AtomicFiles.write(csv, out -> out.write(bytes));
  }
}
