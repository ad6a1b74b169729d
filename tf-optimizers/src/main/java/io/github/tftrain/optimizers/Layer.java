package io.github.tftrain.optimizers;

import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.types.family.TType;

/**
 * One trainable variable in an update step: KaFiStO's "layer" (one tensor x_i with its gradient g_i).
 *
 * @param <T> float32 or float64
 */
public final class Layer<T extends TType> {
  private final String name;
  private final Output<T> variable;
  private final Operand<T> value;
  private final Operand<T> gradient;
  private final long size;

  Layer(String name, Output<T> variable, Operand<T> value, Operand<T> gradient, long size) {
    this.name = name;
    this.variable = variable;
    this.value = value;
    this.gradient = gradient;
    this.size = size;
  }

  /** The variable's op name. */
  public String name() {
    return name;
  }

  /** The variable's reference output: the target of assignments and fused update kernels. */
  public Output<T> variable() {
    return variable;
  }

  /** The variable's value at the start of the step (one read, shared by every use in the step). */
  public Operand<T> value() {
    return value;
  }

  /** The gradient of the objective with respect to the variable, after clipping. */
  public Operand<T> gradient() {
    return gradient;
  }

  /** The element type of the variable, its gradient and its slots. */
  public Class<T> type() {
    return variable.type();
  }

  /** This layer with another gradient (clipped, decayed, accumulated). */
  Layer<T> withGradient(Operand<T> newGradient) {
    return new Layer<>(name, variable, value, newGradient, size);
  }

  /** The variable's rank. */
  public int rank() {
    return variable.shape().numDimensions();
  }

  /** The number of elements. */
  public long size() {
    return size;
  }
}
