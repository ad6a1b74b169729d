package io.github.tftrain.trainer;

import io.github.tftrain.optimizers.LossAwareOptimizer;

/**
 * A training step stopped because its loss or gradients were not finite. Nothing of the step was written: the
 * optimizers assert finiteness before any write ({@code checkFinite}) and batch-norm updates wait for that check.
 */
public final class NonFiniteStepException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public NonFiniteStepException(String message, Throwable cause) {
    super(message, cause);
  }

  /** Whether {@code e} is the failure of an optimizer's finite check. */
  public static boolean isFiniteCheckFailure(RuntimeException e) {
    return e instanceof org.tensorflow.exceptions.TFInvalidArgumentException
        && e.getMessage() != null
        && e.getMessage().contains(LossAwareOptimizer.NON_FINITE);
  }

  /** Runs a training step, turning a finite-check failure into this exception. */
  public static <R> R guard(String what, java.util.function.Supplier<R> step) {
    try {
      return step.get();
    } catch (RuntimeException e) {
      if (isFiniteCheckFailure(e)) {
        throw new NonFiniteStepException(what + ": " + LossAwareOptimizer.NON_FINITE + " (nothing was updated)", e);
      }
      throw e;
    }
  }
}
