package io.github.tftrain.optimizers.client;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.tftrain.optimizers.Kafisto;
import java.io.IOException;
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
 * Uses tf-optimizers the way a TF-Java user would: plain TF-Java ops for a softmax (logistic) regression on the
 * Fashion-MNIST subset in testdata (2,000 training and 500 test images), trained with KaFiStO. The code between the
 * README markers is the README's snippet, word for word (checked by {@link #readmeShowsThisCode}).
 */
class ClientUsageTest {
  private static final int BATCH = 100;
  private static final int EPOCHS = 5;
  /** Measured 0.778 with this code (10 classes; chance is 0.1). The bar leaves room for round-off, not for a bug. */
  private static final double REQUIRED_TEST_ACCURACY = 0.75;

  @Test
  void softmaxRegressionOnFashionMnistReachesStatedAccuracy() throws IOException {
    FashionMnistSubset trainingSet = FashionMnistSubset.load("train");
    FashionMnistSubset testSet = FashionMnistSubset.load("t10k");
    double accuracy;
    // README-SNIPPET-BEGIN
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Placeholder<TFloat32> images = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 784)));
      Placeholder<TFloat32> oneHotLabels = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 10)));
      Variable<TFloat32> weights = tf.variable(tf.zeros(tf.constant(new long[] {784, 10}), TFloat32.class));
      Variable<TFloat32> bias = tf.variable(tf.zeros(tf.constant(new long[] {10}), TFloat32.class));
      Operand<TFloat32> logits = tf.math.add(tf.linalg.matMul(images, tf.identity(weights)), tf.identity(bias));
      // One loss per example: KaFiStO takes the gradient of their mean and uses their second moment as noise.
      Operand<TFloat32> losses = tf.nn.softmaxCrossEntropyWithLogits(logits, oneHotLabels).loss();

      Kafisto kafisto = Kafisto.builder().weightDecay(5e-4).build(graph);
      Op train = kafisto.minimize(losses);
      Operand<TInt64> predicted = tf.math.argMax(logits, tf.constant(1));

      try (Session session = new Session(graph)) {
        for (int epoch = 0; epoch < EPOCHS; epoch++) {
          for (int start = 0; start < trainingSet.count; start += BATCH) {
            try (TFloat32 x = trainingSet.pixels(start, BATCH);
                TFloat32 y = oneHot(trainingSet, start, BATCH)) {
              session.runner().feed(images, x).feed(oneHotLabels, y).addTarget(train).run();
            }
          }
        }
        try (TFloat32 x = testSet.pixels(0, testSet.count);
            TInt64 guesses = (TInt64) session.runner().feed(images, x).fetch(predicted).run().get(0)) {
          accuracy = testSet.accuracy(guesses);
        }
      }
    }
    // README-SNIPPET-END
    System.out.printf("softmax regression + KaFiStO, Fashion-MNIST subset: test accuracy %.3f%n", accuracy);
    assertTrue(
        accuracy >= REQUIRED_TEST_ACCURACY,
        "test accuracy " + accuracy + " is below " + REQUIRED_TEST_ACCURACY);
  }

  /** The README's snippet is this test's code, so the documented example is known to work. */
  @Test
  void readmeShowsThisCode() throws IOException {
    assertTrue(FashionMnistSubset.readmeShows("ClientUsageTest.java"), "README.md must contain the snippet of ClientUsageTest");
  }



  private static TFloat32 oneHot(FashionMnistSubset data, int start, int count) {
    int n = Math.min(count, data.count - start);
    float[] y = new float[n * 10];
    for (int i = 0; i < n; i++) {
      y[i * 10 + data.labels[start + i]] = 1f;
    }
    return TFloat32.tensorOf(Shape.of(n, 10), DataBuffers.of(y, true, false));
  }


}
