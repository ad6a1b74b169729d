package io.github.tftrain.cli.models;

import io.github.tftrain.trainer.NonFiniteStepException;

import io.github.tftrain.models.Dcgan;
import io.github.tftrain.models.Init;
import io.github.tftrain.models.Network;
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
import org.tensorflow.types.TInt64;

/**
 * The WGAN-GP DCGAN in a graph, ready to train: a generator and a critic (sibling networks with disjoint
 * variables), each with its own optimizer, a critic step on a real batch and a generator step, alternated by
 * {@link #iterate} (n_critic critic steps per generator step; the paper uses 1 and 5).
 *
 * <p>The latent batch z ~ N(0, I) [batch, 128] and the penalty's interpolation weights are stateless random
 * functions of (seed, the step fed), so a run is reproducible and resumable.
 */
public final class GanTask {
  private final Network<TFloat32> generator;
  private final Network<TFloat32> critic;
  private final Placeholder<TFloat32> real;
  private final Operand<TFloat32> fake;
  private Operand<TFloat32> z;
  private final Dcgan.WganGpLosses<TFloat32> losses;
  private final Operand<TFloat32> criticLoss;
  private final Operand<TFloat32> generatorLoss;
  private final Operand<TFloat32> penaltyMean;
  private final LossAwareOptimizer criticOptimizer;
  private final LossAwareOptimizer generatorOptimizer;
  private final Op criticTrain;
  private final List<Op> generatorTargets;

  private GanTask(
      Network<TFloat32> generator, Network<TFloat32> critic, Placeholder<TFloat32> real, Operand<TFloat32> fake,
      Dcgan.WganGpLosses<TFloat32> losses, Operand<TFloat32> criticLoss, Operand<TFloat32> generatorLoss,
      Operand<TFloat32> penaltyMean, LossAwareOptimizer criticOptimizer, LossAwareOptimizer generatorOptimizer, Op criticTrain,
      List<Op> generatorTargets) {
    this.generator = generator;
    this.critic = critic;
    this.real = real;
    this.fake = fake;
    this.losses = losses;
    this.criticLoss = criticLoss;
    this.generatorLoss = generatorLoss;
    this.penaltyMean = penaltyMean;
    this.criticOptimizer = criticOptimizer;
    this.generatorOptimizer = generatorOptimizer;
    this.criticTrain = criticTrain;
    this.generatorTargets = generatorTargets;
  }

  /**
   * @param spec the GAN (its channel unit)
   * @param batch images per step
   * @param imageSize image height and width (32)
   * @param lambda gradient-penalty weight (10 in the paper)
   * @param optimizer makes both optimizers (name scopes "critic_optimizer" and "generator_optimizer")
   */
  public static GanTask build(
      Graph graph, ModelSpec.Gan spec, int batch, int imageSize, Init init, long seed, double lambda,
      OptimizerFactory optimizer) {
    return build(graph, spec, batch, imageSize, init, seed, lambda, optimizer, 0, 1, null);
  }

  /**
   * {@link #build} for replica {@code replica} of {@code replicas} (data parallelism): {@code batch} is its slice of
   * the global batch, and the noise z and the penalty's ε are drawn for the global batch and sliced, so the replicas
   * together use what one process would; {@code syncBatchNorm} (or null) averages the generator's batch-norm
   * moments over the replicas.
   */
  public static GanTask build(
      Graph graph, ModelSpec.Gan spec, int batch, int imageSize, Init init, long seed, double lambda,
      OptimizerFactory optimizer, int replica, int replicas, io.github.tftrain.models.CrossReplicaMean syncBatchNorm) {
    if (imageSize != 32) {
      throw new IllegalArgumentException("the DCGAN generates 32x32 images; got image size " + imageSize);
    }
    Network<TFloat32> generator = Network.create(graph, "generator", init, seed, TFloat32.class, syncBatchNorm);
    Network<TFloat32> critic = generator.sibling("critic");
    Ops tf = generator.tf();
    Placeholder<TFloat32> real =
        critic.tf().withName("real").placeholder(TFloat32.class, Placeholder.shape(Shape.of(batch, 32, 32, 3)));
    Operand<TInt64> zSeed = tf.stack(List.of(tf.constant(generator.nextSeed()), generator.step()));
    Operand<TFloat32> z;
    if (replicas == 1) {
      z = tf.withName("z").random.statelessRandomNormal(tf.constant(new long[] {batch, Dcgan.LATENT}), zSeed,
          TFloat32.class);
    } else {
      Operand<TFloat32> global = tf.random.statelessRandomNormal(
          tf.constant(new long[] {(long) batch * replicas, Dcgan.LATENT}), zSeed, TFloat32.class);
      z = tf.withName("z").slice(global, tf.constant(new int[] {replica * batch, 0}),
          tf.constant(new int[] {batch, Dcgan.LATENT}));
    }
    Operand<TFloat32> fake = Dcgan.generator(generator, z, spec.base());
    Dcgan.Critic<TFloat32> scorer = new Dcgan.Critic<>(critic, spec.base(), 3, 32, Dcgan.Activation.LEAKY_RELU);
    Dcgan.WganGpLosses<TFloat32> losses =
        Dcgan.wganGp(critic.scope("wgan_gp"), scorer, real, fake, lambda, replica, replicas);
    Operand<TFloat32> criticLoss = tf.math.mean(losses.critic(), tf.constant(0));
    Operand<TFloat32> generatorLoss = tf.math.mean(losses.generator(), tf.constant(0));
    Operand<TFloat32> penaltyMean = tf.math.mean(losses.gradientPenalty(), tf.constant(0));
    LossAwareOptimizer criticOptimizer = optimizer.create(graph, "critic_optimizer");
    Op criticTrain = criticOptimizer.minimize(losses.critic(), critic.trainableVariables());
    LossAwareOptimizer generatorOptimizer = optimizer.create(graph, "generator_optimizer");
    List<Op> generatorTargets = new ArrayList<>();
    generatorTargets.add(generatorOptimizer.minimize(losses.generator(), generator.trainableVariables()));
    generatorTargets.addAll(generator.updates(generatorOptimizer.finiteCheck()));
    GanTask task = new GanTask(generator, critic, real, fake, losses, criticLoss, generatorLoss, penaltyMean,
        criticOptimizer, generatorOptimizer, criticTrain, generatorTargets);
    task.z = z;
    return task;
  }

