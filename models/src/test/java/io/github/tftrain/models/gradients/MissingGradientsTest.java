package io.github.tftrain.models.gradients;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.tftrain.gradients.MissingGradients;
import io.github.tftrain.models.gradients.FiniteDifferences.Input;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.types.TFloat64;

/**
 * Each gradient {@link MissingGradients} (module tf-gradients) registers against finite differences: the op whose
 * gradient was missing is built directly and differentiated, so the registered function is what is checked (in
 * float64).
 */
class MissingGradientsTest {
  private static final double TOLERANCE = 1e-6;

  @Test
  void registersOncePerProcess() {
    MissingGradients.register();
    assertEquals(List.of(), MissingGradients.register());
    assertTrue(MissingGradients.opTypes().contains("SparseSoftmaxCrossEntropyWithLogits"));
  }

  @Test
  void sparseSoftmaxCrossEntropy() {
    FiniteDifferences.check(
        "SparseSoftmaxCrossEntropyWithLogits",
        (tf, x) -> tf.nn.sparseSoftmaxCrossEntropyWithLogits(x.get(0), tf.constant(new int[] {2, 0, 1})).loss(),
        TOLERANCE,
        Input.random(1, -2, 2, 0, 3, 4));
  }

  /** Through the backprop output: the Hessian term of the gradient. */
  @Test
  void sparseSoftmaxCrossEntropyBackpropOutput() {
    FiniteDifferences.check(
        "SparseSoftmaxCrossEntropyWithLogits backprop",
        (tf, x) -> tf.nn.sparseSoftmaxCrossEntropyWithLogits(x.get(0), tf.constant(new int[] {1, 3})).backprop(),
        TOLERANCE,
        Input.random(2, -2, 2, 0, 2, 4));
  }

  @Test
  void reluGrad() {
    FiniteDifferences.check(
        "ReluGrad", (tf, x) -> tf.nn.reluGrad(x.get(0), x.get(1)), TOLERANCE,
        Input.random(3, -1, 1, 0, 2, 5), Input.random(4, -1, 1, 0.05, 2, 5));
  }

  @Test
  void tanhGrad() {
    FiniteDifferences.check(
        "TanhGrad", (tf, x) -> tf.math.tanhGrad(x.get(0), x.get(1)), TOLERANCE,
        Input.random(5, -0.9, 0.9, 0, 6), Input.random(6, -1, 1, 0, 6));
  }

  @Test
  void sigmoidGrad() {
    FiniteDifferences.check(
        "SigmoidGrad", (tf, x) -> tf.math.sigmoidGrad(x.get(0), x.get(1)), TOLERANCE,
        Input.random(7, 0.05, 0.95, 0, 6), Input.random(8, -1, 1, 0, 6));
  }

  @Test
  void biasAddGrad() {
    FiniteDifferences.check(
        "BiasAddGrad", (tf, x) -> tf.nn.biasAddGrad(x.get(0)), TOLERANCE, Input.random(9, -1, 1, 0, 2, 3, 3, 4));
  }

  @Test
  void conv2dBackpropFilter() {
    FiniteDifferences.check(
        "Conv2DBackpropFilter",
        (tf, x) ->
            tf.nn.conv2dBackpropFilter(
                x.get(0), tf.constant(new int[] {3, 3, 2, 4}), x.get(1), List.of(1L, 2L, 2L, 1L), "SAME"),
        TOLERANCE,
        Input.random(10, -1, 1, 0, 1, 5, 5, 2),
        Input.random(11, -1, 1, 0, 1, 3, 3, 4));
  }

