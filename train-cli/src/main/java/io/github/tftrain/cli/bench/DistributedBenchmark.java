package io.github.tftrain.cli.bench;

import io.github.tftrain.cli.models.ImageClassifierTask;
import io.github.tftrain.cli.models.ModelSpec;
import io.github.tftrain.distributed.Cluster;
import io.github.tftrain.distributed.Replicas;
import io.github.tftrain.models.Init;
import io.github.tftrain.optimizers.Optimizers;
import io.github.tftrain.trainer.Json;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tftrain bench distributed}: what data parallelism costs on this machine. (1) The all-reduce of one step's
 * gradients: a float32 vector of the model's parameter count (the optimizer packs every gradient of a dtype into one
 * vector), averaged between worker processes on loopback, timed per run. (2) The training step of
 * {@code --workers} processes with one thread each against one process with that many threads, on the same global
 * batch, from the runs' own metrics.
 */
@Command(
    name = "distributed",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Data-parallel overheads: the all-reduce time of one step's gradients (the model's parameters as one float32 "
          + "vector) between --workers local processes, and the training step time of --workers processes with one "
          + "thread each against one process with --workers threads (same global batch).",
      "A benchmark, not a test: run it on an otherwise idle machine."
    })
public final class DistributedBenchmark implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--model", description = "The model whose gradients are reduced and which trains (default "
      + "wrn-16-4).")
  String model = "wrn-16-4";

  @Option(names = "--data", description = "The dataset of the step-time runs (default testdata/fashion-mnist).")
  String data = "testdata/fashion-mnist";

  @Option(names = "--workers", description = "Worker processes (default 2).")
  int workers = 2;

  @Option(names = "--batch-size", description = "The global batch of the step-time runs (default 64).")
  int batchSize = 64;

  @Option(names = "--warmup", description = "Untimed runs or steps first (default 3).")
  int warmup = 3;

  @Option(names = "--steps", description = "Timed runs or steps (default 20).")
  int steps = 20;

  /** One all-reduce worker (the benchmark starts these itself). */
  @Option(names = "--all-reduce-task", hidden = true)
  Integer task;

  @Option(names = "--ports", hidden = true, split = ",")
  List<Integer> ports;

  @Option(names = "--out", hidden = true)
  Path out;

  @Override
  public Integer call() throws Exception {
    if (workers < 2 || warmup < 0 || steps < 2 || batchSize < workers || batchSize % workers != 0) {
      throw new IllegalArgumentException("need --workers >= 2, --warmup >= 0, --steps >= 2 and a --batch-size that "
          + "divides by --workers");
    }
    long parameters = parameterCount(model);
    if (task != null) {
      return allReduceWorker(parameters);
    }
    PrintWriter printer = spec.commandLine().getOut();
    printer.printf(Locale.ROOT, "bench distributed: %s (%,d parameters, %.1f MB of float32 gradients), %d workers "
        + "on loopback, %d warmup + %d timed%n", model, parameters, parameters * 4 / 1e6, workers, warmup, steps);
    printer.flush();

    Path dir = Files.createTempDirectory("tftrain-bench-distributed-");
    try {
      double[] ms = allReduce(dir);
      Arrays.sort(ms);
      double median = ms[ms.length / 2];
      double ringBytes = 2.0 * (workers - 1) / workers * parameters * 4;
      printer.printf(Locale.ROOT, "all-reduce of one step's gradients: median %.1f ms (min %.1f, max %.1f); ring "
          + "traffic per worker %.1f MB, %.2f GB/s%n", median, ms[0], ms[ms.length - 1], ringBytes / 1e6,
          ringBytes / (median / 1e3) / 1e9);
      printer.flush();

      double[] perWorker = stepTime(dir.resolve("workers"), List.of("--local-workers", Integer.toString(workers),
          "--threads", "1"));
      double[] oneProcess = stepTime(dir.resolve("single"), List.of("--threads", Integer.toString(workers)));
      printer.printf(Locale.ROOT, "training step, global batch %d: %d workers x 1 thread %.0f ms (%.0f images/s); "
          + "1 process x %d threads %.0f ms (%.0f images/s); ratio %.2f%n", batchSize, workers, perWorker[0],
          perWorker[1], workers, oneProcess[0], oneProcess[1], perWorker[0] / oneProcess[0]);
      printer.flush();
      return 0;
    } finally {
      io.github.tftrain.trainer.Checkpoints.deleteTree(dir);
    }
  }

  /** The trainable parameters of the model, from its graph (nothing is run). */
  private static long parameterCount(String name) {
    ModelSpec spec = ModelSpec.parse(name);
    if (!(spec instanceof ModelSpec.ImageClassifier classifier)) {
      throw new IllegalArgumentException("--model: bench distributed takes an image classifier, got " + name);
    }
    try (Graph g = new Graph()) {
      ImageClassifierTask task = ImageClassifierTask.build(g, classifier, 32, 32, 3, 10, Init.KAIMING_UNIFORM, 1, 0,
          (graph, scope) -> Optimizers.builder("sgd").name(scope).checkFinite(true).build(graph));
      long count = 0;
      for (var variable : task.network().trainableVariables()) {
        count += variable.shape().size();
      }
      return count;
    }
  }

  /** Runs the all-reduce workers; returns the chief's timings in milliseconds. */
  private double[] allReduce(Path dir) throws Exception {
    String portList = String.join(",", Cluster.loopback(workers).stream()
        .map(address -> address.substring(address.lastIndexOf(':') + 1)).toList());
    List<Process> processes = new ArrayList<>();
    Path result = dir.resolve("all-reduce.json");
    for (int i = 0; i < workers; i++) {
      List<String> command = ownCommand();
      command.addAll(List.of("bench", "distributed", "--model", model, "--workers", Integer.toString(workers),
          "--warmup", Integer.toString(warmup), "--steps", Integer.toString(steps), "--all-reduce-task",
          Integer.toString(i), "--ports", portList, "--out", result.toString()));
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(dir.resolve("all-reduce-" + i + ".log").toFile());
      processes.add(pb.start());
    }
    for (int i = 0; i < workers; i++) {
      Process p = processes.get(i);
      if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
        processes.forEach(Process::destroyForcibly);
        throw new IllegalStateException("all-reduce worker " + i + " failed: "
            + Files.readString(dir.resolve("all-reduce-" + i + ".log"), StandardCharsets.UTF_8));
      }
    }
    Map<String, Object> timings = Json.parseObject(Files.readString(result, StandardCharsets.UTF_8));
    List<?> values = (List<?>) timings.get("ms");
    return values.stream().mapToDouble(v -> ((Number) v).doubleValue()).toArray();
  }

  /** One all-reduce worker: times the mean of a float32 vector of {@code parameters} over the workers. */
  private int allReduceWorker(long parameters) throws Exception {
    List<String> addresses = ports.stream().map(p -> "localhost:" + p).toList();
    Cluster cluster = Cluster.of(addresses, task);
    cluster.startServer(ConfigProto.getDefaultInstance());
    Replicas replicas = cluster.replicas(120);
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> gradients = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(parameters)));
      Operand<TFloat32> mean = replicas.allReduceMean(tf, gradients);
      Operand<TFloat32> probe = tf.reduceSum(tf.slice(mean, tf.constant(new int[] {0}), tf.constant(new int[] {1})),
          tf.constant(0));
      float[] values = new float[(int) parameters];
      Arrays.fill(values, 1f + task);
      List<Double> ms = new ArrayList<>();
      try (Session session = cluster.openSession(g, ConfigProto.getDefaultInstance());
          TFloat32 input = TFloat32.tensorOf(Shape.of(parameters),
              org.tensorflow.ndarray.buffer.DataBuffers.of(values, true, false))) {
        for (int run = 0; run < warmup + steps; run++) {
          long t0 = System.nanoTime();
          try (var r = session.runner().feed(gradients, input).fetch(probe).run()) {
            float first = ((TFloat32) r.get(0)).getFloat();
            if (Math.abs(first - (1 + (workers - 1) / 2.0)) > 1e-5) {
              throw new IllegalStateException("the all-reduce gave " + first);
            }
          }
          if (run >= warmup) {
            ms.add((System.nanoTime() - t0) / 1e6);
          }
        }
      }
      if (task == 0) {
        Files.writeString(out, Json.write(Map.of("ms", ms)), StandardCharsets.UTF_8);
      }
    }
    System.exit(0); // the gRPC server cannot be stopped: the process ends it
    return 0;
  }

  /** Trains warmup + steps steps with {@code extra} flags; returns the median ms per step and images/s. */
  private double[] stepTime(Path run, List<String> extra) throws Exception {
    List<String> command = ownCommand();
    command.addAll(List.of("train", "--model", model, "--data", data, "--optimizer", "sgd", "--steps",
        Integer.toString(warmup + steps), "--log-every", "1", "--batch-size", Integer.toString(batchSize),
        "--eval-every", "1000", "--run-dir", run.toString(), "--quiet"));
    command.addAll(extra);
    Path log = run.resolveSibling(run.getFileName() + ".log");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(20, TimeUnit.MINUTES) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException("the training run failed: " + Files.readString(log, StandardCharsets.UTF_8));
    }
    List<String> lines = Files.readAllLines(run.resolve("metrics.csv"), StandardCharsets.UTF_8);
    int column = Arrays.asList(lines.get(0).split(",")).indexOf("images_per_s");
    List<Double> rates = new ArrayList<>();
    for (String line : lines.subList(1 + warmup, lines.size())) {
      String[] cells = line.split(",", -1);
      rates.add(Double.parseDouble(cells[column]));
    }
    rates.sort(null);
    double rate = rates.get(rates.size() / 2);
    return new double[] {batchSize / rate * 1e3, rate};
  }

  /** This JVM's command up to the tftrain arguments (the executable, its options, the class path or jar, main). */
  private static List<String> ownCommand() {
    List<String> own = io.github.tftrain.cli.OwnCommand.get();
    return new ArrayList<>(own.subList(0, own.indexOf("bench"))); // tftrain's own arguments start there
  }


}
