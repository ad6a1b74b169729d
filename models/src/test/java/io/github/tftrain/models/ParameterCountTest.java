package io.github.tftrain.models;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/** Trainable parameter counts equal the published ones (10 classes); batch-norm moving statistics do not count. */
class ParameterCountTest {

  private static long count(java.util.function.BiConsumer<Network<TFloat32>, Operand<TFloat32>> build) {
    try (Graph g = new Graph()) {
      Network<TFloat32> net = Network.create(g, "model", Init.KAIMING_UNIFORM, 1);
      Operand<TFloat32> images =
          net.tf().placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 32, 32, 3)));
      build.accept(net, images);
      return net.parameterCount();
    }
  }

  @Test
  void wideResNet16x4() {
    assertEquals(2_748_890, count((net, x) -> WideResNet.build(net, x, 16, 4, 10, 0.0)));
  }

  @Test
  void wideResNet28x10() {
    assertEquals(36_479_194, count((net, x) -> WideResNet.build(net, x, 28, 10, 10, 0.3)));
  }

  @Test
  void cifarResNet18() {
    assertEquals(11_173_962, count((net, x) -> CifarResNet.build(net, x, CifarResNet.Architecture.RESNET18, 10)));
  }

  /**
   * ResNet-110 (He et al. §4.2, projection shortcuts as bearpaw/pytorch-classification's {@code resnet}, depth 110),
   * counted by hand: a 3x3 convolution with c_in inputs and c_out outputs has 9 c_in c_out weights, a batch norm 2c
   * (scale and offset; the moving statistics are not trainable), a 1x1 projection c_in c_out.
   */
  @Test
  void cifarResNet110() {
    long stem = 3 * 3 * 3 * 16 + 2 * 16; // 432 + 32
    long basic16 = 2 * (3 * 3 * 16 * 16) + 2 * (2 * 16); // two convs + two BNs: 4,672
    long stage1 = 18 * basic16; // 84,096
    long firstOf2 = 3 * 3 * 16 * 32 + 3 * 3 * 32 * 32 + 2 * (2 * 32) + 16 * 32 + 2 * 32; // 14,528 with projection
    long basic32 = 2 * (3 * 3 * 32 * 32) + 2 * (2 * 32); // 18,560
    long stage2 = firstOf2 + 17 * basic32; // 330,048
    long firstOf3 = 3 * 3 * 32 * 64 + 3 * 3 * 64 * 64 + 2 * (2 * 64) + 32 * 64 + 2 * 64; // 57,728
    long basic64 = 2 * (3 * 3 * 64 * 64) + 2 * (2 * 64); // 73,984
    long stage3 = firstOf3 + 17 * basic64; // 1,315,456
    long classifier = 64 * 10 + 10;
    long expected = stem + stage1 + stage2 + stage3 + classifier;
    assertEquals(1_730_714, expected, "the derivation above");
    assertEquals(expected, count((net, x) -> CifarResNet.build(net, x, CifarResNet.Architecture.RESNET110, 10)));
    // 110 = the stem + 2 convolutions in each of 3 * 18 blocks + the classifier (projections are not counted)
    assertEquals(110, 1 + 2 * 3 * 18 + 1);
  }

  /** The bottleneck models of Table 7: ResNet-50 as the common CIFAR implementation, WRN-50-2 as torchvision. */
  @Test
  void bottleneckResNets() {
    assertEquals(23_520_842, count((net, x) -> CifarResNet.build(net, x, CifarResNet.Architecture.RESNET50, 10)));
    assertEquals(
        // torchvision wide_resnet50_2 (68,883,240) with the 3x3 CIFAR stem and a 10-class head:
        // 68,883,240 - 7*7*3*64 + 3*3*3*64 - (2048*1000 + 1000) + (2048*10 + 10)
        68_883_240 - 9_408 + 1_728 - 2_049_000 + 20_490,
        count((net, x) -> CifarResNet.build(net, x, CifarResNet.Architecture.WIDE_RESNET50_2, 10)));
  }
}
