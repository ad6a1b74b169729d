package io.github.tftrain.models;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.family.TNumber;

/**
 * The mean of a tensor over the replicas of a data-parallel run, for layers that need the global batch's statistics
 * (synchronised batch norm). The models module runs no collectives itself: the trainer gives an implementation
 * (tf-optimizers' {@code Replicas::allReduceMean}); {@link #single()} is one process's identity.
 */
public interface CrossReplicaMean {
  /** The mean of {@code value} over the replicas; every replica gets the same result. */
  <T extends TNumber> Operand<T> mean(Ops tf, Operand<T> value);

  /** The number of replicas. */
  int replicas();

  /** One process: the mean of one value is the value. */
  static CrossReplicaMean single() {
    return new CrossReplicaMean() {
      @Override
      public <T extends TNumber> Operand<T> mean(Ops tf, Operand<T> value) {
        return value;
      }

      @Override
      public int replicas() {
        return 1;
      }
    };
  }
}
