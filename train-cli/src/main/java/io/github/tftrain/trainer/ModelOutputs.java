package io.github.tftrain.trainer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.op.Op;
import org.tensorflow.types.family.TNumber;
import org.tensorflow.types.family.TType;

/**
 * What a {@link Model} gives the trainer: the loss it minimises (a scalar, the batch's mean), metrics (scalars, the
 * batch's means; averaged over logging windows and over the evaluation data), the predictions a SavedModel serves
 * with the inputs they need, and ops to run with every training step (batch-norm statistics).
 */
public final class ModelOutputs {
  private final Operand<? extends TNumber> loss;
  private final Map<String, Operand<? extends TNumber>> metrics = new LinkedHashMap<>();
  private final Map<String, Operand<? extends TType>> predictions = new LinkedHashMap<>();
  private final List<String> servingInputs = new ArrayList<>();
  private final List<Op> updates = new ArrayList<>();

  private ModelOutputs(Operand<? extends TNumber> loss) {
    this.loss = loss;
  }

  /** Outputs with this loss (a float scalar: the batch's mean). */
  public static ModelOutputs loss(Operand<? extends TNumber> loss) {
    if (loss == null || loss.shape().numDimensions() != 0) {
      throw new IllegalArgumentException("the loss must be a scalar (the batch's mean), got "
          + (loss == null ? "null" : loss.shape()));
    }
    return new ModelOutputs(loss);
  }

  /** A metric to log and evaluate: a scalar, the batch's mean (accuracy, error). */
  public ModelOutputs metric(String name, Operand<? extends TNumber> value) {
    if (name.equals("loss") || metrics.containsKey(name) || !name.matches("[a-z][a-z0-9_]*")) {
      throw new IllegalArgumentException("metric name '" + name + "': lower-case letters, digits and '_', unique, "
          + "not 'loss'");
    }
    if (value.shape().numDimensions() != 0) {
      throw new IllegalArgumentException("metric " + name + " must be a scalar, got " + value.shape());
    }
    metrics.put(name, value);
    return this;
  }

  /** An output of the SavedModel's serving signature. */
  public ModelOutputs prediction(String name, Operand<? extends TType> value) {
    predictions.put(name, value);
    return this;
  }

  /** The inputs the serving signature takes (those the predictions depend on; labels usually not). */
  public ModelOutputs servingInputs(String... names) {
    servingInputs.addAll(List.of(names));
    return this;
  }

  /** Ops to run with each training step, after its reads (batch-norm moving averages). */
  public ModelOutputs update(Op op) {
    updates.add(op);
    return this;
  }

  public Operand<? extends TNumber> loss() {
    return loss;
  }

  public Map<String, Operand<? extends TNumber>> metrics() {
    return metrics;
  }

  public Map<String, Operand<? extends TType>> predictions() {
    return predictions;
  }

  public List<String> servingInputs() {
    return servingInputs;
  }

  public List<Op> updates() {
    return updates;
  }
}
