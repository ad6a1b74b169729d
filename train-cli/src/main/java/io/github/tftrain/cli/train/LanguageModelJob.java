package io.github.tftrain.cli.train;

import io.github.tftrain.trainer.EvaluationWeights;
import io.github.tftrain.trainer.TrainingJob;

import io.github.tftrain.cli.models.LanguageModelTask;
import io.github.tftrain.cli.models.ModelSpec;
import io.github.tftrain.data.TextCorpus;
import io.github.tftrain.data.TokenBatches;
import io.github.tftrain.models.Init;
import io.github.tftrain.optimizers.EvaluationSwap;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;

/**
 * Word-level language modelling (LSTM, Transformer): BPTT windows over the training text, the LSTM state carried
 * from window to window within an epoch (reset at each epoch's start, kept in checkpoints), gradients clipped by
 * their global norm, validation perplexity after each evaluated epoch.
 */
final class LanguageModelJob implements TrainingJob {
  private static final String STATE_FILE = "carried_state.bin";
  private final TrainConfig config;
  private final ModelSpec.LanguageModel spec;
  private final TextCorpus corpus;
  private final TokenBatches train;
  private final TokenBatches valid;
  private final RunOptimizer optimizer;
  private final Graph graph;
  private final LanguageModelTask task;
  private final EvaluationSwap evaluationSwap;
  private final List<Column> columns = new ArrayList<>();
  private final List<Operand<TFloat64>> diagnostics = new ArrayList<>();
  private int window;

