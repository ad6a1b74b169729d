package io.github.tftrain.cli.jobs;

import io.github.tftrain.cli.models.OptimizerFactory;
import java.util.List;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.types.family.TType;

/**
 * Helpers for the run's SavedModel: a serving signature and a {@code train} signature in a graph rebuilt for export,
 * with the weights of a checkpoint.
 *
 * <p>The export graph is built again rather than saved from the training session because the training graph may
 * run the optimizers' fused native kernels ({@code kernel=native}), which a SavedModel consumer (Python, TF Serving)
 * cannot load; the export uses {@code kernel=graph}, whose update is the same arithmetic in stock TF ops.
 */
final class Exports {
  private Exports() {}

  /** The same optimizer with stock-op kernels, so the exported train signature runs anywhere. */
  static OptimizerFactory portable(RunOptimizer factory) {
    // and one process's: a SavedModel holds no collectives
    return factory.withSetting("kernel", "graph").withReplicas(io.github.tftrain.distributed.Replicas.single());
  }

  /** {@code value}, read after {@code targets} ran: the output of a signature that must run the update. */
  static <T extends TType> Operand<T> after(Ops tf, String name, List<Op> targets, Operand<T> value) {
    return tf.withControlDependencies(targets).withName(name).identity(value);
  }

  /**
   * The penultimate features of a classifier: the input of the final dense layer whose output is {@code logits}
   * (logits = features · W + b), found by walking the logits' first inputs back to the MatMul.
   */
  @SuppressWarnings("unchecked")
  static <T extends TType> Operand<T> features(Operand<T> logits) {
    GraphOperation op = (GraphOperation) logits.op();
    for (int depth = 0; depth < 4; depth++) {
      if (op.type().equals("MatMul")) {
        return (Operand<T>) op.inputs().get(0);
      }
      op = (GraphOperation) op.inputs().get(0).op();
    }
    throw new IllegalStateException("no MatMul found behind the logits " + logits.op().name());
  }
}
