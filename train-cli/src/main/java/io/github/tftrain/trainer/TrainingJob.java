package io.github.tftrain.trainer;

import io.github.tftrain.optimizers.EvaluationSwap;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.tensorflow.Session;

/**
 * One model family's part of a training run: its graph, data, step, evaluation and export. {@link Training} drives
 * it through epochs, logging, checkpoints, interrupts and non-finite steps, the same for every family.
 */
public interface TrainingJob extends AutoCloseable {

  /** The training graph (the trainer opens the session on it). */
  org.tensorflow.Graph graph();

  /**
   * Text files that say what the model's outputs mean, one entry per line, by file name: a classifier's class names
   * ({@code classes.txt}, line i is class i), a language model's vocabulary ({@code vocabulary.txt}, line i is token
   * id i). The trainer writes them into the run directory and into the SavedModel's {@code assets/}.
   */
  default Map<String, List<String>> assets() {
    return Map.of();
  }

  /** Facts about the data for config.json (sizes, shapes, vocabulary, normalisation). */
  Map<String, Object> describeData();

  /** A metrics column: averaged over the steps of a logging window, or the value of the window's last step. */
  public record Column(String name, boolean averaged) {}

  /** The values of a training step, in {@link #trainColumns()} order. */
  List<Column> trainColumns();

  /** The values of an evaluation, in this order. */
  List<String> evalColumns();

  /** The eval column that picks the best checkpoint, and whether lower is better; null for none. */
  String bestMetric();

  /** Optimizer steps (trainer steps) per epoch. */
  long stepsPerEpoch();

  /** What one step processes, for throughput: images or tokens. */
  long itemsPerStep();

  /** "images/s" or "tokens/s". */
  String throughputUnit();

  /** Positions the data at batch {@code batch} of epoch {@code epoch} (0-based), before the first step there. */
  void seek(int epoch, long batch);

  /**
   * One training step on the next batch.
   *
   * @param step the trainer step (keys dropout and noise)
   * @return the values of {@link #trainColumns()}
   * @throws NonFiniteStepException if the step was stopped (nothing was written)
   */
  double[] step(Session session, long step);

  /**
   * Puts the job's optimizers' evaluation weights into the model's variables and back (built in {@link #graph()}
   * after the train ops; empty when every optimizer evaluates its training weights). The trainer runs
   * {@link #evaluate}, {@link #afterEpoch} and export on the evaluation weights, see {@link EvaluationWeights}.
   */
  EvaluationSwap evaluationSwap();

  /** The run's optimizers (a GAN's two), built into {@link #graph()}: for config.json's record of them. */
  List<io.github.tftrain.optimizers.LossAwareOptimizer> optimizers();

  /** Evaluates on the held-out split: the values of {@link #evalColumns()}. */
  double[] evaluate(Session session);

  /**
   * After each epoch's evaluation (GAN sample grids).
   *
   * @param epoch the epoch that ended (0-based)
   * @param step the global step, where TensorBoard puts what this logs (next to the scalars of that step)
   */
  public default void afterEpoch(Session session, int epoch, long step, RunDirectory run, EventWriter events)
      throws IOException {}

  /** State beyond the graph's variables that a checkpoint must keep (the LSTM's carried state), into {@code dir}. */
  public default Map<String, Object> saveState(Path dir) throws IOException {
    return Map.of();
  }

  /**
   * {@link #saveState(Path)} with the run's session, for state that needs it (a data-parallel language model gathers
   * every replica's rows through a collective, on every replica at the same step). The trainer calls this one.
   */
  public default Map<String, Object> saveState(Session session, Path dir) throws IOException {
    return saveState(dir);
  }

  /** Restores {@link #saveState}'s output. */
  public default void restoreState(Path dir, Map<String, Object> state) throws IOException {}

  /**
   * Data parallelism: called on every replica, at the same point, after the chief's variables reached the others: a
   * job whose state beyond the variables differs per replica (a language model's carried state of each replica's
   * rows) gives every replica its part of the chief's (which a resumed chief restored). One process: not called.
   */
  public default void shareState(Session session) {}

  /**
   * Writes a SavedModel of checkpoint {@code checkpointPrefix} to {@code out}, its variables holding the evaluation
   * weights (see {@link #evaluationSwap()}).
   */
  void exportSavedModel(String checkpointPrefix, Path out) throws IOException;

  /** A one-line summary of the last evaluation for the progress output, e.g. "test error 12.3%". */
  String describeEvaluation(double[] values);

  @Override
  void close();
}
