package io.github.tftrain.optimizers.client;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.tftrain.optimizers.EvaluationSwap;
import io.github.tftrain.optimizers.Lion;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * The catalogue from plain TF-Java: a one-hidden-layer MLP on the Fashion-MNIST subset trained with Lion inside
 * Lookahead, decoupled weight decay on the weight matrices only (a no-decay group for the biases), and evaluated at
 * Lookahead's slow weights through {@link EvaluationSwap}. The code between the README markers is the README's
 * snippet, word for word (checked by {@link #readmeShowsThisCode}).
 */
class CatalogueUsageTest {
  private static final int BATCH = 100;
  private static final int EPOCHS = 5;
  /** Measured 0.786 with this code (10 classes; chance is 0.1). The bar leaves room for round-off, not for a bug. */
  private static final double REQUIRED_TEST_ACCURACY = 0.76;

  @Test
  void lionWithLookaheadAndANoDecayGroupTrainsAnMlp() throws IOException {
    FashionMnistSubset trainingSet = FashionMnistSubset.load("train");
    FashionMnistSubset testSet = FashionMnistSubset.load("t10k");
    double accuracy;
    // README-SNIPPET-BEGIN
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Placeholder<TFloat32> images = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 784)));
      Placeholder<TInt64> labels = tf.placeholder(TInt64.class, Placeholder.shape(Shape.of(-1)));
      Operand<TInt64> seed = tf.constant(new long[] {1, 2});
      Variable<TFloat32> hiddenKernel = tf.withSubScope("hidden").withName("kernel").variable(tf.math.mul(
          tf.random.statelessRandomNormal(tf.constant(new long[] {784, 64}), seed), tf.constant(0.05f)));
      Variable<TFloat32> hiddenBias = tf.withSubScope("hidden").withName("bias").variable(tf.zeros(tf.constant(new long[] {64}), TFloat32.class));
      Variable<TFloat32> outputKernel = tf.withSubScope("output").withName("kernel").variable(tf.math.mul(
          tf.random.statelessRandomNormal(tf.constant(new long[] {64, 10}), seed), tf.constant(0.1f)));
      Variable<TFloat32> outputBias = tf.withSubScope("output").withName("bias").variable(tf.zeros(tf.constant(new long[] {10}), TFloat32.class));
      Operand<TFloat32> hidden = tf.nn.relu(
          tf.math.add(tf.linalg.matMul(images, tf.identity(hiddenKernel)), tf.identity(hiddenBias)));
      Operand<TFloat32> logits =
          tf.math.add(tf.linalg.matMul(hidden, tf.identity(outputKernel)), tf.identity(outputBias));
      Operand<TFloat32> losses = tf.nn.sparseSoftmaxCrossEntropyWithLogits(logits, labels).loss();

      Lion lion = Lion.builder()
          .lr(2e-3)
          .weightDecay(0.1)                                    // decoupled, as in the Lion paper
          .set("group[.*bias].weightDecay", "0")               // no decay on the biases
          .lookahead(5, 0.5)                                   // slow weights every 5 steps
          .build(graph);
      Op train = lion.minimize(losses);
      EvaluationSwap evaluate = EvaluationSwap.of(graph, List.of(lion)); // evaluate the slow weights
      Operand<TInt64> predicted = tf.math.argMax(logits, tf.constant(1));

      try (Session session = new Session(graph)) {
        for (int epoch = 0; epoch < EPOCHS; epoch++) {
          for (int start = 0; start < trainingSet.count; start += BATCH) {
            try (TFloat32 x = trainingSet.pixels(start, BATCH);
                TInt64 y = labels(trainingSet, start, BATCH)) {
              session.runner().feed(images, x).feed(labels, y).addTarget(train).run();
            }
          }
        }
        session.run(evaluate.toEvaluation());
        try (TFloat32 x = testSet.pixels(0, testSet.count);
            TInt64 guesses = (TInt64) session.runner().feed(images, x).fetch(predicted).run().get(0)) {
          accuracy = testSet.accuracy(guesses);
        }
        session.run(evaluate.toTraining());
      }
    }
    // README-SNIPPET-END
    System.out.printf("MLP + Lion + Lookahead, Fashion-MNIST subset: test accuracy %.3f%n", accuracy);
    assertTrue(
        accuracy >= REQUIRED_TEST_ACCURACY,
        "test accuracy " + accuracy + " is below " + REQUIRED_TEST_ACCURACY);
  }

  /** The README's snippet is this test's code, so the documented example is known to work. */
  @Test
  void readmeShowsThisCode() throws IOException {
    assertTrue(FashionMnistSubset.readmeShows("CatalogueUsageTest.java"), "README.md must contain the snippet of CatalogueUsageTest");
  }



  private static TInt64 labels(FashionMnistSubset data, int start, int count) {
    int n = Math.min(count, data.count - start);
    long[] y = new long[n];
    for (int i = 0; i < n; i++) {
      y[i] = data.labels[start + i];
    }
    return TInt64.tensorOf(Shape.of(n), DataBuffers.of(y, true, false));
  }


}
