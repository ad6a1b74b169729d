package io.github.tftrain.optimizers.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.tftrain.optimizers.Sgd;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * A classifier written with plain TF-Java's {@code sparseSoftmaxCrossEntropyWithLogits}, whose gradient TensorFlow's
 * C++ registry lacks, trained with tf-optimizers alone: the optimizer registers the missing gradients itself (without
 * that, {@code minimize} fails with "No gradient defined for op: SparseSoftmaxCrossEntropyWithLogits"). The first
 * SGD step is checked against the softmax-regression gradient computed in plain Java doubles.
 */
class SparseSoftmaxClassifierTest {
  /** Float32 forward and backward passes on values of order one; the reference is float64. */
  private static final double TOLERANCE = 1e-5;
  private static final float LR = 0.5f;

  // Six examples, three features, four classes (every class present).
  private static final float[][] X = {
    {1.0f, -0.5f, 0.2f}, {0.3f, 0.8f, -1.0f}, {-0.7f, 0.1f, 0.5f},
    {0.9f, 0.4f, 0.6f}, {-0.2f, -0.9f, 0.3f}, {0.5f, -0.3f, -0.8f}
  };
  private static final int[] Y = {0, 2, 1, 3, 2, 0};
  // Non-zero start, so that a wrong gradient (a missing softmax, a transposed X) cannot match by symmetry.
  private static final float[][] W0 = {
    {0.1f, -0.2f, 0.05f, 0.3f}, {-0.1f, 0.25f, 0.0f, -0.15f}, {0.2f, 0.1f, -0.3f, 0.05f}
  };
  private static final float[] B0 = {0.05f, -0.1f, 0.2f, 0.0f};

  @Test
  void firstSgdStepMatchesHandComputedGradientAndLossFalls() {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Variable<TFloat32> weights = tf.variable(tf.withInitScope().constant(W0));
      Variable<TFloat32> bias = tf.variable(tf.withInitScope().constant(B0));
      Operand<TFloat32> logits =
          tf.math.add(tf.linalg.matMul(tf.constant(X), tf.identity(weights)), tf.identity(bias));
      // Per-example losses: the optimizer takes the gradient of their mean.
      Operand<TFloat32> losses = tf.nn.sparseSoftmaxCrossEntropyWithLogits(logits, tf.constant(Y)).loss();
      Operand<TFloat32> meanLoss = tf.math.mean(losses, tf.constant(0));

      Op train = Sgd.builder().lr(LR).build(graph).minimize(losses);

      try (Session session = new Session(graph)) {
        double[] lossHistory = new double[6];
        lossHistory[0] = scalar(session, meanLoss);
        assertEquals(referenceLoss(), lossHistory[0], TOLERANCE, "the initial loss");

        session.runner().addTarget(train).run();
        double[][] expectedW = new double[W0.length][W0[0].length];
        double[] expectedB = new double[B0.length];
        referenceStep(expectedW, expectedB);
        float[][] w = matrix(session, weights, W0.length, W0[0].length);
        float[] b = vector(session, bias, B0.length);
        for (int i = 0; i < W0.length; i++) {
          for (int k = 0; k < W0[0].length; k++) {
            assertEquals(expectedW[i][k], w[i][k], TOLERANCE, "W[" + i + "][" + k + "] after one step");
          }
        }
        for (int k = 0; k < B0.length; k++) {
          assertEquals(expectedB[k], b[k], TOLERANCE, "b[" + k + "] after one step");
        }

        for (int step = 1; step < lossHistory.length; step++) {
          lossHistory[step] = scalar(session, meanLoss);
          session.runner().addTarget(train).run();
        }
        for (int step = 1; step < lossHistory.length; step++) {
          assertTrue(lossHistory[step] < lossHistory[step - 1],
              "the loss falls at every step: " + Arrays.toString(lossHistory));
        }
      }
    }
  }

  /** Row-wise softmax of X W0 + b0, in doubles. */
  private static double[][] referenceSoftmax() {
    double[][] p = new double[X.length][B0.length];
    for (int n = 0; n < X.length; n++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < B0.length; k++) {
        double z = B0[k];
        for (int i = 0; i < W0.length; i++) {
          z += (double) X[n][i] * W0[i][k];
        }
        p[n][k] = z;
        max = Math.max(max, z);
      }
      double sum = 0;
      for (int k = 0; k < B0.length; k++) {
        p[n][k] = Math.exp(p[n][k] - max);
        sum += p[n][k];
      }
      for (int k = 0; k < B0.length; k++) {
        p[n][k] /= sum;
      }
    }
    return p;
  }

  /** Mean cross-entropy -log p[n][y_n] at the start. */
  private static double referenceLoss() {
    double[][] p = referenceSoftmax();
    double sum = 0;
    for (int n = 0; n < X.length; n++) {
      sum -= Math.log(p[n][Y[n]]);
    }
    return sum / X.length;
  }

  /** W - lr X^T (softmax(X W + b) - onehot(y)) / B and b - lr Σ_n (softmax - onehot)_n / B. */
  private static void referenceStep(double[][] w, double[] b) {
    double[][] delta = referenceSoftmax();
    for (int n = 0; n < X.length; n++) {
      delta[n][Y[n]] -= 1;
    }
    int batch = X.length;
    for (int k = 0; k < B0.length; k++) {
      double gradB = 0;
      for (int n = 0; n < batch; n++) {
        gradB += delta[n][k];
      }
      b[k] = B0[k] - LR * gradB / batch;
      for (int i = 0; i < W0.length; i++) {
        double gradW = 0;
        for (int n = 0; n < batch; n++) {
          gradW += X[n][i] * delta[n][k];
        }
        w[i][k] = W0[i][k] - LR * gradW / batch;
      }
    }
  }

  private static double scalar(Session session, Operand<TFloat32> x) {
    try (Result r = session.runner().fetch(x).run()) {
      return ((TFloat32) r.get(0)).getFloat();
    }
  }

  private static float[] vector(Session session, Operand<TFloat32> x, int size) {
    try (Result r = session.runner().fetch(x).run()) {
      TFloat32 t = (TFloat32) r.get(0);
      float[] out = new float[size];
      for (int i = 0; i < size; i++) {
        out[i] = t.getFloat(i);
      }
      return out;
    }
  }

  private static float[][] matrix(Session session, Operand<TFloat32> x, int rows, int cols) {
    try (Result r = session.runner().fetch(x).run()) {
      TFloat32 t = (TFloat32) r.get(0);
      float[][] out = new float[rows][cols];
      for (int i = 0; i < rows; i++) {
        for (int j = 0; j < cols; j++) {
          out[i][j] = t.getFloat(i, j);
        }
      }
      return out;
    }
  }
}
