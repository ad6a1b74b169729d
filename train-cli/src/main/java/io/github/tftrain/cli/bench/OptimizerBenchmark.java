package io.github.tftrain.cli.bench;

import io.github.tftrain.cli.ExitCodes;

import io.github.tftrain.cli.BadInputException;

import io.github.tftrain.cli.Xla;
import io.github.tftrain.optimizers.Kafisto;
import io.github.tftrain.optimizers.OptimizerBuilder;
import io.github.tftrain.optimizers.Optimizers;
import io.github.tftrain.optimizers.UpdateKernel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.BiFunction;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.framework.optimizers.Optimizer.GradAndVar;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.random.RandomStandardNormal;
import org.tensorflow.op.random.RandomUniform;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TType;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tftrain bench optimizers}: ms per update step and effective bandwidth of every optimizer on the same
 * float32 variables and gradients, next to TF-Java's fused Adam. The gradients are precomputed tensors, so only the
 * update is timed. Effective GB/s = parameters x minimal bytes moved per parameter / time, the bytes counted from the
 * state the optimizer creates: read x and g, write x, read and write each state tensor (Adam: read x, g, m, v and
 * write x, m, v = 28; KaFiStO Dynamics: x, g, v, x_avg in, x, v, x_avg out = 28; Vanilla: x, g in, x out = 12;
 * Apollo: 36; SGD with momentum: 20).
 */
