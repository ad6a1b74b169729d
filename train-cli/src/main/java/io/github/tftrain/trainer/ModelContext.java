package io.github.tftrain.trainer;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TType;

/** What {@link Model#build} builds from: the graph's ops, the named inputs and the trainer's scalars. */
public interface ModelContext {
  /** The ops of the graph the model goes into. */
  Ops tf();

  /**
   * The input of this name (a batch: its first dimension is the batch's examples).
   *
   * @throws IllegalArgumentException for a name the data does not have, or another type
   */
  <T extends TType> Operand<T> input(String name, Class<T> type);

  /** True during training steps, false in evaluation and in the SavedModel (dropout, batch norm). */
  Operand<TBool> training();

  /** The global step of the batch (keys stateless random ops, such as dropout, for repeatable runs). */
  Operand<TInt64> step();

  /** The run's seed, for variable initialisers. */
  long seed();
}