  LanguageModelJob(TrainConfig config, ModelSpec.LanguageModel spec, TextCorpus corpus) {
    this.config = config;
    this.spec = spec;
    this.corpus = corpus;
    this.train = new TokenBatches(corpus.split("train"), config.batchSize(), config.bptt());
    this.valid = new TokenBatches(corpus.split("valid"), config.batchSize(), config.bptt());
    this.optimizer = Jobs.optimizer(config, train.windows());
    this.graph = new Graph();
    try {
      this.task = build(graph, optimizer);
      RunOptimizer.requireGroupsMatched(List.of(task.optimizer()));
      this.evaluationSwap = EvaluationSwap.of(graph, List.of(task.optimizer()));
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
    ClassifierJob.addStepColumns(task.optimizer(), columns, diagnostics);
  }

  private LanguageModelTask build(Graph g, io.github.tftrain.cli.models.OptimizerFactory factory) {
    return LanguageModelTask.build(g, spec, corpus.vocabulary().size(), config.batchSize(), config.bptt(),
        Init.parse(config.init()), config.seed(), config.dropout(), factory);
  }

  @Override
  public Graph graph() {
    return graph;
  }

  @Override
  public Map<String, List<String>> assets() {
    return Map.of("vocabulary.txt", corpus.vocabulary().words());
  }

  @Override
  public Map<String, Object> describeData() {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("layout", corpus.layout().name().toLowerCase(Locale.ROOT));
    d.put("vocabulary", corpus.vocabulary().size());
    d.put("train_tokens", corpus.split("train").length);
    d.put("valid_tokens", corpus.split("valid").length);
    d.put("test_tokens", corpus.split("test").length);
    d.put("train_windows", train.windows());
    return d;
  }

  @Override
  public List<Column> trainColumns() {
    return columns;
  }

  @Override
  public List<String> evalColumns() {
    return List.of("valid_loss", "valid_ppl");
  }

  @Override
  public String bestMetric() {
    return "valid_ppl";
  }

  @Override
  public long stepsPerEpoch() {
    return train.windows();
  }

  @Override
  public long itemsPerStep() {
    return (long) train.batchSize() * train.steps();
  }

  @Override
  public String throughputUnit() {
    return "tokens/s";
  }

  @Override
  public void seek(int epoch, long batch) {
    window = (int) batch;
    if (batch == 0) {
      task.resetState(); // each epoch starts from zeros (a resumed mid-epoch run restores the state instead)
    }
  }

  @Override
  public double[] step(Session session, long step) {
    try (TInt32 x = train.tensor(train.inputs(window));
        TInt32 y = train.tensor(train.targets(window))) {
      double[] out = task.trainStep(session, x, y, step, diagnostics);
      window++;
      return out;
    } catch (RuntimeException e) {
      window++; // a skipped window (--on-nan skip) still moves on
      throw e;
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
    List<float[]> trainingState = task.carriedState();
    double loss = evaluate(session, valid);
    task.restoreCarriedState(trainingState);
    return new double[] {loss, Math.exp(loss)};
  }

  /** Mean token cross-entropy over every window of {@code windows}, carrying the state from zeros. */
  double evaluate(Session session, TokenBatches windows) {
    task.resetState();
    double sum = 0;
    for (int k = 0; k < windows.windows(); k++) {
      try (TInt32 x = windows.tensor(windows.inputs(k));
          TInt32 y = windows.tensor(windows.targets(k))) {
        sum += task.evaluate(session, x, y);
      }
    }
    task.resetState();
    return sum / windows.windows();
  }

  @Override
  public String describeEvaluation(double[] values) {
    return String.format(Locale.ROOT, "valid perplexity %.2f (loss %.4f)", values[1], values[0]);
  }

  @Override
  public Map<String, Object> saveState(Path dir) throws IOException {
    List<float[]> state = task.carriedState();
    try (DataOutputStream out = new DataOutputStream(
        new java.io.BufferedOutputStream(Files.newOutputStream(dir.resolve(STATE_FILE))))) {
      out.writeInt(state.size());
      for (float[] values : state) {
        out.writeInt(values.length);
        for (float v : values) {
          out.writeFloat(v);
        }
      }
    }
    return Map.of("carried_state", STATE_FILE, "tensors", state.size());
  }

  @Override
  public void restoreState(Path dir, Map<String, Object> state) throws IOException {
    Path file = dir.resolve(STATE_FILE);
    List<float[]> values = new ArrayList<>();
    try (DataInputStream in =
        new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file)))) {
      int n = in.readInt();
      for (int i = 0; i < n; i++) {
        float[] v = new float[in.readInt()];
        for (int j = 0; j < v.length; j++) {
          v[j] = in.readFloat();
        }
        values.add(v);
      }
    } catch (java.io.EOFException e) {
      throw new IOException(file + ": truncated", e);
    }
    task.restoreCarriedState(values);
  }

  @Override
  public void exportSavedModel(String checkpointPrefix, Path out) throws IOException {
    try (Graph export = new Graph()) {
      LanguageModelTask exported = build(export, Exports.portable(optimizer));
      EvaluationSwap swap = EvaluationSwap.of(export, List.of(exported.optimizer()));
      Ops tf = Ops.create(export);
      Map<String, Operand<?>> inputs = new LinkedHashMap<>();
      Map<String, Operand<?>> outputs = new LinkedHashMap<>();
      inputs.put("ids", exported.inputs());
      outputs.put("logits", exported.logits());
      for (int i = 0; i < exported.initialStates().size(); i++) {
        inputs.put("state_" + i, exported.initialStates().get(i));
        outputs.put("state_" + i, tf.withName("state_out_" + i).identity(exported.finalStates().get(i)));
      }
      Map<String, Operand<?>> trainInputs = new LinkedHashMap<>(inputs);
      trainInputs.put("targets", exported.targets());
      trainInputs.put("training", exported.network().training());
      trainInputs.put("step", exported.network().step());
      List<org.tensorflow.op.Op> targets = List.of(exported.trainOp());
      try (Session session = new Session(export)) {
        session.restore(checkpointPrefix);
        EvaluationWeights.load(session, swap);
        Exports.write(session, out, Exports.signature("serving_default", inputs, outputs),
            Exports.signature("train", trainInputs,
                Map.of("loss", Exports.after(tf, "train_loss", targets, exported.meanLoss()))));
      }
    }
  }

  /** The validation split's windows (for tftrain eval). */
  TokenBatches validWindows() {
    return valid;
  }

  /** The test split's windows (for tftrain eval). */
  TokenBatches testWindows() {
    return new TokenBatches(corpus.split("test"), config.batchSize(), config.bptt());
  }

  @Override
  public void close() {
    task.close();
    graph.close();
  }
}
