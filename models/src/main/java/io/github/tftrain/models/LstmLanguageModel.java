package io.github.tftrain.models;

import static io.github.tftrain.models.Layers.dropout;
import static io.github.tftrain.models.Layers.embedding;

import io.github.tftrain.models.Layers.LstmState;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TFloating;

/**
 * Word-level LSTM language model (the KaFiStO paper's Table 9): embedding, stacked LSTM layers, dropout on the
 * embeddings, between layers and on the output, and a decoder tied to the embedding (logits = h E^T + b, so the
 * hidden size equals the embedding size). Sizes: tiny 200/200, large 1500/1500; dropout 0.65 in the paper.
 *
 * <p>Windows of truncated BPTT are consecutive: each layer's hidden and cell state enter through placeholders
 * ({@link Model#initialStates()}, zeros by default) and leave as {@link Model#finalStates()}; feed the values of one
 * window's final states as the next window's initial states.
 */
public final class LstmLanguageModel {
  /** The paper's sizes. */
  public static final int TINY = 200;
  public static final int LARGE = 1500;

  private LstmLanguageModel() {}

  /**
   * @param logits [batch, steps, vocabulary]
   * @param initialStates per layer, hidden then cell, each a [batch, size] placeholder with default zeros
   * @param finalStates per layer, hidden then cell, after the window
   * @param embedding the (tied) embedding table
   */
  public record Model<T extends TFloating>(
      Operand<T> logits, List<Operand<T>> initialStates, List<Operand<T>> finalStates, Variable<T> embedding) {}

  /**
   * @param inputs token ids [batch, steps] with a known batch size and number of steps
   * @param size embedding = hidden size
   * @param layers LSTM layers (2 in the paper)
   * @param dropoutRate dropout rate (0.65 in the paper)
   */
  public static <T extends TFloating> Model<T> build(
      Network<T> net, Operand<TInt32> inputs, int vocabulary, int size, int layers, double dropoutRate) {
    Shape shape = inputs.shape();
    if (shape.numDimensions() != 2 || shape.get(0) < 0 || shape.get(1) < 0) {
      throw new IllegalArgumentException("LSTM inputs must be [batch, steps] with both known, got " + shape);
    }
    int batch = (int) shape.get(0);
    Ops tf = net.tf();
    Layers.Embedding<T> embedded = embedding(net.scope("embedding"), inputs, vocabulary, size);
    Operand<T> x = dropout(net.scope("embedding_dropout"), embedded.vectors(), dropoutRate);
    List<Operand<T>> initial = new ArrayList<>();
    List<Operand<T>> last = new ArrayList<>();
    for (int l = 0; l < layers; l++) {
      Network<T> layer = net.scope("lstm" + (l + 1));
      Operand<T> zeros = tf.zeros(tf.constant(new long[] {batch, size}), net.type());
      Operand<T> h0 = layer.tf().withName("initial_hidden").placeholderWithDefault(zeros, Shape.of(batch, size));
      Operand<T> c0 = layer.tf().withName("initial_cell").placeholderWithDefault(zeros, Shape.of(batch, size));
      initial.add(h0);
      initial.add(c0);
      Layers.LstmOutput<T> out = Layers.lstm(layer, x, size, new LstmState<>(h0, c0));
      last.add(out.last().hidden());
      last.add(out.last().cell());
      x = out.outputs();
      x = dropout(layer.scope("dropout"), x, dropoutRate);
    }
    Operand<T> logits = Layers.tiedDecoder(net.scope("decoder"), x, embedded);
    return new Model<>(logits, initial, last, embedded.table());
  }
}
