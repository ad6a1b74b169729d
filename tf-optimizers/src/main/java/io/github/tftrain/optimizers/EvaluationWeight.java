package io.github.tftrain.optimizers;

import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.types.family.TType;

/**
 * A variable and the value to evaluate and export in its place (see {@link LossAwareOptimizer#evaluationWeights()}).
 *
 * @param <T> the variable's element type
 */
public final class EvaluationWeight<T extends TType> {
  private final Output<T> variable;
  private final Operand<T> value;

  private EvaluationWeight(Output<T> variable, Operand<T> value) {
    this.variable = variable;
    this.value = value;
  }

  @SuppressWarnings("unchecked")
  static <T extends TType> EvaluationWeight<T> of(Output<T> variable, Operand<?> value) {
    return new EvaluationWeight<>(variable, (Operand<T>) value);
  }

  /** The trained variable (its {@code VariableV2} reference output). */
  public Output<T> variable() {
    return variable;
  }

  /** The value to evaluate: a pure read of the optimizer's state. */
  public Operand<T> value() {
    return value;
  }
}
