package io.github.tftrain.trainer;

import io.github.tftrain.optimizers.EvaluationSwap;
import java.io.IOException;
import org.tensorflow.Session;

/**
 * Evaluation and export on the optimizers' evaluation weights ({@link EvaluationSwap}: the EMA, Lookahead's slow
 * weights, KaFiStO Dynamics' posterior x̂ − v̂/α), training on the training weights.
 *
 * <p>The trainer evaluates inside {@link #during} and writes checkpoints only outside it, so a checkpoint's model
 * variables always hold the training weights (a resumed run continues bitwise) and its optimizer state holds what the
 * evaluation weights are computed from; {@code eval}, {@code export} and the final SavedModel restore a checkpoint
 * and then {@link #load} the evaluation weights. With no evaluation weights (an empty swap) nothing runs.
 */
public final class EvaluationWeights {
  private EvaluationWeights() {}

  /** Work done on the evaluation weights. */
  @FunctionalInterface
  public interface Body<T> {
    T run() throws IOException;
  }

  /**
   * Runs {@code body} with the evaluation weights in the variables and puts the training weights back afterwards
   * (also when it throws).
   */
  public static <T> T during(Session session, EvaluationSwap swap, Body<T> body) throws IOException {
    if (swap.isEmpty()) {
      return body.run();
    }
    session.run(swap.toEvaluation());
    T result;
    try {
      result = body.run();
    } catch (IOException | RuntimeException | Error e) {
      try {
        session.run(swap.toTraining());
      } catch (RuntimeException restore) {
        e.addSuppressed(restore);
      }
      throw e;
    }
    session.run(swap.toTraining());
    return result;
  }

  /**
   * Puts the evaluation weights into the variables of a session that only evaluates or exports from here on (a
   * restored checkpoint), keeping the training weights in the swap's backup variables.
   */
  public static void load(Session session, EvaluationSwap swap) {
    if (!swap.isEmpty()) {
      session.run(swap.toEvaluation());
    }
  }
}
