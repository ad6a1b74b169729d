package io.github.tftrain.models;

import static io.github.tftrain.models.NetworkGradients.randomConstant;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat64;

/** Finite-difference checks of every layer's weight gradients, in float64 (tolerance relative 1e-5). */
class LayerGradientTest {
  private static final double TOLERANCE = 1e-5;

  @Test
  void dense() {
    NetworkGradients.check("dense", net -> Layers.dense(net.scope("d"), randomConstant(net, 1, 3, 4), 5, true),
        false, 20, TOLERANCE);
  }

  @Test
  void denseOnRank3Input() {
    NetworkGradients.check("dense rank 3",
        net -> Layers.dense(net.scope("d"), randomConstant(net, 2, 2, 3, 4), 3, true), false, 12, TOLERANCE);
  }

  @Test
  void conv2dStrided() {
    NetworkGradients.check("conv2d",
        net -> Layers.conv2d(net.scope("c"), randomConstant(net, 3, 2, 5, 5, 2), 3, 3, 2, true), false, 20,
        TOLERANCE);
  }

  @Test
  void conv2dTranspose() {
    NetworkGradients.check("conv2dTranspose",
        net -> Layers.conv2dTranspose(net.scope("t"), randomConstant(net, 4, 2, 3, 3, 2), 3, 5, 2, true), false,
        20, TOLERANCE);
  }

  /** In training mode: batch statistics, differentiated through the mean and variance. */
  @Test
  void batchNormTraining() {
    NetworkGradients.check("batchNorm",
        net -> {
          Operand<TFloat64> x = Layers.conv2d(net.scope("c"), randomConstant(net, 5, 3, 3, 3, 2), 2, 1, 1, false);
          return Layers.batchNorm(net.scope("bn"), x);
        },
        true, 10, TOLERANCE);
  }

  /**
   * Synchronised batch norm's composed path (E[x] and E[x²] through the cross-replica mean; one process here), against
   * finite differences.
   */
  @Test
  void batchNormTrainingSynchronised() {
    NetworkGradients.check("batchNorm synchronised",
        net -> {
          Operand<TFloat64> x = Layers.conv2d(net.scope("c"), randomConstant(net, 5, 3, 3, 3, 2), 2, 1, 1, false);
          return Layers.batchNorm(net.scope("bn"), x);
        },
        true, 10, TOLERANCE, 1e-6, CrossReplicaMean.single());
  }

  @Test
  void layerNorm() {
    NetworkGradients.check("layerNorm",
        net -> Layers.layerNorm(net.scope("ln"), Layers.dense(net.scope("d"), randomConstant(net, 6, 3, 4), 5, true),
            1e-5),
        false, 10, TOLERANCE);
  }

  /** With the training switch on and a fixed step, the mask is a constant and the layer is linear in x. */
  @Test
  void dropoutTraining() {
    NetworkGradients.check("dropout",
        net -> Layers.dropout(net.scope("drop"),
            Layers.dense(net.scope("d"), randomConstant(net, 7, 4, 6), 6, false), 0.4),
        true, 20, TOLERANCE);
  }

  @Test
  void embedding() {
    NetworkGradients.check("embedding",
        net -> Layers.embedding(net.scope("e"), net.tf().constant(new int[][] {{1, 3}, {3, 0}}), 5, 4).vectors(),
        false, 20, TOLERANCE);
  }

  /**
   * The unrolled LSTM (float64; the fused op has no float64 kernel), with the input and the initial state produced
   * by dense layers, so the gradients flowing into x, h_0 and c_0 are checked through those layers' weights too.
   */
  @Test
  void lstm() {
    NetworkGradients.check("lstm",
        net -> {
          Ops tf = net.tf();
          Operand<TFloat64> x = Layers.dense(net.scope("in"), randomConstant(net, 10, 2, 3, 3), 3, false);
          Operand<TFloat64> h0 = tf.math.tanh(Layers.dense(net.scope("h0"), randomConstant(net, 11, 2, 2), 4, false));
          Operand<TFloat64> c0 = Layers.dense(net.scope("c0"), randomConstant(net, 12, 2, 2), 4, false);
          Layers.LstmOutput<TFloat64> out = Layers.lstm(net.scope("lstm"), x, 4, new Layers.LstmState<>(h0, c0));
          Operand<TFloat64> flat = tf.reshape(out.outputs(), tf.constant(new int[] {2, -1}));
          return tf.concat(List.of(flat, out.last().cell()), tf.constant(1));
        },
        false, 16, TOLERANCE);
  }

  /** The table receives gradient from both the lookup and the decoder it is tied to. */
  @Test
  void tiedDecoder() {
    NetworkGradients.check("tiedDecoder",
        net -> {
          Layers.Embedding<TFloat64> embedded =
              Layers.embedding(net.scope("e"), net.tf().constant(new int[][] {{1, 3, 2}, {3, 0, 4}}), 5, 4);
          Operand<TFloat64> hidden = net.tf().math.tanh(embedded.vectors());
          return Layers.tiedDecoder(net.scope("decoder"), hidden, embedded);
        },
        false, 20, TOLERANCE);
  }

  @Test
  void causalSelfAttention() {
    NetworkGradients.check("causalSelfAttention",
        net -> Layers.causalSelfAttention(net.scope("attn"), randomConstant(net, 20, 2, 4, 6), 2), false, 12,
        TOLERANCE);
  }
}
