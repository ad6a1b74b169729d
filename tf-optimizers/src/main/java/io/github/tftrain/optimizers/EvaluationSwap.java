package io.github.tftrain.optimizers;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TType;

/**
 * Puts optimizers' evaluation weights into the model's variables and back, so that evaluation, best-checkpoint
 * choice and export see the weights the optimizers say to evaluate while training continues from the training
 * weights.
 *
 * <pre>{@code
 * EvaluationSwap swap = EvaluationSwap.of(graph, List.of(optimizer));
 * session.run(swap.toEvaluation());   // backup <- x; x <- evaluation value
 * ... evaluate, export ...
 * session.run(swap.toTraining());     // x <- backup
 * }</pre>
 *
 * The backups are variables ({@code evaluation_swap/<variable>-training}), so a checkpoint written between the two
 * runs keeps the training weights too, and {@code evaluation_swap/swapped} records which weights the variables hold:
 * {@code toEvaluation} twice in a row, or {@code toTraining} without a swap, does nothing. With no evaluation weights
 * both ops do nothing.
 */
public final class EvaluationSwap {
  private final Op toEvaluation;
  private final Op toTraining;
  private final boolean empty;

  private EvaluationSwap(Op toEvaluation, Op toTraining, boolean empty) {
    this.toEvaluation = toEvaluation;
    this.toTraining = toTraining;
    this.empty = empty;
  }

  /**
   * Builds the two ops for the optimizers' evaluation weights (their train ops must be built).
   *
   * @param graph the graph
   * @param optimizers the optimizers whose evaluation weights to use
   */
  public static EvaluationSwap of(Graph graph, List<? extends LossAwareOptimizer> optimizers) {
    Ops tf = Ops.create(graph).withSubScope("evaluation_swap");
    // 1 while the evaluation weights are in the variables: a second toEvaluation (or a toTraining without one)
    // does nothing, and a checkpoint records which weights the variables hold.
    Variable<TFloat64> swapped = tf.withName("swapped").variable(tf.withInitScope().constant(0.0));
    Operand<TFloat64> state = tf.identity(swapped);
    Gate in = Gate.open(tf, tf.math.equal(state, tf.constant(0.0)));
    Gate out = Gate.open(tf, tf.math.equal(state, tf.constant(1.0)));
    List<Op> reads = new ArrayList<>();
    List<Op> backups = new ArrayList<>();
    List<Op> restores = new ArrayList<>();
    List<Pending<?>> pending = new ArrayList<>();
    for (LossAwareOptimizer optimizer : optimizers) {
      for (EvaluationWeight<?> weight : optimizer.evaluationWeights()) {
        pending.add(Pending.of(tf, in.inside(), weight, reads));
      }
    }
    // Evaluation values first (they read the training weights and state), then the backups, then the swap. The
    // reads run only when the gate is open, and everything after them waits for them.
    Ops afterReads = in.inside().withControlDependencies(reads);
    for (Pending<?> p : pending) {
      backups.add(p.backup(afterReads));
    }
    Ops afterBackups = in.inside().withControlDependencies(backups);
    List<Op> swaps = new ArrayList<>();
    for (Pending<?> p : pending) {
      swaps.add(p.swap(afterBackups));
      restores.add(p.restore(out.inside()));
    }
    swaps.add(afterBackups.assign(swapped, afterBackups.constant(1.0)));
    restores.add(out.inside().withControlDependencies(restores).assign(swapped, out.inside().constant(0.0)));
    Op toEvaluation = tf.withControlDependencies(List.of(in.close(swaps))).withName("to_evaluation").noOp();
    Op toTraining = tf.withControlDependencies(List.of(out.close(restores))).withName("to_training").noOp();
    return new EvaluationSwap(toEvaluation, toTraining, pending.isEmpty());
  }

  /** Saves the training weights and puts the evaluation weights into the variables. */
  public Op toEvaluation() {
    return toEvaluation;
  }

  /** Puts the saved training weights back. */
  public Op toTraining() {
    return toTraining;
  }

  /** Whether no optimizer has evaluation weights (both ops do nothing). */
  public boolean isEmpty() {
    return empty;
  }

  private static final class Pending<T extends TType> {
    final EvaluationWeight<T> weight;
    final Variable<T> backup;
    final Operand<T> value;

    private Pending(EvaluationWeight<T> weight, Variable<T> backup, Operand<T> value) {
      this.weight = weight;
      this.backup = backup;
      this.value = value;
    }

    static <T extends TType> Pending<T> of(Ops tf, Ops gated, EvaluationWeight<T> weight, List<Op> reads) {
      Ops init = tf.withInitScope();
      String name = weight.variable().op().name().replace('/', '.') + "-training";
      Variable<T> backup =
          tf.withName(name).variable(init.zeros(init.constant(weight.variable().shape()), weight.variable().type()));
      // Computed before any variable is overwritten (the identity is what the swap waits for). A value may alias an
      // optimizer slot's buffer (an identity read of the EMA), never a model variable's, and the swap writes only
      // model variables.
      Operand<T> value = weight.value();
      reads.add(gated.identity(value));
      return new Pending<>(weight, backup, value);
    }

    Op backup(Ops tf) {
      return tf.assign(backup, tf.identity(weight.variable()));
    }

    Op swap(Ops tf) {
      return tf.assign(weight.variable(), value);
    }

    Op restore(Ops tf) {
      return tf.assign(weight.variable(), tf.identity(backup));
    }
  }
}
