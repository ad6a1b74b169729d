package io.github.tftrain.cli.models;

import io.github.tftrain.trainer.NonFiniteStepException;

import io.github.tftrain.models.Init;
import io.github.tftrain.models.LstmLanguageModel;
import io.github.tftrain.models.Network;
import io.github.tftrain.models.TransformerLanguageModel;
import io.github.tftrain.models.losses.Losses;
import io.github.tftrain.optimizers.LossAwareOptimizer;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * A word-level language model in a graph, ready to train on BPTT windows: input and target placeholders [batch,
 * steps], per-token cross-entropy (what the optimizer minimises), and for the LSTM the hidden state carried from one
 * window to the next. Gradient clipping is the optimizer's ({@code clipNorm}).
 *
 * <p>Holds the carried state as tensors between steps: {@link #close()} releases them; {@link #resetState()}
 * starts the next window from zeros (at an epoch's start, or between training and evaluation).
 */
public final class LanguageModelTask implements AutoCloseable {
  private final Network<TFloat32> net;
  private final Placeholder<TInt32> inputs;
  private final Placeholder<TInt32> targets;
  private final Operand<TFloat32> logits;
  private final Operand<TFloat32> tokenLosses;
  private final Operand<TFloat32> meanLoss;
  private final List<Operand<TFloat32>> initialStates;
  private final List<Operand<TFloat32>> finalStates;
  private final LossAwareOptimizer optimizer;
  private final Op train;
  private final List<Tensor> carried = new ArrayList<>();

  private LanguageModelTask(
      Network<TFloat32> net, Placeholder<TInt32> inputs, Placeholder<TInt32> targets, Operand<TFloat32> logits,
      Operand<TFloat32> tokenLosses, Operand<TFloat32> meanLoss, List<Operand<TFloat32>> initialStates,
      List<Operand<TFloat32>> finalStates, LossAwareOptimizer optimizer, Op train) {
    this.net = net;
    this.inputs = inputs;
    this.targets = targets;
    this.logits = logits;
    this.tokenLosses = tokenLosses;
    this.meanLoss = meanLoss;
    this.initialStates = initialStates;
    this.finalStates = finalStates;
    this.optimizer = optimizer;
    this.train = train;
  }

  /**
   * @param spec the architecture
   * @param vocabulary vocabulary size
   * @param batch rows per window
   * @param steps tokens per row per window (BPTT length)
   * @param dropout dropout rate (the spec's default is the paper's)
   * @param optimizer makes the optimizer (name scope "optimizer"); set its clipNorm for the LSTM
   */
  public static LanguageModelTask build(
      Graph graph, ModelSpec.LanguageModel spec, int vocabulary, int batch, int steps, Init init, long seed,
      double dropout, OptimizerFactory optimizer) {
    Network<TFloat32> net = Network.create(graph, spec.name().replace('-', '_'), init, seed);
    Ops tf = net.tf();
    Placeholder<TInt32> inputs =
        tf.withName("inputs").placeholder(TInt32.class, Placeholder.shape(Shape.of(batch, steps)));
    Placeholder<TInt32> targets =
        tf.withName("targets").placeholder(TInt32.class, Placeholder.shape(Shape.of(batch, steps)));
    Operand<TFloat32> logits;
    List<Operand<TFloat32>> initial = List.of();
    List<Operand<TFloat32>> last = List.of();
    if (spec.transformer()) {
      logits =
          TransformerLanguageModel.build(net, inputs, vocabulary, spec.size(), spec.heads(), spec.layers(), dropout);
    } else {
      LstmLanguageModel.Model<TFloat32> model =
          LstmLanguageModel.build(net, inputs, vocabulary, spec.size(), spec.layers(), dropout);
      logits = model.logits();
      initial = model.initialStates();
      last = model.finalStates();
    }
    Operand<TFloat32> tokenLosses = Losses.tokenCrossEntropy(tf, logits, targets);
    Operand<TFloat32> meanLoss = tf.math.mean(tokenLosses, tf.constant(0));
    LossAwareOptimizer opt = optimizer.create(graph, "optimizer");
    Op train = opt.minimize(tokenLosses, net.trainableVariables());
    return new LanguageModelTask(net, inputs, targets, logits, tokenLosses, meanLoss, initial, last, opt, train);
  }

  /**
   * One training step on a window, starting from the state the previous window left (zeros after
   * {@link #resetState()}), with dropout keyed by {@code step}.
   *
   * @return the window's mean token cross-entropy before the update
   * @throws NonFiniteStepException if the loss or the gradients were not finite (nothing was updated, and the
   *     carried state is the one the failed window started from)
   */
  public double trainStep(Session session, TInt32 inputWindow, TInt32 targetWindow, long step) {
    return trainStep(session, inputWindow, targetWindow, step, List.of())[0];
  }

  /**
   * {@link #trainStep(Session, TInt32, TInt32, long)} that also fetches scalar float64 diagnostics computed with the
   * update (learning rate, gradient norm, KaFiStO's filter state).
   *
   * @return the mean token cross-entropy, then the extra values in order
   */
  public double[] trainStep(
      Session session, TInt32 inputWindow, TInt32 targetWindow, long step, List<Operand<TFloat64>> extra) {
    return NonFiniteStepException.guard(
        "step " + step, () -> run(session, inputWindow, targetWindow, true, step, train, extra));
  }

  /** The mean token cross-entropy of a window in inference mode, carrying the state like {@link #trainStep}. */
  public double evaluate(Session session, TInt32 inputWindow, TInt32 targetWindow) {
    return run(session, inputWindow, targetWindow, false, 0, null, List.of())[0];
  }

  private double[] run(Session session, TInt32 in, TInt32 out, boolean training, long step, Op target,
      List<Operand<TFloat64>> extra) {
    try (TBool mode = TBool.scalarOf(training);
        TInt64 stepValue = TInt64.scalarOf(step)) {
      Session.Runner runner =
          session.runner()
              .feed(inputs, in)
              .feed(targets, out)
              .feed(net.training(), mode)
              .feed(net.step(), stepValue)
              .fetch(meanLoss);
      for (int i = 0; i < carried.size(); i++) {
        runner.feed(initialStates.get(i), carried.get(i));
      }
      extra.forEach(runner::fetch);
      finalStates.forEach(runner::fetch);
      if (target != null) {
        runner.addTarget(target);
      }
      Result result = runner.run();
      double[] values = new double[1 + extra.size()];
      values[0] = ((TFloat32) result.get(0)).getFloat();
      for (int i = 0; i < extra.size(); i++) {
        values[1 + i] = ((TFloat64) result.get(1 + i)).getDouble();
      }
      resetState();
      for (int i = 1 + extra.size(); i < result.size(); i++) {
        carried.add(result.get(i));
      }
      for (int i = 0; i <= extra.size(); i++) {
        result.get(i).close();
      }
      return values;
    }
  }

  /**
   * The carried state as arrays, one per state tensor (LSTM h and c of each layer), for a checkpoint; empty when
   * the next window starts from zeros.
   */
  public List<float[]> carriedState() {
    List<float[]> out = new ArrayList<>();
    for (Tensor t : carried) {
      float[] values = new float[(int) t.shape().size()];
      ((TFloat32) t).asRawTensor().data().asFloats().read(values);
      out.add(values);
    }
    return out;
  }

  /** Replaces the carried state with {@link #carriedState()}'s output (empty: zeros). */
  public void restoreCarriedState(List<float[]> values) {
    if (!values.isEmpty() && values.size() != initialStates.size()) {
      throw new IllegalArgumentException(
          "the model carries " + initialStates.size() + " state tensors, got " + values.size());
    }
    resetState();
    for (int i = 0; i < values.size(); i++) {
      Shape shape = initialStates.get(i).shape();
      if (shape.size() != values.get(i).length) {
        throw new IllegalArgumentException("state tensor " + i + " has " + shape.size() + " values, got "
            + values.get(i).length);
      }
      carried.add(TFloat32.tensorOf(shape, DataBuffers.of(values.get(i), true, false)));
    }
  }

  /** Drops the carried state: the next window starts from zeros. */
  public void resetState() {
    carried.forEach(Tensor::close);
    carried.clear();
  }

  @Override
  public void close() {
    resetState();
  }

  public Network<TFloat32> network() {
    return net;
  }

  public LossAwareOptimizer optimizer() {
    return optimizer;
  }

  public Placeholder<TInt32> inputs() {
    return inputs;
  }

  public Placeholder<TInt32> targets() {
    return targets;
  }

  /** The window's mean token cross-entropy. */
  public Operand<TFloat32> meanLoss() {
    return meanLoss;
  }

  /** The state fed in (zeros when not fed); empty for the Transformer. */
  public List<Operand<TFloat32>> initialStates() {
    return initialStates;
  }

  /** The state after the window, to feed to the next one. */
  public List<Operand<TFloat32>> finalStates() {
    return finalStates;
  }

  public Operand<TFloat32> logits() {
    return logits;
  }

  /** Per-token cross-entropy [batch * steps]. */
  public Operand<TFloat32> tokenLosses() {
    return tokenLosses;
  }

  /** The train op (the language models have no batch norm, so nothing else runs with it). */
  public Op trainOp() {
    return train;
  }
}