  /** MaxPoolGradV2 (window sizes as inputs, what tf.nn.maxPoolGrad builds). */
  @Test
  void maxPoolGradV2() {
    FiniteDifferences.check(
        "MaxPoolGradV2",
        (tf, x) -> {
          Operand<TFloat64> input = tf.constant(new double[][][][] {{{{1}, {5}, {2}, {0}}, {{3}, {4}, {9}, {7}},
              {{8}, {2}, {6}, {1}}, {{0}, {3}, {4}, {2}}}});
          Operand<TFloat64> pooled = tf.nn.maxPool(input, tf.constant(new int[] {1, 2, 2, 1}),
              tf.constant(new int[] {1, 2, 2, 1}), "VALID");
          return tf.nn.maxPoolGrad(input, pooled, x.get(0), tf.constant(new int[] {1, 2, 2, 1}),
              tf.constant(new int[] {1, 2, 2, 1}), "VALID");
        },
        TOLERANCE,
        Input.random(12, -1, 1, 0, 1, 2, 2, 1));
  }

  /** MaxPoolGrad (window sizes as attributes). */
  @Test
  void maxPoolGrad() {
    FiniteDifferences.check(
        "MaxPoolGrad",
        (tf, x) -> {
          Operand<TFloat64> input = tf.constant(new double[][][][] {{{{1}, {5}, {2}, {0}}, {{3}, {4}, {9}, {7}},
              {{8}, {2}, {6}, {1}}, {{0}, {3}, {4}, {2}}}});
          Operation pooled = tf.scope().opBuilder("MaxPool", "MaxPool").addInput(input.asOutput())
              .setAttr("ksize", new long[] {1, 2, 2, 1}).setAttr("strides", new long[] {1, 2, 2, 1})
              .setAttr("padding", "VALID").build();
          Operation grad = tf.scope().opBuilder("MaxPoolGrad", "MaxPoolGrad").addInput(input.asOutput())
              .addInput(pooled.output(0)).addInput(x.get(0).asOutput())
              .setAttr("ksize", new long[] {1, 2, 2, 1}).setAttr("strides", new long[] {1, 2, 2, 1})
              .setAttr("padding", "VALID").build();
          return grad.output(0);
        },
        TOLERANCE,
        Input.random(17, -1, 1, 0, 1, 2, 2, 1));
  }

  /** More gradients than JavaCPP has callback slots: all registered through one adapter, all callable. */
  @Test
  void everyRegisteredGradientIsCallable() {
    assertTrue(MissingGradients.opTypes().size() > 10, "the shared adapter matters only past 10 op types");
    onesLike();
    gatherV1();
    maxPoolGradV2();
  }

  @Test
  void avgPoolGrad() {
    FiniteDifferences.check(
        "AvgPoolGrad",
        (tf, x) -> tf.nn.avgPoolGrad(tf.constant(new int[] {1, 4, 4, 2}), x.get(0), List.of(1L, 2L, 2L, 1L),
            List.of(1L, 2L, 2L, 1L), "VALID"),
        TOLERANCE,
        Input.random(13, -1, 1, 0, 1, 2, 2, 2));
  }

  @Test
  void stridedSliceGrad() {
    FiniteDifferences.check(
        "StridedSliceGrad",
        (tf, x) -> tf.stridedSliceGrad(tf.constant(new int[] {5, 4}), tf.constant(new int[] {1, 0}),
            tf.constant(new int[] {5, 4}), tf.constant(new int[] {2, 1}), x.get(0)),
        TOLERANCE,
        Input.random(14, -1, 1, 0, 2, 4));
  }

  /** Gather v1 with a repeated id: the dense gradient sums the rows of both. */
  @Test
  void gatherV1() {
    FiniteDifferences.check(
        "Gather",
        (tf, x) -> {
          Operation op = tf.scope().opBuilder("Gather", "Gather").addInput(x.get(0).asOutput())
              .addInput(tf.constant(new int[] {2, 0, 2}).asOutput()).build();
          return op.output(0);
        },
        TOLERANCE,
        Input.random(15, -1, 1, 0, 4, 3));
  }

  @Test
  void onesLike() {
    FiniteDifferences.check(
        "OnesLike", (tf, x) -> tf.math.mul(x.get(0), tf.onesLike(x.get(0))), TOLERANCE, Input.random(16, -1, 1, 0, 5));
  }

}
