package io.github.tftrain.trainer;

import org.tensorflow.ndarray.Shape;
import org.tensorflow.types.family.TType;

/**
 * One named input of a model: its element type and the shape of one example (the trainer adds the batch dimension).
 *
 * @param type e.g. {@code TFloat32.class} for features, {@code TInt32.class} for class labels
 * @param shape one example's shape, e.g. {@code Shape.of(4)} for four features, {@code Shape.scalar()} for a label
 */
public record InputSpec(Class<? extends TType> type, Shape shape) {
  /** @throws IllegalArgumentException for an unknown dimension: examples have a fixed shape */
  public InputSpec {
    if (type == null || shape == null || shape.isUnknown() || shape.hasUnknownDimension()) {
      throw new IllegalArgumentException("an input needs a type and a fully known example shape, got " + type + " "
          + shape);
    }
  }
}
