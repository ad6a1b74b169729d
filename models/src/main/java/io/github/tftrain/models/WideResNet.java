package io.github.tftrain.models;

import static io.github.tftrain.models.Layers.batchNorm;
import static io.github.tftrain.models.Layers.conv2d;
import static io.github.tftrain.models.Layers.dense;
import static io.github.tftrain.models.Layers.dropout;
import static io.github.tftrain.models.Layers.relu;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.family.TFloating;

/**
 * Wide residual network WRN-d-k (Zagoruyko &amp; Komodakis, 2016) for 32x32 images, pre-activation: a 3x3
 * convolution to 16 channels, three groups of n = (d - 4) / 6 blocks with 16k, 32k and 64k channels (strides 1, 2,
 * 2), batch norm and ReLU, global average pooling and a linear classifier. A block is BN-ReLU-conv3x3-BN-ReLU-
 * (dropout)-conv3x3 plus the input, through a 1x1 convolution of the pre-activated input where the shape changes.
 * Convolutions have no bias. WRN-16-4 has 2,748,890 parameters and WRN-28-10 36,479,194 (10 classes).
 */
public final class WideResNet {
  private WideResNet() {}

  /**
   * @param net the scope to build in (e.g. {@code Network.create(graph, "wrn", ...)})
   * @param images [batch, 32, 32, channels], normalised
   * @param depth d = 6n + 4
   * @param widen k
   * @param classes number of classes
   * @param dropoutRate dropout between the convolutions of a block (0 for none)
   * @return logits [batch, classes]
   */
  public static <T extends TFloating> Operand<T> build(
      Network<T> net, Operand<T> images, int depth, int widen, int classes, double dropoutRate) {
    if (depth < 10 || (depth - 4) % 6 != 0) {
      throw new IllegalArgumentException("WRN depth must be 6n + 4 with n >= 1 (10, 16, 22, 28, 40), got " + depth);
    }
    if (widen < 1 || classes < 2) {
      throw new IllegalArgumentException("WRN needs widen >= 1 and classes >= 2, got " + widen + ", " + classes);
    }
    int blocks = (depth - 4) / 6;
    int[] widths = {16 * widen, 32 * widen, 64 * widen};
    Operand<T> x = conv2d(net.scope("stem"), images, 16, 3, 1, false);
    int channels = 16;
    for (int g = 0; g < 3; g++) {
      Network<T> group = net.scope("group" + (g + 1));
      for (int b = 0; b < blocks; b++) {
        int stride = (g > 0 && b == 0) ? 2 : 1;
        x = block(group.scope("block" + (b + 1)), x, channels, widths[g], stride, dropoutRate);
        channels = widths[g];
      }
    }
    x = relu(net, batchNorm(net.scope("final_bn"), x));
    return dense(net.scope("classifier"), globalAveragePool(net.tf(), x), classes, true);
  }

  private static <T extends TFloating> Operand<T> block(
      Network<T> net, Operand<T> x, int in, int out, int stride, double dropoutRate) {
    Operand<T> activated = relu(net, batchNorm(net.scope("bn1"), x));
    Operand<T> y = conv2d(net.scope("conv1"), activated, out, 3, stride, false);
    y = relu(net, batchNorm(net.scope("bn2"), y));
    y = dropout(net.scope("dropout"), y, dropoutRate);
    y = conv2d(net.scope("conv2"), y, out, 3, 1, false);
    Operand<T> shortcut =
        (in == out && stride == 1) ? x : conv2d(net.scope("shortcut"), activated, out, 1, stride, false);
    return net.tf().math.add(y, shortcut);
  }

  static <T extends TFloating> Operand<T> globalAveragePool(Ops tf, Operand<T> x) {
    return tf.math.mean(x, tf.constant(new int[] {1, 2}));
  }
}
