package io.github.tftrain.cli.models;

import io.github.tftrain.trainer.NonFiniteStepException;

import io.github.tftrain.models.CifarResNet;
import io.github.tftrain.models.Init;
import io.github.tftrain.models.Network;
import io.github.tftrain.models.WideResNet;
import io.github.tftrain.models.losses.Losses;
import io.github.tftrain.optimizers.LossAwareOptimizer;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * An image classifier in a graph, ready to train: image and label placeholders, per-example cross-entropy (what
 * the optimizer minimises, so KaFiStO sees per-example losses), top-1/top-5 error, and one train step that applies
 * the optimizer and the batch-norm moving-average updates together.
 */
public final class ImageClassifierTask {
  private final Network<TFloat32> net;
  private final Operand<TFloat32> images;
  private final Placeholder<TInt32> labels;
  private final Operand<TFloat32> logits;
  private final Operand<TFloat32> losses;
  private final Operand<TFloat32> meanLoss;
  private final Operand<TFloat32> top1Error;
  private final Operand<TFloat32> top5Error;
  private final LossAwareOptimizer optimizer;
  private final List<Op> trainTargets;

  private ImageClassifierTask(
      Network<TFloat32> net, Operand<TFloat32> images, Placeholder<TInt32> labels, Operand<TFloat32> logits,
      Operand<TFloat32> losses, Operand<TFloat32> meanLoss, Operand<TFloat32> top1Error, Operand<TFloat32> top5Error,
      LossAwareOptimizer optimizer, List<Op> trainTargets) {
    this.net = net;
    this.images = images;
    this.labels = labels;
    this.logits = logits;
    this.losses = losses;
    this.meanLoss = meanLoss;
    this.top1Error = top1Error;
    this.top5Error = top5Error;
    this.optimizer = optimizer;
    this.trainTargets = trainTargets;
  }

  /**
   * Builds the model, loss and train op in {@code graph}.
   *
   * @param spec the architecture
   * @param height image height (32 for the CIFAR models)
   * @param width image width
   * @param channels image channels
   * @param classes number of classes
   * @param init kernel initializer
   * @param seed seed of the initializers and dropout masks
   * @param dropout WideResNet dropout rate between a block's convolutions (must be 0 for the ResNets, which have
   *     none)
   * @param optimizer makes the optimizer (name scope "optimizer")
   */
  public static ImageClassifierTask build(
      Graph graph, ModelSpec.ImageClassifier spec, int height, int width, int channels, int classes, Init init,
      long seed, double dropout, OptimizerFactory optimizer) {
    return build(graph, spec, height, width, channels, classes, init, seed, dropout, optimizer, null);
  }

  /**
   * {@link #build} whose {@code images} input, when not fed, is {@code defaultImages} (a SavedModel's preprocessing
   * of raw pixels); null for a plain placeholder.
   */
  public static ImageClassifierTask build(
      Graph graph, ModelSpec.ImageClassifier spec, int height, int width, int channels, int classes, Init init,
      long seed, double dropout, OptimizerFactory optimizer, Operand<TFloat32> defaultImages) {
    return build(graph, spec, height, width, channels, classes, init, seed, dropout, optimizer, defaultImages, null);
  }

