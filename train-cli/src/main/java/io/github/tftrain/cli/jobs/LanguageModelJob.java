package io.github.tftrain.cli.jobs;

import io.github.tftrain.cli.settings.TrainConfig;

import io.github.tftrain.trainer.SavedModels;

import io.github.tftrain.trainer.EvaluationWeights;
import io.github.tftrain.trainer.TrainingJob;

import io.github.tftrain.distributed.Replicas;
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
public final class LanguageModelJob implements TrainingJob {
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
  private final Replicas replicas;
  private final org.tensorflow.op.core.Placeholder<TFloat64> evalValue;
  private final Operand<TFloat64> evalMean;
  /** Data parallelism: every replica's rows of each carried-state tensor, gathered (sum of zero-padded slices). */
  private final List<org.tensorflow.op.core.Placeholder<TFloat32>> stateSlices = new ArrayList<>();
  private final List<Operand<TFloat32>> stateGathered = new ArrayList<>();
  /** ... and the chief's whole state given to every replica. */
  private final List<org.tensorflow.op.core.Placeholder<TFloat32>> stateWhole = new ArrayList<>();
  private final List<Operand<TFloat32>> stateShared = new ArrayList<>();
  /** A resumed chief's whole carried state (every replica's rows), until {@link #shareState} hands it out. */
  private List<float[]> restoredWhole;

  LanguageModelJob(TrainConfig config, ModelSpec.LanguageModel spec, TextCorpus corpus) {
    this(config, spec, corpus, Replicas.single());
  }

