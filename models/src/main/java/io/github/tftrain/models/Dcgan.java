package io.github.tftrain.models;

import static io.github.tftrain.models.Layers.batchNorm;
import static io.github.tftrain.models.Layers.conv2dTranspose;
import static io.github.tftrain.models.Layers.dense;
import static io.github.tftrain.models.Layers.relu;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TFloating;

/**
 * DCGAN for 32x32 RGB images with the WGAN-GP loss (Gulrajani et al., 2017), the KaFiStO paper's GAN experiment.
 *
 * <p>Generator: z [batch, 128] -> dense -> 4x4x(4 base) -> BN, ReLU -> transposed 5x5 convolutions with stride 2 to
 * 8x8x(2 base) and 16x16x(base), each with BN and ReLU -> transposed convolution to 32x32x3 -> tanh. Critic: 5x5
 * convolutions with stride 2 from 3 to base, 2 base and 4 base channels, each followed by LeakyReLU(0.2), no batch
 * normalisation (the gradient penalty is per example), then a linear layer to one score. base = 128 gives the
 * paper's 4x4x512 generator input.
 */
public final class Dcgan {
  /** The latent size. */
  public static final int LATENT = 128;

  private Dcgan() {}

  /**
   * The generator.
   *
   * @param z [batch, LATENT]
   * @param base channel unit (128 in the paper)
   * @return images [batch, 32, 32, 3] in [-1, 1]
   */
  public static <T extends TFloating> Operand<T> generator(Network<T> net, Operand<T> z, int base) {
    Ops tf = net.tf();
    Operand<T> x = dense(net.scope("project"), z, 4 * 4 * 4 * base, true);
    x = tf.reshape(x, tf.constant(new long[] {-1, 4, 4, 4L * base}));
    x = relu(net, batchNorm(net.scope("bn0"), x));
    x = relu(net, batchNorm(net.scope("bn1"), conv2dTranspose(net.scope("deconv1"), x, 2 * base, 5, 2, false)));
    x = relu(net, batchNorm(net.scope("bn2"), conv2dTranspose(net.scope("deconv2"), x, base, 5, 2, false)));
    return tf.math.tanh(conv2dTranspose(net.scope("deconv3"), x, 3, 5, 2, true));
  }

  /** The critic's non-linearity (LeakyReLU in the model; ReLU and tanh for the second-order gradient tests). */
  public enum Activation {
    LEAKY_RELU,
    RELU,
    TANH
  }

  /**
   * The critic. Its variables are created once, so it can score several batches (real, generated, interpolated)
   * with the same weights.
   */
  public static final class Critic<T extends TFloating> {
    private final Network<T> net;
    private final Activation activation;
    private final List<Variable<T>> kernels = new ArrayList<>();
    private final List<Variable<T>> biases = new ArrayList<>();
    private final Variable<T> outputKernel;
    private final Variable<T> outputBias;
    private final long flatFeatures;

    /**
     * @param net the scope for the critic's variables
     * @param base channel unit (128 in the paper)
     * @param inputChannels image channels (3)
     * @param imageSize image height and width (32)
     */
    public Critic(Network<T> net, int base, int inputChannels, int imageSize, Activation activation) {
      this.net = net;
      this.activation = activation;
      int[] channels = {inputChannels, base, 2 * base, 4 * base};
      for (int i = 0; i < 3; i++) {
        Network<T> layer = net.scope("conv" + (i + 1));
        kernels.add(layer.kernel("kernel", 5, 5, channels[i], channels[i + 1]));
        biases.add(layer.constantTrainable("bias", 0.0, channels[i + 1]));
      }
      int side = imageSize / 8;
      flatFeatures = (long) side * side * 4 * base;
      outputKernel = net.scope("output").kernel("kernel", flatFeatures, 1);
      outputBias = net.scope("output").constantTrainable("bias", 0.0, 1);
    }

    /** Scores [batch] of images [batch, size, size, channels]. */
    public Operand<T> scores(Operand<T> images) {
      Ops tf = net.tf();
      Operand<T> x = images;
      for (int i = 0; i < 3; i++) {
        x = tf.nn.conv2d(x, tf.identity(kernels.get(i)), List.of(1L, 2L, 2L, 1L), "SAME");
        x = activate(tf, tf.nn.biasAdd(x, tf.identity(biases.get(i))));
      }
      Operand<T> flat = tf.reshape(x, tf.constant(new long[] {-1, flatFeatures}));
      Operand<T> score = tf.nn.biasAdd(tf.linalg.matMul(flat, tf.identity(outputKernel)), tf.identity(outputBias));
      return tf.reshape(score, tf.constant(new int[] {-1}));
    }

    private Operand<T> activate(Ops tf, Operand<T> x) {
      return switch (activation) {
        case LEAKY_RELU -> tf.nn.leakyRelu(x, org.tensorflow.op.nn.LeakyRelu.alpha(0.2f));
        case RELU -> tf.nn.relu(x);
        case TANH -> tf.math.tanh(x);
      };
    }
  }