@Command(
    name = "optimizers",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Times the update step of each optimizer next to TF-Java's fused Adam.")
public final class OptimizerBenchmark implements Callable<Integer> {

  @Option(
      names = "--params",
      split = ",",
      paramLabel = "N[,N...]",
      defaultValue = "1000000,10000000",
      description = "Parameter counts (default: ${DEFAULT-VALUE})")
  List<Long> params;

  @Option(names = "--xla", description = "XLA auto-clustering (sets TF_XLA_FLAGS for a child JVM if needed)")
  boolean xla;

  @Option(names = "--variables", defaultValue = "10", description = "Tensors the parameters are split into")
  int variables;

  @Option(names = "--warmup", defaultValue = "5", description = "Untimed steps first (default: ${DEFAULT-VALUE})")
  int warmup;

  @Option(names = "--steps", defaultValue = "30", description = "Timed steps (default: ${DEFAULT-VALUE})")
  int steps;

  @Option(
      names = "--kernel",
      defaultValue = "auto",
      description = "KaFiStO and Apollo update kernel: auto, native or graph (default: ${DEFAULT-VALUE})")
  String kernel;

  @Option(
      names = "--optimizers",
      split = ",",
      defaultValue = "all",
      description =
          "Which to run: fused-adam, kafisto-vanilla and the registered names (tftrain optimizers), or all (default:"
              + " ${DEFAULT-VALUE})")
  List<String> which;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** One benchmarked update. */
  private record Candidate(String name, String label, BiFunction<Graph, Inputs, Op> build) {}

  /** The variables, their gradients and a loss, shared by every candidate's graph, and the kernel choice. */
  private record Inputs(List<GradAndVar<? extends TType>> gradients, Operand<TFloat32> loss, UpdateKernel kernel) {}

  /** TF-Java's fused Adam, every registered optimizer with its defaults, and KaFiStO Vanilla. */
  private static List<Candidate> candidates() {
    List<Candidate> list = new ArrayList<>();
    list.add(new Candidate("fused-adam", "TF-Java Adam (fused ApplyAdam)", (g, in) ->
        new org.tensorflow.framework.optimizers.Adam(g, 1e-3f).applyGradients(in.gradients(), "fused_adam")));
    for (String name : Optimizers.names()) {
      list.add(new Candidate(name, "tftrain " + name, (g, in) -> build(Optimizers.builder(name), g, in)));
      if (name.equals("kafisto")) {
        list.add(new Candidate("kafisto-vanilla", "tftrain kafisto (vanilla)", (g, in) ->
            build(Optimizers.builder("kafisto").set("variant", "vanilla"), g, in)));
      }
    }
    return list;
  }

  /** Builds with the defaults (SGD with momentum 0.9), and the --kernel choice where the optimizer has one. */
  private static Op build(OptimizerBuilder<?, ?> builder, Graph graph, Inputs in) {
    if (builder.keys().contains("kernel")) {
      builder.set("kernel", in.kernel().name());
    }
    if (builder.optimizerName().equals("sgd")) {
      builder.set("momentum", "0.9");
    }
    return builder.build(graph).applyGradients(in.gradients(), in.loss());
  }

  @Override
  public Integer call() throws Exception {
    List<Candidate> all = candidates();
    List<Candidate> selected = new ArrayList<>();
    for (String name : which) {
      if (name.trim().equals("all")) {
        selected.addAll(all);
        continue;
      }
      selected.add(
          all.stream()
              .filter(c -> c.name().equals(name.trim()))
              .findFirst()
              .orElseThrow(() -> new BadInputException("unknown optimizer '" + name + "' for the benchmark; valid: "
                  + String.join(",", all.stream().map(Candidate::name).toList()) + ", all")));
    }
    for (long p : params) {
      if (p < variables) {
        throw new BadInputException("--params values must be >= --variables (" + variables + "), got " + p);
      }
    }
    UpdateKernel updateKernel;
    try {
      updateKernel = UpdateKernel.valueOf(kernel.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new BadInputException("--kernel must be auto, native or graph, got '" + kernel + "'");
    }
    if (variables < 1 || warmup < 0 || steps < 1) {
      throw new BadInputException("--variables and --steps must be >= 1 and --warmup >= 0");
    }
    if (xla) {
      Optional<Integer> child = Xla.relaunchIfNeeded();
      if (child.isPresent()) {
        return child.get();
      }
    }
    java.io.PrintWriter out = spec.commandLine().getOut();
    out.printf(
        Locale.ROOT,
        "update step, float32, %d tensors, %d warmup + %d timed steps, XLA %s, KaFiStO/Apollo kernel %s, %d cores%n",
        variables, warmup, steps, Xla.enabled() ? "on" : "off", describe(updateKernel),
        Runtime.getRuntime().availableProcessors());
    out.printf(Locale.ROOT, "%-12s %-32s %10s %8s %8s %9s%n",
        "params", "optimizer", "ms/step", "B/param", "GB/s", "vs fused");
    List<String> verdicts = new ArrayList<>();
    for (long p : params) {
      double fusedRate = Double.NaN;
      for (Candidate c : selected) {
        Timing timing = time(c, p, updateKernel);
        double ms = timing.ms();
        int bytes = timing.bytesPerParameter();
        double rate = p * (double) bytes / (ms * 1e6);
        if (c.name().equals("fused-adam")) {
          fusedRate = rate;
        }
        String share = Double.isNaN(fusedRate) ? "" : String.format(Locale.ROOT, "%8.0f%%", 100 * rate / fusedRate);
        out.printf(Locale.ROOT, "%,-12d %-32s %10.2f %8d %8.1f %9s%n",
            p, c.label(), ms, bytes, rate, share);
        if (p == params.get(params.size() - 1) && !Double.isNaN(fusedRate) && !c.name().equals("fused-adam")) {
          double percent = 100 * rate / fusedRate;
          verdicts.add(String.format(Locale.ROOT, "%s: %.0f%% of fused Adam's GB/s at %,d parameters: %s (target >= 50%%%s)",
              c.name(), percent, p, percent >= 50 ? "meets" : "below",
              Xla.enabled() ? ", with XLA" : "; the target is stated with --xla"));
        }
      }
    }
    verdicts.forEach(out::println);
    out.flush();
    return ExitCodes.OK;
  }

  /** What AUTO resolves to here, found by building a throwaway optimizer. */
  private static String describe(UpdateKernel requested) {
    try (Graph graph = new Graph()) {
      return Kafisto.builder().kernel(requested).build(graph).kernel().name().toLowerCase(Locale.ROOT);
    }
  }

  /** The median time of one update and the minimal bytes it moves per parameter. */
  private record Timing(double ms, int bytesPerParameter) {}

  /**
   * The median wall time of one update step, in ms, and the minimal bytes per parameter: read x and g, write x, and
   * read and write each state tensor of the variable's size the optimizer keeps (Adam: 4·(3 + 2·2) = 28).
   */
  private Timing time(Candidate candidate, long parameters, UpdateKernel kernel) {
    try (Graph graph = new Graph()) {
      Inputs inputs = inputs(graph, parameters, kernel);
      int before = countStateTensors(graph, inputs);
      Op train = candidate.build().apply(graph, inputs);
      int slots = countStateTensors(graph, inputs) - before;
      int bytes = 4 * (3 + 2 * slots / variables);
      try (Session session = new Session(graph)) {
        session.initialize();
        for (int i = 0; i < warmup; i++) {
          session.run(train);
        }
        double[] times = new double[steps];
        for (int i = 0; i < steps; i++) {
          long start = System.nanoTime();
          session.run(train);
          times[i] = (System.nanoTime() - start) / 1e6;
        }
        Arrays.sort(times);
        return new Timing(times[steps / 2], bytes);
      }
    }
  }

  /** Float variables with as many elements as one of the benchmark's variables: the optimizer's per-element state. */
  private int countStateTensors(Graph graph, Inputs inputs) {
    long size = inputs.gradients().get(0).getVariable().shape().size();
    int count = 0;
    for (java.util.Iterator<org.tensorflow.GraphOperation> it = graph.operations(); it.hasNext(); ) {
      org.tensorflow.GraphOperation op = it.next();
      if (op.type().equals(Variable.OP_NAME) && op.output(0).shape().size() == size
          && !op.name().matches("[xg][0-9]+")) {
        count++;
      }
    }
    return count;
  }

  /**
   * Variables initialised uniformly in [0, 1) and gradients ~ N(0, 1), seeded, split into equal tensors: matrices
   * [n/1000, 1000] when the split allows (Muon orthogonalises matrices; the element-wise optimizers do not care),
   * else vectors.
   */
  private Inputs inputs(Graph graph, long parameters, UpdateKernel kernel) {
    Ops tf = Ops.create(graph);
    Ops init = tf.withInitScope();
    List<GradAndVar<? extends TType>> pairs = new ArrayList<>();
    long per = parameters / variables;
    for (int i = 0; i < variables; i++) {
      long size = i == variables - 1 ? parameters - per * (variables - 1) : per;
      Operand<org.tensorflow.types.TInt64> shape =
          init.constant(size % 1000 == 0 && size >= 2000 ? new long[] {size / 1000, 1000} : new long[] {size});
      Variable<TFloat32> x =
          tf.withName("x" + i).variable(init.random.randomUniform(shape, TFloat32.class,
              RandomUniform.seed(1L), RandomUniform.seed2((long) i)));
      Variable<TFloat32> g =
          tf.withName("g" + i).variable(init.random.randomStandardNormal(shape, TFloat32.class,
              RandomStandardNormal.seed(2L), RandomStandardNormal.seed2((long) i)));
      pairs.add(new GradAndVar<>(tf.identity(g).asOutput(), x.asOutput()));
    }
    Variable<TFloat32> loss = tf.withName("loss").variable(init.constant(1.0f));
    return new Inputs(pairs, tf.identity(loss), kernel);
  }
}