  LanguageModelJob(TrainConfig config, ModelSpec.LanguageModel spec, TextCorpus corpus, Replicas replicas) {
    this.config = config;
    this.spec = spec;
    this.corpus = corpus;
    this.replicas = replicas;
    // each replica trains and validates on its slice of the rows; the validation loss is averaged over them
    this.train = new TokenBatches(corpus.split("train"), config.batchSize(), config.bptt())
        .shard(replicas.rank(), replicas.size());
    this.valid = new TokenBatches(corpus.split("valid"), config.batchSize(), config.bptt())
        .shard(replicas.rank(), replicas.size());
    this.optimizer = Jobs.optimizer(config, train.windows()).withReplicas(replicas);
    this.graph = new Graph();
    try {
      this.task = build(graph, optimizer, train.batchSize(), Jobs.graphSeed(config, replicas));
      Ops tf = Ops.create(graph).withSubScope("replica_eval");
      this.evalValue = tf.placeholder(TFloat64.class,
          org.tensorflow.op.core.Placeholder.shape(org.tensorflow.ndarray.Shape.scalar()));
      this.evalMean = replicas.allReduceMean(tf, evalValue);
      if (replicas.isDistributed()) {
        for (Operand<TFloat32> state : task.initialStates()) {
          long whole = state.shape().size() * replicas.size();
          org.tensorflow.ndarray.Shape shape = org.tensorflow.ndarray.Shape.of(whole);
          var slice = tf.placeholder(TFloat32.class, org.tensorflow.op.core.Placeholder.shape(shape));
          stateSlices.add(slice);
          stateGathered.add(replicas.allReduceSum(tf, slice));
          var chiefs = tf.placeholder(TFloat32.class, org.tensorflow.op.core.Placeholder.shape(shape));
          stateWhole.add(chiefs);
          stateShared.add(replicas.broadcast(tf, chiefs, tf.constant(new long[] {whole})));
        }
      }
      RunOptimizer.requireGroupsMatched(List.of(task.optimizer()));
      this.evaluationSwap = EvaluationSwap.of(graph, List.of(task.optimizer()));
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
    ClassifierJob.addStepColumns(task.optimizer(), columns, diagnostics, replicas);
  }

  private LanguageModelTask build(Graph g, io.github.tftrain.cli.models.OptimizerFactory factory, int rows,
      long seed) {
    return LanguageModelTask.build(g, spec, corpus.vocabulary().size(), rows, config.bptt(),
        Init.parse(config.init()), seed, config.dropout(), factory);
  }

  @Override
  public Graph graph() {
    return graph;
  }

  /**
   * Generates text from a checkpoint: the prompt's tokens are fed first (an empty prompt starts after an end of
   * sentence), then {@code words} tokens are drawn one at a time from softmax(logits / temperature), restricted to the
   * {@code topK} most likely (0: all), with a {@link java.util.Random} of {@code seed}, so a seed gives the same text.
   * The LSTM carries its state from token to token (a graph of one token per step); the Transformer sees the last
   * bptt tokens (left-padded with the end-of-sentence token). Runs on the optimizer's evaluation weights.
   *
   * @throws IllegalArgumentException for a prompt word outside the vocabulary (and no {@code <unk>}), a
   *     temperature that is not positive or a negative top-k
   */
  public List<String> sample(String checkpointPrefix, List<String> prompt, int words, double temperature, int topK,
      long seed) {
    if (!(temperature > 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException("--temperature must be a finite number > 0, got " + temperature);
    }
    if (topK < 0) {
      throw new IllegalArgumentException("--top-k must be >= 0 (0: every token), got " + topK);
    }
    io.github.tftrain.data.Vocabulary vocabulary = corpus.vocabulary();
    String end = vocabulary.contains("<eos>") ? "<eos>" : vocabulary.word(0);
    List<Integer> context = new ArrayList<>();
    for (String word : prompt) {
      if (vocabulary.contains(word)) {
        context.add(vocabulary.id(word));
      } else if (vocabulary.contains("<unk>")) {
        context.add(vocabulary.id("<unk>"));
      } else {
        throw new IllegalArgumentException("--prompt: '" + word + "' is not in the vocabulary");
      }
    }
    if (context.isEmpty()) {
      context.add(vocabulary.id(end));
    }
    int size = vocabulary.size();
    int window = spec.transformer() ? config.bptt() : 1;
    java.util.Random random = new java.util.Random(seed);
    List<String> out = new ArrayList<>();
    try (Graph g = new Graph()) {
      LanguageModelTask model = LanguageModelTask.build(g, spec, size, 1, window, Init.parse(config.init()),
          config.seed(), config.dropout(), Exports.portable(optimizer));
      EvaluationSwap swap = EvaluationSwap.of(g, List.of(model.optimizer()));
      try (Session session = new Session(g)) {
        session.restore(checkpointPrefix);
        EvaluationWeights.load(session, swap);
        List<org.tensorflow.Tensor> state = new ArrayList<>();
        try {
          int fed = 0; // LSTM: tokens of the context already fed
          for (int produced = 0; produced < words; produced++) {
            float[] logits;
            if (spec.transformer()) {
              int[] ids = new int[window];
              for (int i = 0; i < window; i++) {
                int at = context.size() - window + i;
                ids[i] = at >= 0 ? context.get(at) : vocabulary.id(end);
              }
              logits = lastLogits(session, model, ids, state, size);
            } else {
              logits = null;
              while (fed < context.size()) {
                logits = lastLogits(session, model, new int[] {context.get(fed++)}, state, size);
              }
            }
            int next = draw(logits, temperature, topK, random);
            context.add(next);
            out.add(vocabulary.word(next));
          }
        } finally {
          state.forEach(org.tensorflow.Tensor::close);
        }
      }
    }
    return out;
  }

  /** Runs one window; returns the logits of its last position and replaces {@code state} with the final state. */
  private static float[] lastLogits(Session session, LanguageModelTask model, int[] ids,
      List<org.tensorflow.Tensor> state, int size) {
    try (TInt32 input = TInt32.tensorOf(org.tensorflow.ndarray.Shape.of(1, ids.length),
        org.tensorflow.ndarray.buffer.DataBuffers.of(ids, true, false))) {
      Session.Runner runner = session.runner().feed(model.inputs(), input).fetch(model.logits());
      for (int i = 0; i < state.size(); i++) {
        runner.feed(model.initialStates().get(i), state.get(i));
      }
      model.finalStates().forEach(runner::fetch);
      org.tensorflow.Result result = runner.run();
      TFloat32 logits = (TFloat32) result.get(0);
      float[] all = new float[(int) logits.shape().size()];
      logits.asRawTensor().data().asFloats().read(all);
      logits.close();
      state.forEach(org.tensorflow.Tensor::close);
      state.clear();
      for (int i = 1; i < result.size(); i++) {
        state.add(result.get(i));
      }
      return java.util.Arrays.copyOfRange(all, all.length - size, all.length);
    }
  }

  /** A token drawn from softmax(logits / temperature) over the top-k logits (ties broken by the lower id). */
  static int draw(float[] logits, double temperature, int topK, java.util.Random random) {
    Integer[] order = new Integer[logits.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, (a, b) -> logits[a] != logits[b] ? Float.compare(logits[b], logits[a]) : a - b);
    int keep = topK == 0 ? logits.length : Math.min(topK, logits.length);
    double max = logits[order[0]] / temperature;
    double[] weights = new double[keep];
    double total = 0;
    for (int i = 0; i < keep; i++) {
      weights[i] = Math.exp(logits[order[i]] / temperature - max);
      total += weights[i];
    }
    double u = random.nextDouble() * total;
    for (int i = 0; i < keep; i++) {
      u -= weights[i];
      if (u < 0) {
        return order[i];
      }
    }
    return order[keep - 1];
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
    d.put("corpus_crc32", corpus.crc32());
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
    return (long) config.batchSize() * train.steps(); // the global batch's tokens (all replicas together)
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
      return Jobs.globalLoss(out, replicas);
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
    if (replicas.isDistributed()) {
      try (TFloat64 own = TFloat64.scalarOf(loss);
          var result = session.runner().feed(evalValue, own).fetch(evalMean).run()) {
        loss = ((TFloat64) result.get(0)).getDouble(); // every replica had as many rows of every window
      }
    }
    task.restoreCarriedState(trainingState);
    return new double[] {loss, Math.exp(loss)};
  }

  /** Mean token cross-entropy over every window of {@code windows}, carrying the state from zeros. */
  public double evaluate(Session session, TokenBatches windows) {
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
  public void shareState(Session session) {
    List<float[]> whole = new ArrayList<>();
    boolean any = false;
    for (int i = 0; i < stateShared.size(); i++) {
      float[] chiefs = restoredWhole != null ? restoredWhole.get(i) : new float[(int) stateWhole.get(i).shape().size()];
      try (TFloat32 fed = TFloat32.tensorOf(stateWhole.get(i).shape(),
              org.tensorflow.ndarray.buffer.DataBuffers.of(chiefs, true, false));
          var result = session.runner().feed(stateWhole.get(i), fed).fetch(stateShared.get(i)).run()) {
        float[] received = new float[chiefs.length];
        ((TFloat32) result.get(0)).asRawTensor().data().asFloats().read(received);
        whole.add(received);
        for (float v : received) {
          any |= v != 0;
        }
      }
    }
    restoredWhole = null;
    task.restoreCarriedState(any ? ownRows(whole) : List.of()); // all zeros: the next window starts from zeros
  }

  /** This replica's rows of each whole carried-state tensor (rows [rank·b, (rank+1)·b) of B). */
  private List<float[]> ownRows(List<float[]> whole) {
    List<float[]> own = new ArrayList<>();
    for (float[] values : whole) {
      int per = values.length / replicas.size();
      own.add(java.util.Arrays.copyOfRange(values, replicas.rank() * per, (replicas.rank() + 1) * per));
    }
    return own;
  }

  /** Every replica's rows of the carried state (every replica calls this at the same step). */
  private List<float[]> gatheredState(Session session) {
    List<float[]> own = task.carriedState();
    List<float[]> whole = new ArrayList<>();
    for (int i = 0; i < stateGathered.size(); i++) {
      float[] padded = new float[(int) stateSlices.get(i).shape().size()];
      if (!own.isEmpty()) {
        System.arraycopy(own.get(i), 0, padded, replicas.rank() * own.get(i).length, own.get(i).length);
      }
      try (TFloat32 fed = TFloat32.tensorOf(stateSlices.get(i).shape(),
              org.tensorflow.ndarray.buffer.DataBuffers.of(padded, true, false));
          var result = session.runner().feed(stateSlices.get(i), fed).fetch(stateGathered.get(i)).run()) {
        float[] values = new float[padded.length];
        ((TFloat32) result.get(0)).asRawTensor().data().asFloats().read(values);
        whole.add(values);
      }
    }
    return whole;
  }

  @Override
  public Map<String, Object> saveState(Path dir) throws IOException {
    if (replicas.isDistributed()) {
      throw new IllegalStateException("a data-parallel language model saves its state with the session");
    }
    return writeState(dir, task.carriedState());
  }

  @Override
  public Map<String, Object> saveState(Session session, Path dir) throws IOException {
    // several replicas: the checkpoint holds every replica's rows (the chief's is the run's), as one process's would
    return writeState(dir, replicas.isDistributed() ? gatheredState(session) : task.carriedState());
  }

  private Map<String, Object> writeState(Path dir, List<float[]> state) throws IOException {
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
    if (replicas.isDistributed() && !values.isEmpty()) {
      restoredWhole = values; // every replica's rows: shareState hands them out
      task.restoreCarriedState(ownRows(values));
      return;
    }
    task.restoreCarriedState(values);
  }

  @Override
  public void exportSavedModel(String checkpointPrefix, Path out) throws IOException {
    try (Graph export = new Graph()) {
      LanguageModelTask exported = build(export, Exports.portable(optimizer), config.batchSize(), config.seed());
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
        SavedModels.write(session, out, SavedModels.signature("serving_default", inputs, outputs),
            SavedModels.signature("train", trainInputs,
                Map.of("loss", Exports.after(tf, "train_loss", targets, exported.meanLoss()))));
      }
    }
  }

  /** The validation split's windows (for tftrain eval). */
  public TokenBatches validWindows() {
    return valid;
  }

  /** The test split's windows (for tftrain eval). */
  public TokenBatches testWindows() {
    return new TokenBatches(corpus.split("test"), train.batchSize(), config.bptt());
  }

  @Override
  public void close() {
    task.close();
    graph.close();
  }
}
