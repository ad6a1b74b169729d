package io.github.tftrain.models;

import static io.github.tftrain.models.Layers.causalSelfAttention;
import static io.github.tftrain.models.Layers.dense;
import static io.github.tftrain.models.Layers.dropout;
import static io.github.tftrain.models.Layers.embedding;
import static io.github.tftrain.models.Layers.layerNorm;

import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TFloating;

/**
 * A small causal Transformer language model (the KaFiStO paper's "tiny Transformer": 2 layers, 2 heads): token plus
 * learned position embeddings, pre-norm blocks (x + attention(LN(x)), then x + FFN(LN(x)) with a 4x GELU FFN),
 * dropout after the embeddings and each sub-layer, a final layer norm and a decoder tied to the token embedding.
 */
public final class TransformerLanguageModel {
  private TransformerLanguageModel() {}

  /**
   * @param inputs token ids [batch, steps], steps known
   * @param width model width (divisible by heads)
   * @return logits [batch, steps, vocabulary]
   */
  public static <T extends TFloating> Operand<T> build(
      Network<T> net, Operand<TInt32> inputs, int vocabulary, int width, int heads, int layers, double dropoutRate) {
    Shape shape = inputs.shape();
    if (shape.numDimensions() != 2 || shape.get(1) < 0) {
      throw new IllegalArgumentException("Transformer inputs must be [batch, steps] with known steps, got " + shape);
    }
    long steps = shape.get(1);
    Ops tf = net.tf();
    Layers.Embedding<T> tokens = embedding(net.scope("embedding"), inputs, vocabulary, width);
    Ops init = tf.withInitScope();
    Variable<T> positions =
        net.scope("position").trainable(
            "table",
            init.math.mul(
                init.random.statelessRandomNormal(
                    init.constant(new long[] {steps, width}),
                    init.constant(new long[] {net.nextSeed(), 0}),
                    net.type()),
                init.dtypes.cast(init.constant(0.02), net.type())));
    Operand<T> x = tf.math.add(tokens.vectors(), tf.identity(positions));
    x = dropout(net.scope("embedding_dropout"), x, dropoutRate);
    for (int l = 0; l < layers; l++) {
      Network<T> block = net.scope("block" + (l + 1));
      Operand<T> attended = causalSelfAttention(block.scope("attention"), layerNorm(block.scope("ln1"), x, 1e-5), heads);
      x = tf.math.add(x, dropout(block.scope("attention_dropout"), attended, dropoutRate));
      Operand<T> hidden = gelu(net, dense(block.scope("ffn1"), layerNorm(block.scope("ln2"), x, 1e-5), 4 * width, true));
      x = tf.math.add(x, dropout(block.scope("ffn_dropout"), dense(block.scope("ffn2"), hidden, width, true), dropoutRate));
    }
    x = layerNorm(net.scope("final_ln"), x, 1e-5);
    return Layers.tiedDecoder(net.scope("decoder"), x, tokens);
  }

  /** GELU, exactly: x/2 (1 + erf(x / sqrt 2)). */
  private static <T extends TFloating> Operand<T> gelu(Network<T> net, Operand<T> x) {
    Ops tf = net.tf();
    return tf.math.mul(
        tf.math.mul(net.constant(0.5), x),
        tf.math.add(net.constant(1.0), tf.math.erf(tf.math.mul(x, net.constant(1 / Math.sqrt(2))))));
  }
}
