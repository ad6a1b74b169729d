package io.github.tftrain.models.losses;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;

/** Losses and metrics against values derived by hand. */
class LossesTest {
  private static double[] run(Graph g, Operand<?> what) {
    try (Session s = new Session(g);
        Result r = s.runner().fetch(what).run()) {
      double[] out = new double[(int) r.get(0).shape().size()];
      if (r.get(0) instanceof TFloat32 f) {
        for (int i = 0; i < out.length; i++) {
          out[i] = out.length == 1 && f.shape().numDimensions() == 0 ? f.getFloat() : f.getFloat(i);
        }
      } else {
        r.get(0).asRawTensor().data().asDoubles().read(out);
      }
      return out;
    }
  }

  private static final double[][] LOGITS = {
    {1, 2, 3, 0, -1},
    {0.5, 0.5, 0.5, 0.5, 0.5},
    {5, 4, 3, 2, 1},
    {-2, 0, 1, 3, 2},
  };
  private static final int[] LABELS = {2, 4, 3, 0};

  private static double logSumExp(double[] x) {
    double sum = 0;
    for (double v : x) {
      sum += Math.exp(v);
    }
    return Math.log(sum);
  }

  @Test
  void softmaxCrossEntropyPerExample() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      double[] loss = run(g, Losses.softmaxCrossEntropy(tf, tf.constant(LOGITS), tf.constant(LABELS)));
      double[] expected = new double[4];
      for (int i = 0; i < 4; i++) {
        expected[i] = logSumExp(LOGITS[i]) - LOGITS[i][LABELS[i]];
      }
      // example 1 is uniform over 5 classes: log 5
      assertEquals(Math.log(5), expected[1], 1e-15);
      assertArrayEquals(expected, loss, 1e-12);
    }
  }

  /**
   * Ranks of the labels: example 0's label is the largest (rank 1); example 1's ties with every class (counts as
   * inside any top-k, as InTopK does); example 2's is 4th; example 3's is the smallest (5th). Top-1 error 2/4, top-3
   * error 2/4, top-4 error 1/4, top-5 error 0.
   */
  @Test
  void topKErrors() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Operand<TFloat64> logits = tf.constant(LOGITS);
      assertEquals(0.5, run(g, Losses.topKError(tf, logits, tf.constant(LABELS), 1))[0], 1e-7);
      assertEquals(0.5, run(g, Losses.topKError(tf, logits, tf.constant(LABELS), 3))[0], 1e-7);
      assertEquals(0.25, run(g, Losses.topKError(tf, logits, tf.constant(LABELS), 4))[0], 1e-7);
      assertEquals(0.0, run(g, Losses.topKError(tf, logits, tf.constant(LABELS), 5))[0], 1e-7);
    }
  }

  /** [2, 2, 5] logits and [2, 2] targets give 4 token losses; perplexity is exp of their mean. */
  @Test
  void tokenCrossEntropyAndPerplexity() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      double[][][] logits = {{LOGITS[0], LOGITS[1]}, {LOGITS[2], LOGITS[3]}};
      int[][] targets = {{LABELS[0], LABELS[1]}, {LABELS[2], LABELS[3]}};
      Operand<TFloat64> tokens = Losses.tokenCrossEntropy(tf, tf.constant(logits), tf.constant(targets));
      double[] losses = run(g, tokens);
      double mean = 0;
      for (int i = 0; i < 4; i++) {
        double expected = logSumExp(LOGITS[i]) - LOGITS[i][LABELS[i]];
        assertEquals(expected, losses[i], 1e-12);
        mean += expected / 4;
      }
      assertEquals(Math.exp(mean), run(g, Losses.perplexity(tf, tokens))[0], 1e-12);
      // a uniform model over V words has perplexity V
      Operand<TFloat64> uniform =
          Losses.tokenCrossEntropy(tf, tf.zeros(tf.constant(new int[] {3, 4, 7}), TFloat64.class),
              tf.zeros(tf.constant(new int[] {3, 4}), org.tensorflow.types.TInt32.class));
      assertEquals(7, run(g, Losses.perplexity(tf, uniform))[0], 1e-12);
    }
  }
}
