package io.github.tftrain.trainer;

import java.util.Map;
import org.tensorflow.Tensor;

/**
 * Training or evaluation data for {@link Trainer}: batches of named tensors, in epochs. A batch is a pure function of
 * (epoch, index), so a resumed run reads exactly the batches an uninterrupted one would ({@link ArrayData} shuffles
 * with a seed per epoch).
 */
public interface DataSource {
  /** The inputs every batch holds, by name. */
  Map<String, InputSpec> inputs();

  /** The batches of one epoch (an evaluation reads one epoch). */
  long batchesPerEpoch();

  /** Examples in a full batch (throughput and weights of the evaluation's mean). */
  long batchSize();

  /**
   * The batch {@code index} (0-based) of epoch {@code epoch} (0-based): one tensor per input, first dimension the
   * batch's examples. The caller closes the tensors.
   */
  Map<String, Tensor> batch(int epoch, long index);
}