  /**
   * {@link #build} whose batch norm layers use the global batch's statistics, averaged over the replicas by
   * {@code syncBatchNorm} (null: each replica's own).
   */
  public static ImageClassifierTask build(
      Graph graph, ModelSpec.ImageClassifier spec, int height, int width, int channels, int classes, Init init,
      long seed, double dropout, OptimizerFactory optimizer, Operand<TFloat32> defaultImages,
      io.github.tftrain.models.CrossReplicaMean syncBatchNorm) {
    if (!spec.isWideResNet() && dropout != 0) {
      throw new IllegalArgumentException(spec.name() + " has no dropout layers; dropout must be 0, got " + dropout);
    }
    Network<TFloat32> net = Network.create(graph, modelScope(spec), init, seed, TFloat32.class, syncBatchNorm);
    Ops tf = net.tf();
    Operand<TFloat32> images = defaultImages == null
        ? tf.withName("images").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, height, width, channels)))
        : tf.withName("images").placeholderWithDefault(defaultImages, Shape.of(-1, height, width, channels));
    Placeholder<TInt32> labels = tf.withName("labels").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1)));
    Operand<TFloat32> logits =
        spec.isWideResNet()
            ? WideResNet.build(net, images, spec.depth(), spec.widen(), classes, dropout)
            : CifarResNet.build(net, images, spec.resnet(), classes);
    Operand<TFloat32> losses = Losses.softmaxCrossEntropy(tf, logits, labels);
    Operand<TFloat32> meanLoss = tf.math.mean(losses, tf.constant(0));
    Operand<TFloat32> top1 = Losses.topKError(tf, logits, labels, 1);
    Operand<TFloat32> top5 = Losses.topKError(tf, logits, labels, Math.min(5, classes));
    LossAwareOptimizer opt = optimizer.create(graph, "optimizer");
    List<Op> targets = new ArrayList<>();
    targets.add(opt.minimize(losses, net.trainableVariables()));
    targets.addAll(net.updates(opt.finiteCheck()));
    return new ImageClassifierTask(net, images, labels, logits, losses, meanLoss, top1, top5, opt, targets);
  }

  private static String modelScope(ModelSpec spec) {
    return spec.name().replace('-', '_');
  }

  /**
   * One training step on a batch: batch statistics, dropout keyed by {@code step}, the optimizer's update and the
   * moving-average updates.
   *
   * @return the batch's mean loss before the update
   * @throws NonFiniteStepException if the loss or the gradients were not finite (nothing was updated)
   */
  public double trainStep(Session session, TFloat32 imageBatch, TInt32 labelBatch, long step) {
    return trainStep(session, imageBatch, labelBatch, step, List.of())[0];
  }

  /**
   * {@link #trainStep(Session, TFloat32, TInt32, long)} that also fetches scalar diagnostics computed with the update
   * (the learning rate, KaFiStO's gain and noise terms).
   *
   * @param extra scalar float64 operands to fetch with the step
   * @return the mean loss, then the extra values in order
   */
  public double[] trainStep(
      Session session, TFloat32 imageBatch, TInt32 labelBatch, long step, List<Operand<TFloat64>> extra) {
    return NonFiniteStepException.guard(
        "step " + step, () -> runTrainStep(session, imageBatch, labelBatch, step, extra));
  }

  private double[] runTrainStep(
      Session session, TFloat32 imageBatch, TInt32 labelBatch, long step, List<Operand<TFloat64>> extra) {
    try (TBool training = TBool.scalarOf(true);
        TInt64 stepValue = TInt64.scalarOf(step)) {
      Session.Runner runner =
          session.runner()
              .feed(images, imageBatch)
              .feed(labels, labelBatch)
              .feed(net.training(), training)
              .feed(net.step(), stepValue)
              .fetch(meanLoss);
      extra.forEach(runner::fetch);
      trainTargets.forEach(runner::addTarget);
      try (Result r = runner.run()) {
        double[] out = new double[1 + extra.size()];
        out[0] = ((TFloat32) r.get(0)).getFloat();
        for (int i = 0; i < extra.size(); i++) {
          out[1 + i] = ((TFloat64) r.get(1 + i)).getDouble();
        }
        return out;
      }
    }
  }

  /** Mean loss, top-1 and top-5 error of a batch in inference mode (moving statistics, no dropout). */
  public Evaluation evaluate(Session session, TFloat32 imageBatch, TInt32 labelBatch) {
    try (Result r =
        session.runner()
            .feed(images, imageBatch)
            .feed(labels, labelBatch)
            .fetch(meanLoss)
            .fetch(top1Error)
            .fetch(top5Error)
            .run()) {
      return new Evaluation(
          ((TFloat32) r.get(0)).getFloat(), ((TFloat32) r.get(1)).getFloat(), ((TFloat32) r.get(2)).getFloat());
    }
  }

  /** A batch's mean loss and errors. */
  public record Evaluation(double loss, double top1Error, double top5Error) {}

  public Network<TFloat32> network() {
    return net;
  }

  public LossAwareOptimizer optimizer() {
    return optimizer;
  }

  public Operand<TFloat32> images() {
    return images;
  }

  public Placeholder<TInt32> labels() {
    return labels;
  }

  public Operand<TFloat32> logits() {
    return logits;
  }

  /** The batch's mean cross-entropy. */
  public Operand<TFloat32> meanLoss() {
    return meanLoss;
  }

  /** Per-example cross-entropy [batch]. */
  public Operand<TFloat32> losses() {
    return losses;
  }

  /** The optimizer's train op and the moving-average updates: run them together, once per step. */
  public List<Op> trainTargets() {
    return List.copyOf(trainTargets);
  }
}
