package io.github.tftrain.trainer;

import io.github.tftrain.optimizers.LossAwareOptimizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.train.Restore;
import org.tensorflow.types.TString;
import org.tensorflow.types.family.TType;

/**
 * {@code --init-from RUN}: a new run starts from another run's weights (fine-tuning). The model's floating-point
 * variables (weights and batch-norm statistics; not the optimizers' state, their steps or the evaluation backups) are
 * read by name from RUN's SavedModel, which holds the weights RUN evaluated and exported (its EMA, slow weights or
 * posterior where its optimizer has them), or, before RUN has finished, from its latest checkpoint (the training
 * weights). A variable of another shape there (a classifier head for another number of classes) or missing there
 * keeps its fresh initialisation, and the line printed says which.
 */
public final class WeightImport {
  private WeightImport() {}

  /** What was read: the source, the variables loaded and those kept fresh (with why). */
  public record Report(String source, List<String> loaded, Map<String, String> fresh) {}

  /**
   * Assigns the matching variables of {@code graph} from run {@code source}.
   *
   * @throws RunFailedException when no variable of the model is in the source (another model)
   */
  public static Report load(Session session, Graph graph, List<LossAwareOptimizer> optimizers, Path source)
      throws IOException {
    Path savedModel = source.resolve("saved_model").resolve("variables").resolve("variables.index");
    String prefix;
    String described;
    if (Files.isRegularFile(savedModel)) {
      prefix = source.resolve("saved_model").resolve("variables").resolve("variables").toString();
      described = source.resolve("saved_model") + " (the weights it evaluated and exported)";
    } else {
      Checkpoints.Saved latest = new Checkpoints(source.resolve("checkpoints"), 1).latest().orElseThrow(
          () -> new RunFailedException("--init-from " + source + ": no SavedModel and no checkpoint yet"));
      prefix = latest.prefix();
      described = latest.dir() + " (its training weights: the run has no SavedModel yet)";
    }
    List<String> excluded = new ArrayList<>(List.of("evaluation_swap/"));
    optimizers.forEach(o -> excluded.add(o.getOptimizerName() + "/"));
    List<Output<?>> variables = new ArrayList<>();
    for (Iterator<GraphOperation> it = graph.operations(); it.hasNext(); ) {
      GraphOperation op = it.next();
      if (op.type().equals("VariableV2") && excluded.stream().noneMatch(op.name()::startsWith)
          && op.output(0).dataType().name().matches("DT_(FLOAT|DOUBLE|BFLOAT16|HALF)(_REF)?")) {
        variables.add(op.output(0));
      }
    }
    Map<String, Tensor> values = new LinkedHashMap<>();
    Map<String, String> fresh = new LinkedHashMap<>();
    List<Result> results = new ArrayList<>();
    try {
      read(prefix, variables, values, fresh, results);
      if (values.isEmpty()) {
        throw new RunFailedException("--init-from " + source + ": none of this model's " + variables.size()
            + " weights is in " + described + " (a run of another model?)");
      }
      assign(session, graph, variables, values);
      restartOptimizerState(session, graph, excluded);
    } finally {
      results.forEach(Result::close);
    }
    return new Report(described, List.copyOf(values.keySet()), fresh);
  }

  /** One line for the run's output. */
  public static String describe(Report report) {
    String line = String.format(Locale.ROOT, "initialised %d weights from %s", report.loaded().size(),
        report.source());
    if (!report.fresh().isEmpty()) {
      List<String> kept = new ArrayList<>();
      report.fresh().forEach((name, why) -> kept.add(name + " (" + why + ")"));
      line += "; kept fresh: " + String.join(", ", kept);
    }
    return line;
  }

  /** Reads each variable's tensor from the bundle, one restore each (a missing name fails only its own). */
  private static void read(String prefix, List<Output<?>> variables, Map<String, Tensor> values,
      Map<String, String> fresh, List<Result> results) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Operand<TString> bundle = tf.constant(prefix);
      Operand<TString> noSlice = tf.constant(NdArrays.vectorOfObjects(""));
      for (Output<?> variable : variables) {
        String name = variable.op().name();
        Restore restore = tf.train.restore(bundle, tf.constant(NdArrays.vectorOfObjects(name)), noSlice,
            List.of(variable.type()));
        Tensor value;
        try {
          // the Result owns the tensor: keep the Result open until the values are assigned (closed with them)
          Result result = s.runner().fetch(restore.tensors().get(0)).run();
          results.add(result);
          value = result.get(0);
        } catch (TensorFlowException e) {
          String message = String.valueOf(e.getMessage());
          fresh.put(name, message.contains("not found") ? "not in the source"
              : message.lines().findFirst().orElse("unreadable"));
          continue;
        }
        Shape here = variable.shape();
        if (!value.shape().equals(here)) {
          fresh.put(name, "shape " + value.shape() + " there, " + here + " here");
          continue;
        }
        values.put(name, value);
      }
    }
  }

  /**
   * Runs the optimizers' initializers again, now that the weights are the imported ones: state that starts as a copy
   * of the weights (EMA, Lookahead's slow weights, Schedule-Free's z) copies the imported weights, not the fresh
   * initialisation it copied in the first run; zero state stays zero.
   */
  private static void restartOptimizerState(Session session, Graph graph, List<String> scopes) {
    Session.Runner runner = session.runner();
    boolean any = false;
    for (Iterator<GraphOperation> it = graph.operations(); it.hasNext(); ) {
      GraphOperation op = it.next();
      if (graph.isInitializer(op) && op.type().equals("Assign") && op.numInputs() == 2
          && scopes.stream().anyMatch(op.input(0).op().name()::startsWith)) {
        runner.addTarget(op);
        any = true;
      }
    }
    if (any) {
      runner.run();
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static void assign(Session session, Graph graph, List<Output<?>> variables, Map<String, Tensor> values) {
    Ops tf = Ops.create(graph).withSubScope("init_from");
    Session.Runner runner = session.runner();
    for (Output<?> variable : variables) {
      Tensor value = values.get(variable.op().name());
      if (value == null) {
        continue;
      }
      Placeholder<? extends TType> input = tf.placeholder((Class) variable.type(),
          Placeholder.shape(variable.shape()));
      runner.addTarget(tf.assign((Operand) variable, (Operand) input)).feed(input, value);
    }
    runner.run();
  }
}
