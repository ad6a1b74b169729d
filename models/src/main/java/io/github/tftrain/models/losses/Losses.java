package io.github.tftrain.models.losses;

import io.github.tftrain.gradients.MissingGradients;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TFloating;

/**
 * Classification and language-model losses and metrics. Losses are per example (rank 1), which is what KaFiStO
 * reads its measurement noise from; tftrain's optimizers take the gradient of their mean.
 */
public final class Losses {
  private Losses() {}

  /**
   * Softmax cross-entropy with integer labels: -log softmax(logits)[label] per example.
   *
   * @param logits [batch, classes]
   * @param labels [batch], in [0, classes)
   * @return [batch]
   */
  public static <T extends TFloating> Operand<T> softmaxCrossEntropy(
      Ops tf, Operand<T> logits, Operand<TInt32> labels) {
    MissingGradients.register(); // its gradient is one TensorFlow's C++ registry lacks
    return tf.nn.sparseSoftmaxCrossEntropyWithLogits(logits, labels).loss();
  }

  /**
   * The fraction of examples whose label is not among the k largest logits (top-1 and top-5 error). Ties at the
   * k-th value count as correct, as TensorFlow's InTopK does.
   *
   * @return a float32 scalar in [0, 1]
   */
  public static <T extends TFloating> Operand<TFloat32> topKError(
      Ops tf, Operand<T> logits, Operand<TInt32> labels, int k) {
    Operand<TFloat32> logits32 =
        logits.type() == TFloat32.class ? castUnchecked(logits) : tf.dtypes.cast(logits, TFloat32.class);
    Operand<TFloat32> hit = tf.dtypes.cast(tf.nn.inTopK(logits32, labels, tf.constant(k)), TFloat32.class);
    return tf.math.sub(tf.constant(1f), tf.math.mean(hit, tf.constant(0)));
  }

  /**
   * Cross-entropy of every token of a language model, flattened: logits [batch, time, vocabulary] and targets
   * [batch, time] give [batch * time] per-token losses (their mean is the loss; exp of the mean the perplexity).
   */
  public static <T extends TFloating> Operand<T> tokenCrossEntropy(
      Ops tf, Operand<T> logits, Operand<TInt32> targets) {
    long vocabulary = logits.shape().get(logits.shape().numDimensions() - 1);
    Operand<T> flatLogits = tf.reshape(logits, tf.constant(new long[] {-1, vocabulary}));
    Operand<TInt32> flatTargets = tf.reshape(targets, tf.constant(new int[] {-1}));
    return softmaxCrossEntropy(tf, flatLogits, flatTargets);
  }

  /** exp(mean(per-token cross-entropy)). */
  public static <T extends TFloating> Operand<T> perplexity(Ops tf, Operand<T> tokenLosses) {
    return tf.math.exp(tf.math.mean(tokenLosses, tf.constant(0)));
  }

  @SuppressWarnings("unchecked")
  private static <T extends TFloating> Operand<TFloat32> castUnchecked(Operand<T> x) {
    return (Operand<TFloat32>) (Operand<?>) x;
  }
}