  /**
   * The WGAN-GP losses, per example (rank 1, as KaFiStO reads them; optimizers take their mean):
   *
   * <pre>
   * critic_i    = D(fake_i) - D(real_i) + λ (‖∇D(x̂_i)‖₂ - 1)²,  x̂_i = ε_i real_i + (1 - ε_i) fake_i,  ε_i ~ U(0, 1)
   * generator_i = -D(fake_i)
   * </pre>
   *
   * @param critic per-example penalty losses
   * @param generator per-example generator losses
   * @param gradientPenalty (‖∇D(x̂_i)‖₂ - 1)² per example
   * @param wasserstein the critic's estimate mean D(real) - mean D(fake)
   */
  public record WganGpLosses<T extends TFloating>(
      Operand<T> critic, Operand<T> generator, Operand<T> gradientPenalty, Operand<T> wasserstein) {}

  /**
   * Builds both WGAN-GP losses. The critic loss sees the generated images behind a stop-gradient (the critic's
   * optimizer trains only the critic); its gradient with respect to the critic's weights is second order (through
   * the penalty), which the gradients registered by {@link io.github.tftrain.gradients.MissingGradients}
   * provide. ε is a stateless random function of (seed, {@link Network#step()}).
   *
   * @param net a scope for the loss ops
   * @param lambda the penalty weight (10 in the paper)
   */
  public static <T extends TFloating> WganGpLosses<T> wganGp(
      Network<T> net, Critic<T> critic, Operand<T> real, Operand<T> fake, double lambda) {
    return wganGp(net, critic, real, fake, lambda, 0, 1);
  }

  /**
   * {@link #wganGp} for replica {@code replica} of {@code replicas} in data-parallel training, whose batch is its
   * slice of the global batch: ε is drawn for the global batch and this replica takes its rows, so the replicas
   * together use the ε one process would.
   */
  public static <T extends TFloating> WganGpLosses<T> wganGp(
      Network<T> net, Critic<T> critic, Operand<T> real, Operand<T> fake, double lambda, int replica, int replicas) {
    Ops tf = net.tf();
    Operand<T> fixedFake = tf.stopGradient(fake);
    Operand<TInt32> batch = tf.slice(tf.shape(real), tf.constant(new int[] {0}), tf.constant(new int[] {1}));
    Operand<TInt32> globalBatch = tf.math.mul(batch, tf.constant(replicas));
    Operand<TInt32> epsShape = tf.concat(List.of(globalBatch, tf.constant(new int[] {1, 1, 1})), tf.constant(0));
    Operand<TInt64> seed = tf.stack(List.of(tf.constant(net.nextSeed()), net.step()));
    Operand<T> eps = tf.random.statelessRandomUniform(epsShape, seed, net.type());
    if (replicas > 1) {
      Operand<TInt32> begin = tf.concat(List.of(tf.math.mul(batch, tf.constant(replica)),
          tf.constant(new int[] {0, 0, 0})), tf.constant(0));
      eps = tf.slice(eps, begin, tf.concat(List.of(batch, tf.constant(new int[] {1, 1, 1})), tf.constant(0)));
    }
    Operand<T> interpolated =
        tf.math.add(tf.math.mul(eps, real), tf.math.mul(tf.math.sub(net.constant(1.0), eps), fixedFake));

    Operand<T> realScores = critic.scores(real);
    Operand<T> fakeScores = critic.scores(fixedFake);
    Operand<T> interpolatedScores = critic.scores(interpolated);
    // ∇x̂ D(x̂) per example: the scores are per example and the critic mixes no examples, so the gradient of their
    // sum gives each example's own gradient. An explicit seed keeps the result differentiable again.
    Output<?>[] gradient =
        net.graph()
            .addGradients(
                null,
                new Output<?>[] {interpolatedScores.asOutput()},
                new Output<?>[] {interpolated.asOutput()},
                new Output<?>[] {tf.onesLike(interpolatedScores).asOutput()});
    @SuppressWarnings("unchecked")
    Operand<T> g = (Operand<T>) gradient[0];
    Operand<T> norm =
        tf.math.sqrt(
            tf.math.add(tf.sum(tf.math.square(g), tf.constant(new int[] {1, 2, 3})), net.constant(1e-12)));
    Operand<T> penalty = tf.math.square(tf.math.sub(norm, net.constant(1.0)));
    Operand<T> criticLoss =
        tf.math.add(tf.math.sub(fakeScores, realScores), tf.math.mul(net.constant(lambda), penalty));
    Operand<T> generatorLoss = tf.math.neg(critic.scores(fake));
    Operand<T> wasserstein =
        tf.math.sub(tf.math.mean(realScores, tf.constant(0)), tf.math.mean(fakeScores, tf.constant(0)));
    return new WganGpLosses<>(criticLoss, generatorLoss, penalty, wasserstein);
  }
}
