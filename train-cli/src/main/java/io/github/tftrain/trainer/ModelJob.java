package io.github.tftrain.trainer;

import io.github.tftrain.optimizers.EvaluationSwap;
import io.github.tftrain.optimizers.LossAwareOptimizer;
import io.github.tftrain.optimizers.OptimizerBuilder;
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
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TNumber;
import org.tensorflow.types.family.TType;

/**
 * A user's {@link Model} as a {@link TrainingJob}: the model built on placeholders for the data's inputs, the
 * optimizer's train op, training columns loss, the metrics and lr, evaluation columns {@code eval_loss} and
 * {@code eval_METRIC} (means over the evaluation data, weighted by batch size), and a SavedModel whose serving
 * signature maps the serving inputs to the predictions.
 */
public final class ModelJob implements TrainingJob {
  private final Model model;
  private final DataSource train;
  private final DataSource evaluation;
  private final OptimizerBuilder<?, ?> optimizerBuilder;
  private final long seed;
  private final String bestMetric;
  private final Map<String, Object> facts;
  private final Graph graph = new Graph();
  private final Built built;
  private final List<Column> columns = new ArrayList<>();
  private int epoch;
  private long index;

  /** The graph a model was built into: inputs, outputs, optimizer and the ops a step runs. */
  private static final class Built implements ModelContext {
    final Ops tf;
    final Map<String, Placeholder<?>> inputs = new LinkedHashMap<>();
    final Operand<TBool> training;
    final Placeholder<TInt64> stepInput;
    final long seed;
    ModelOutputs outputs;
    LossAwareOptimizer optimizer;
    Op trainOp;
    EvaluationSwap swap;
    final List<Operand<?>> stepFetches = new ArrayList<>();
    final List<Operand<?>> evalFetches = new ArrayList<>();

    @SuppressWarnings({"unchecked", "rawtypes"})
    Built(Graph graph, DataSource data, long seed) {
      this.tf = Ops.create(graph);
      this.seed = seed;
      for (Map.Entry<String, InputSpec> e : data.inputs().entrySet()) {
        long[] dims = new long[e.getValue().shape().numDimensions() + 1];
        dims[0] = Shape.UNKNOWN_SIZE;
        for (int i = 1; i < dims.length; i++) {
          dims[i] = e.getValue().shape().size(i - 1);
        }
        inputs.put(e.getKey(), tf.withName(e.getKey()).placeholder((Class) e.getValue().type(),
            Placeholder.shape(Shape.of(dims))));
      }
      this.training = tf.withName("training").placeholderWithDefault(tf.constant(false), Shape.scalar());
      this.stepInput = tf.withName("step").placeholder(TInt64.class, Placeholder.shape(Shape.scalar()));
    }

    @Override
    public Ops tf() {
      return tf;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T extends TType> Operand<T> input(String name, Class<T> type) {
      Placeholder<?> input = inputs.get(name);
      if (input == null) {
        throw new IllegalArgumentException("the model asks for input '" + name + "'; the data has "
            + String.join(", ", inputs.keySet()));
      }
      if (input.type() != type) {
        throw new IllegalArgumentException("input '" + name + "' is " + input.type().getSimpleName() + ", the model "
            + "asks for " + type.getSimpleName());
      }
      return (Operand<T>) input;
    }

    @Override
    public Operand<TBool> training() {
      return training;
    }

    @Override
    public Operand<TInt64> step() {
      return stepInput;
    }

    @Override
    public long seed() {
      return seed;
    }
  }

  ModelJob(Model model, DataSource train, DataSource evaluation, OptimizerBuilder<?, ?> optimizer, long seed) {
    this(model, train, evaluation, optimizer, seed, "eval_loss", Map.of());
  }