  /** One critic step's losses before its update. */
  public record CriticStep(double loss, double wasserstein, double gradientPenalty) {}

  /**
   * Updates the critic on a real batch against the generator's samples for noise key {@code step} (the generator
   * in training mode, as it is when trained; its moving statistics are not updated here).
   */
  public CriticStep criticStep(Session session, TFloat32 realBatch, long step) {
    return NonFiniteStepException.guard("critic step " + step, () -> runCriticStep(session, realBatch, step));
  }

  private CriticStep runCriticStep(Session session, TFloat32 realBatch, long step) {
    try (TBool training = TBool.scalarOf(true);
        TInt64 stepValue = TInt64.scalarOf(step);
        Result r =
            session.runner()
                .feed(real, realBatch)
                .feed(generator.training(), training)
                .feed(generator.step(), stepValue)
                .fetch(criticLoss)
                .fetch(losses.wasserstein())
                .fetch(penaltyMean)
                .addTarget(criticTrain)
                .run()) {
      return new CriticStep(scalar(r, 0), scalar(r, 1), scalar(r, 2));
    }
  }

  /**
   * Updates the generator (and its batch-norm moving statistics) on noise key {@code step}.
   *
   * @return the generator loss −mean D(G(z)) before the update
   */
  public double generatorStep(Session session, long step) {
    return NonFiniteStepException.guard("generator step " + step, () -> runGeneratorStep(session, step));
  }

  private double runGeneratorStep(Session session, long step) {
    try (TBool training = TBool.scalarOf(true);
        TInt64 stepValue = TInt64.scalarOf(step)) {
      Session.Runner runner =
          session.runner()
              .feed(generator.training(), training)
              .feed(generator.step(), stepValue)
              .fetch(generatorLoss);
      generatorTargets.forEach(runner::addTarget);
      try (Result r = runner.run()) {
        return scalar(r, 0);
      }
    }
  }

  /** The losses of one WGAN-GP iteration: its critic steps, then its generator step. */
  public record Iteration(List<CriticStep> criticSteps, double generatorLoss) {}

  /**
   * One WGAN-GP iteration of Gulrajani et al.'s Algorithm 1: n_critic critic steps, one per real batch given, then
   * one generator step. Noise keys: iteration k with n critic steps uses k(n + 1) + j for critic step j and
   * k(n + 1) + n for the generator, so no two steps of a run share a latent batch or interpolation weights.
   *
   * @param realBatches n_critic real batches (the paper uses n_critic = 1 and 5)
   * @param iteration the iteration index (from 0)
   */
  public Iteration iterate(Session session, List<TFloat32> realBatches, long iteration) {
    if (realBatches.isEmpty()) {
      throw new IllegalArgumentException("a WGAN-GP iteration needs n_critic >= 1 real batches");
    }
    long stride = realBatches.size() + 1L;
    List<CriticStep> critic = new ArrayList<>();
    for (int j = 0; j < realBatches.size(); j++) {
      critic.add(criticStep(session, realBatches.get(j), iteration * stride + j));
    }
    double generatorLoss = generatorStep(session, iteration * stride + realBatches.size());
    return new Iteration(List.copyOf(critic), generatorLoss);
  }

  /**
   * Samples [batch, 32, 32, 3] in [-1, 1] for noise key {@code step}, in inference mode (moving statistics).
   *
   * @return the images, row-major NHWC
   */
  public float[] samples(Session session, long step) {
    return samples(session, step, fake);
  }

  /**
   * {@link #samples(Session, long)} read from {@code output}, an operand computed from the generator's output (the
   * global batch of a data-parallel run).
   */
  public float[] samples(Session session, long step, Operand<TFloat32> output) {
    try (TInt64 stepValue = TInt64.scalarOf(step);
        Result r = session.runner().feed(generator.step(), stepValue).fetch(output).run()) {
      TFloat32 images = (TFloat32) r.get(0);
      float[] out = new float[(int) images.shape().size()];
      images.asRawTensor().data().asFloats().read(out);
      return out;
    }
  }

  private static double scalar(Result r, int i) {
    return ((TFloat32) r.get(i)).getFloat();
  }

  public Network<TFloat32> generator() {
    return generator;
  }

  public Network<TFloat32> critic() {
    return critic;
  }

  public Placeholder<TFloat32> real() {
    return real;
  }

  /**
   * The latent batch [batch, 128]: standard normal noise keyed by the step, or any values fed in its place (the
   * SavedModel's z → images signature feeds it).
   */
  public Operand<TFloat32> z() {
    return z;
  }

  /** Generated images [batch, 32, 32, 3] for the fed step's noise. */
  public Operand<TFloat32> fake() {
    return fake;
  }

  public Dcgan.WganGpLosses<TFloat32> losses() {
    return losses;
  }

  public LossAwareOptimizer criticOptimizer() {
    return criticOptimizer;
  }

  public LossAwareOptimizer generatorOptimizer() {
    return generatorOptimizer;
  }
}
