package io.github.tftrain.trainer;

/**
 * A user's model for {@link Trainer}: builds the graph from the inputs and returns the loss, the metrics and the
 * predictions to serve. The trainer calls it once for training and once more, in a fresh graph, for the SavedModel,
 * so it must build the same variables (same names) each time; variables and random ops should be seeded for
 * repeatable runs ({@link ModelContext#seed()}).
 */
@FunctionalInterface
public interface Model {
  ModelOutputs build(ModelContext context);
}