  /**
   * @param evaluation the evaluation data, or null for none
   * @param bestMetric the evaluation column that picks the best checkpoint (lower is better): eval_loss or
   *     eval_METRIC
   * @param facts more facts about the data for config.json
   */
  public ModelJob(Model model, DataSource train, DataSource evaluation, OptimizerBuilder<?, ?> optimizer, long seed,
      String bestMetric, Map<String, Object> facts) {
    this.bestMetric = bestMetric;
    this.facts = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(facts)); // in the caller's order
    this.model = model;
    this.train = train;
    this.evaluation = evaluation;
    this.optimizerBuilder = optimizer.copy().checkFinite(true);
    this.seed = seed;
    if (evaluation != null && !evaluation.inputs().equals(train.inputs())) {
      throw new IllegalArgumentException("the evaluation data's inputs " + evaluation.inputs() + " differ from the "
          + "training data's " + train.inputs());
    }
    try {
      this.built = build(graph, optimizerBuilder);
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
    columns.add(new Column("loss", true));
    built.outputs.metrics().keySet().forEach(name -> columns.add(new Column(name, true)));
    columns.add(new Column("lr", false));
    if (evaluation != null && !evalColumns().contains(bestMetric)) {
      throw new IllegalArgumentException("best metric '" + bestMetric + "' is not an evaluation column ("
          + String.join(", ", evalColumns()) + ")");
    }
  }

  private Built build(Graph g, OptimizerBuilder<?, ?> optimizer) {
    Built b = new Built(g, train, seed);
    b.outputs = model.build(b);
    if (b.outputs == null) {
      throw new IllegalArgumentException("the model returned no outputs");
    }
    b.optimizer = optimizer.build(g);
    List<Op> targets = new ArrayList<>();
    targets.add(b.optimizer.minimize(b.outputs.loss()));
    targets.addAll(b.outputs.updates());
    b.trainOp = b.tf.withControlDependencies(targets).withName("train").noOp();
    b.swap = EvaluationSwap.of(g, List.of(b.optimizer));
    Ops tf = b.tf;
    io.github.tftrain.distributed.Replicas replicas = b.optimizer.configuration().replicas();
    // several replicas: the global batch's loss (the optimizer's average) and metrics (averaged the same way)
    b.stepFetches.add(replicas.isDistributed() ? b.optimizer.lossMean() : toDouble(tf, b.outputs.loss()));
    b.outputs.metrics().values().forEach(m -> b.stepFetches.add(replicas.allReduceMean(tf, toDouble(tf, m))));
    b.stepFetches.add(b.optimizer.learningRate());
    b.evalFetches.add(toDouble(tf, b.outputs.loss()));
    b.outputs.metrics().values().forEach(m -> b.evalFetches.add(toDouble(tf, m)));
    return b;
  }

  @SuppressWarnings("unchecked")
  private static Operand<TFloat64> toDouble(Ops tf, Operand<? extends TNumber> value) {
    return value.type() == TFloat64.class ? (Operand<TFloat64>) value : tf.dtypes.cast(value, TFloat64.class);
  }

  @Override
  public Graph graph() {
    return graph;
  }

  @Override
  public Map<String, Object> describeData() {
    Map<String, Object> d = new LinkedHashMap<>();
    Map<String, Object> inputs = new java.util.TreeMap<>(); // by name: the same config.json in every process
    train.inputs().forEach((name, spec) -> inputs.put(name,
        new java.util.TreeMap<>(Map.of("type", spec.type().getSimpleName(), "shape", spec.shape().toString()))));
    d.put("inputs", inputs);
    d.put("train_batches_per_epoch", train.batchesPerEpoch());
    d.put("batch_size", train.batchSize());
    if (evaluation != null) {
      d.put("evaluation_batches", evaluation.batchesPerEpoch());
    }
    d.putAll(facts);
    return d;
  }

  @Override
  public List<Column> trainColumns() {
    return columns;
  }

  @Override
  public List<String> evalColumns() {
    if (evaluation == null) {
      return List.of();
    }
    List<String> names = new ArrayList<>(List.of("eval_loss"));
    built.outputs.metrics().keySet().forEach(name -> names.add("eval_" + name));
    return names;
  }

  @Override
  public String bestMetric() {
    return evaluation == null ? null : bestMetric;
  }

  @Override
  public long stepsPerEpoch() {
    return train.batchesPerEpoch();
  }

  @Override
  public long itemsPerStep() {
    return train.batchSize();
  }

  @Override
  public String throughputUnit() {
    return "examples/s";
  }

  @Override
  public void seek(int epochIndex, long batch) {
    this.epoch = epochIndex;
    this.index = batch;
  }

