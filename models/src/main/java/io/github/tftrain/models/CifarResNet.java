package io.github.tftrain.models;

import static io.github.tftrain.models.Layers.batchNorm;
import static io.github.tftrain.models.Layers.conv2d;
import static io.github.tftrain.models.Layers.dense;
import static io.github.tftrain.models.Layers.relu;

import org.tensorflow.Operand;
import org.tensorflow.types.family.TFloating;

/**
 * Residual networks with a CIFAR stem (a 3x3 convolution, no max-pooling), post-activation blocks (conv-BN-ReLU,
 * the sum with the shortcut before the last ReLU), a shortcut of 1x1 convolution and batch norm where the shape
 * changes, global average pooling and a linear classifier. Convolutions have no bias.
 *
 * <ul>
 *   <li>The ImageNet-style models of the KaFiStO paper's Table 7: a stem of 64 channels and four stages of 64, 128,
 *       256 and 512 planes with strides 1, 2, 2, 2. ResNet-18 (basic blocks [2, 2, 2, 2], the KaFiStO ablation
 *       model, 11,173,962 parameters for 10 classes), the bottleneck ResNet-50 ([3, 4, 6, 3]) and the wide
 *       bottleneck WRN-50-2 (inner width doubled).
 *   <li>The thin CIFAR ResNet of depth 6n + 2 (He et al., 2016, §4.2), as ResNet-110 (n = 18): a stem of 16
 *       channels and three stages of 18 basic blocks with 16, 32 and 64 planes, strides 1, 2, 2. Where the shape
 *       changes the shortcut is a projection (1x1 convolution with stride, then batch norm), as in the widely used
 *       {@code resnet} of bearpaw/pytorch-classification that the Apollo paper's code trains, rather than the
 *       paper's zero-padded identity; 1,730,714 parameters for 10 classes.
 * </ul>
 */
public final class CifarResNet {
  /** The architectures: stem width, planes and number of blocks per stage, block type. */
  public enum Architecture {
    RESNET18(64, new int[] {64, 128, 256, 512}, new int[] {2, 2, 2, 2}, false, 1),
    RESNET50(64, new int[] {64, 128, 256, 512}, new int[] {3, 4, 6, 3}, true, 1),
    WIDE_RESNET50_2(64, new int[] {64, 128, 256, 512}, new int[] {3, 4, 6, 3}, true, 2),
    /** ResNet-110 for CIFAR: depth 6n + 2 with n = 18 basic blocks in each of three stages of 16, 32, 64 planes. */
    RESNET110(16, new int[] {16, 32, 64}, new int[] {18, 18, 18}, false, 1);

    final int stem;
    final int[] planes;
    final int[] blocks;
    final boolean bottleneck;
    final int widthFactor;

    Architecture(int stem, int[] planes, int[] blocks, boolean bottleneck, int widthFactor) {
      this.stem = stem;
      this.planes = planes;
      this.blocks = blocks;
      this.bottleneck = bottleneck;
      this.widthFactor = widthFactor;
    }
  }

  private CifarResNet() {}

  /**
   * @param images [batch, h, w, channels], normalised
   * @return logits [batch, classes]
   */
  public static <T extends TFloating> Operand<T> build(
      Network<T> net, Operand<T> images, Architecture architecture, int classes) {
    if (classes < 2) {
      throw new IllegalArgumentException("classes must be >= 2, got " + classes);
    }
    int[] planes = architecture.planes;
    Operand<T> x =
        relu(net, batchNorm(net.scope("stem_bn"), conv2d(net.scope("stem"), images, architecture.stem, 3, 1, false)));
    int in = architecture.stem;
    for (int s = 0; s < planes.length; s++) {
      Network<T> stage = net.scope("stage" + (s + 1));
      for (int b = 0; b < architecture.blocks[s]; b++) {
        int stride = (s > 0 && b == 0) ? 2 : 1;
        Network<T> block = stage.scope("block" + (b + 1));
        if (architecture.bottleneck) {
          x = bottleneck(block, x, in, planes[s], planes[s] * architecture.widthFactor, stride);
          in = planes[s] * 4;
        } else {
          x = basic(block, x, in, planes[s], stride);
          in = planes[s];
        }
      }
    }
    return dense(net.scope("classifier"), WideResNet.globalAveragePool(net.tf(), x), classes, true);
  }

  private static <T extends TFloating> Operand<T> basic(Network<T> net, Operand<T> x, int in, int planes, int stride) {
    Operand<T> y = relu(net, batchNorm(net.scope("bn1"), conv2d(net.scope("conv1"), x, planes, 3, stride, false)));
    y = batchNorm(net.scope("bn2"), conv2d(net.scope("conv2"), y, planes, 3, 1, false));
    return relu(net, net.tf().math.add(y, shortcut(net, x, in, planes, stride)));
  }

  private static <T extends TFloating> Operand<T> bottleneck(
      Network<T> net, Operand<T> x, int in, int planes, int width, int stride) {
    int out = planes * 4;
    Operand<T> y = relu(net, batchNorm(net.scope("bn1"), conv2d(net.scope("conv1"), x, width, 1, 1, false)));
    y = relu(net, batchNorm(net.scope("bn2"), conv2d(net.scope("conv2"), y, width, 3, stride, false)));
    y = batchNorm(net.scope("bn3"), conv2d(net.scope("conv3"), y, out, 1, 1, false));
    return relu(net, net.tf().math.add(y, shortcut(net, x, in, out, stride)));
  }

  private static <T extends TFloating> Operand<T> shortcut(Network<T> net, Operand<T> x, int in, int out, int stride) {
    if (in == out && stride == 1) {
      return x;
    }
    return batchNorm(net.scope("shortcut_bn"), conv2d(net.scope("shortcut"), x, out, 1, stride, false));
  }
}