  @Override
  public double[] step(Session session, long step) {
    Map<String, Tensor> batch = train.batch(epoch, index++);
    try (TBool training = TBool.scalarOf(true);
        TInt64 stepValue = TInt64.scalarOf(step)) {
      return NonFiniteStepException.guard("step " + step, () -> {
        Session.Runner runner = feed(session.runner(), batch).feed(built.training, training)
            .feed(built.stepInput, stepValue).addTarget(built.trainOp);
        built.stepFetches.forEach(runner::fetch);
        return doubles(runner);
      });
    } finally {
      batch.values().forEach(Tensor::close);
    }
  }

  private Session.Runner feed(Session.Runner runner, Map<String, Tensor> batch) {
    for (Map.Entry<String, Placeholder<?>> input : built.inputs.entrySet()) {
      Tensor value = batch.get(input.getKey());
      if (value == null) {
        throw new IllegalArgumentException("a batch lacks input '" + input.getKey() + "'");
      }
      runner.feed(input.getValue(), value);
    }
    return runner;
  }

  private static double[] doubles(Session.Runner runner) {
    try (Result result = runner.run()) {
      double[] out = new double[result.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = ((TFloat64) result.get(i)).getDouble();
      }
      return out;
    }
  }

  @Override
  public List<LossAwareOptimizer> optimizers() {
    return List.of(built.optimizer);
  }

  @Override
  public EvaluationSwap evaluationSwap() {
    return built.swap;
  }

  @Override
  public double[] evaluate(Session session) {
    double[] sums = new double[built.evalFetches.size()];
    long examples = 0;
    try (TInt64 stepValue = TInt64.scalarOf(0)) {
      for (long i = 0; i < evaluation.batchesPerEpoch(); i++) {
        Map<String, Tensor> batch = evaluation.batch(0, i);
        try {
          long size = batch.values().iterator().next().shape().size(0);
          Session.Runner runner = feed(session.runner(), batch).feed(built.stepInput, stepValue);
          built.evalFetches.forEach(runner::fetch);
          double[] values = doubles(runner);
          for (int k = 0; k < sums.length; k++) {
            sums[k] += values[k] * size;
          }
          examples += size;
        } finally {
          batch.values().forEach(Tensor::close);
        }
      }
    }
    for (int k = 0; k < sums.length; k++) {
      sums[k] /= examples;
    }
    return sums;
  }

  @Override
  public String describeEvaluation(double[] values) {
    List<String> parts = new ArrayList<>();
    List<String> names = evalColumns();
    for (int i = 0; i < values.length; i++) {
      parts.add(String.format(Locale.ROOT, "%s %.4f", names.get(i), values[i]));
    }
    return String.join(", ", parts);
  }

  /**
   * The model built again in a fresh graph with the optimizer's stock-op kernel (so that any TensorFlow runtime loads
   * the SavedModel), the checkpoint restored, the evaluation weights swapped in, and the serving signature written.
   */
  @Override
  public void exportSavedModel(String checkpointPrefix, Path out) throws IOException {
    // the graph update kernel (a SavedModel runs anywhere) and one process's optimizer (it holds no collectives)
    OptimizerBuilder<?, ?> portable = optimizerBuilder.copy().replicas(io.github.tftrain.distributed.Replicas.single());
    if (portable.keys().contains("kernel")) {
      portable.set("kernel", "graph");
    }
    try (Graph export = new Graph()) {
      Built b = build(export, portable);
      Map<String, Operand<?>> inputs = new LinkedHashMap<>();
      List<String> serving = b.outputs.servingInputs().isEmpty()
          ? List.copyOf(b.inputs.keySet()) : b.outputs.servingInputs();
      for (String name : serving) {
        Placeholder<?> input = b.inputs.get(name);
        if (input == null) {
          throw new IllegalArgumentException("serving input '" + name + "' is not an input of the data ("
              + String.join(", ", b.inputs.keySet()) + ")");
        }
        inputs.put(name, input);
      }
      Map<String, Operand<?>> outputs = new LinkedHashMap<>(b.outputs.predictions());
      if (outputs.isEmpty()) {
        outputs.put("loss", b.outputs.loss());
      }
      try (Session session = new Session(export)) {
        session.restore(checkpointPrefix);
        EvaluationWeights.load(session, b.swap);
        SavedModels.write(session, out, SavedModels.signature("serving_default", inputs, outputs));
      }
    }
  }

  @Override
  public void close() {
    graph.close();
  }
}
