package io.github.tftrain.models;

import static io.github.tftrain.models.NetworkGradients.randomConstant;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat64;

/**
 * WGAN-GP: the gradient penalty against finite differences of the critic's input gradient, and the critic loss's
 * gradient with respect to the critic's weights (second order: through ∇x D) against finite differences, for ReLU,
 * LeakyReLU and tanh critics; the generator's gradient through batch norm, transposed convolutions and the critic.
 */
class WganGpTest {
  /** Small critic: 8x8 grey images, channel unit 2. */
  private static Dcgan.Critic<TFloat64> smallCritic(Network<TFloat64> net, Dcgan.Activation activation) {
    return new Dcgan.Critic<>(net.scope("critic"), 2, 1, 8, activation);
  }

  @ParameterizedTest
  @EnumSource(Dcgan.Activation.class)
  void criticLossSecondOrderGradient(Dcgan.Activation activation) {
    NetworkGradients.check(
        "WGAN-GP critic loss, " + activation,
        net -> {
          Dcgan.Critic<TFloat64> critic = smallCritic(net, activation);
          Operand<TFloat64> real = randomConstant(net, 11, 3, 8, 8, 1);
          Operand<TFloat64> fake = randomConstant(net, 12, 3, 8, 8, 1);
          return Dcgan.wganGp(net.scope("loss"), critic, real, fake, 10).critic();
        },
        false,
        12,
        1e-5);
  }

  /**
   * With real = fake the interpolate is that image whatever ε is, so the penalty must equal (‖∇x D(x)‖ − 1)² with
   * the input gradient taken by central differences over every pixel.
   */
  @ParameterizedTest
  @EnumSource(Dcgan.Activation.class)
  void penaltyMatchesFiniteDifferenceInputGradient(Dcgan.Activation activation) {
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Network<TFloat64> net = Network.create(g, "gan", Init.XAVIER_UNIFORM, 3, TFloat64.class);
      Dcgan.Critic<TFloat64> critic = smallCritic(net, activation);
      Operand<TFloat64> image = randomConstant(net, 21, 1, 8, 8, 1);
      Dcgan.WganGpLosses<TFloat64> losses = Dcgan.wganGp(net.scope("loss"), critic, image, image, 10);
      Placeholder<TFloat64> input = net.tf().placeholder(TFloat64.class, Placeholder.shape(Shape.of(1, 8, 8, 1)));
      Operand<TFloat64> score = critic.scores(input);
      s.initialize();
      double[] pixels = NetworkGradients.fetch(s, net, false, image);
      double squaredNorm = 0;
      double h = 1e-6;
      for (int i = 0; i < pixels.length; i++) {
        double[] plus = pixels.clone();
        double[] minus = pixels.clone();
        plus[i] += h;
        minus[i] -= h;
        double d = (scoreAt(s, input, score, plus) - scoreAt(s, input, score, minus)) / (2 * h);
        squaredNorm += d * d;
      }
      double expected = Math.pow(Math.sqrt(squaredNorm) - 1, 2);
      double penalty = NetworkGradients.fetch(s, net, false, losses.gradientPenalty())[0];
      assertEquals(expected, penalty, 1e-6 * Math.max(1, expected), activation + " penalty");
      // critic loss = D(fake) - D(real) + 10 penalty = 10 penalty when real = fake
      assertEquals(10 * penalty, NetworkGradients.fetch(s, net, false, losses.critic())[0], 1e-9);
      assertEquals(0, NetworkGradients.fetch(s, net, false, losses.wasserstein())[0], 1e-12);
    }
  }

  private static double scoreAt(Session s, Placeholder<TFloat64> input, Operand<TFloat64> score, double[] pixels) {
    try (TFloat64 t = TFloat64.tensorOf(Shape.of(1, 8, 8, 1), DataBuffers.of(pixels, true, false));
        Result r = s.runner().feed(input, t).fetch(score).run()) {
      return NetworkGradients.values(r.get(0))[0];
    }
  }

  /**
   * Generator loss −D(G(z)) differentiated through the critic, tanh, transposed convolutions and batch norm. Step
   * 1e-7: with 1e-6 a perturbation moved a LeakyReLU pre-activation across zero (the quotient was 1.7% off and
   * agreed again at 1e-7 and 1e-8, as a kink would; at 1e-4 other elements failed the same way).
   */
  @Test
  void generatorLossGradient() {
    NetworkGradients.check(
        "WGAN-GP generator loss",
        net -> {
          Network<TFloat64> generatorNet = net.scope("generator");
          Operand<TFloat64> z = randomConstant(net, 31, 2, Dcgan.LATENT);
          Operand<TFloat64> fake = Dcgan.generator(generatorNet, z, 2);
          Dcgan.Critic<TFloat64> critic =
              new Dcgan.Critic<>(net.scope("critic"), 2, 3, 32, Dcgan.Activation.LEAKY_RELU);
          Operand<TFloat64> real = randomConstant(net, 32, 2, 32, 32, 3);
          return Dcgan.wganGp(net.scope("loss"), critic, real, fake, 10).generator();
        },
        true,
        6,
        1e-5,
        1e-7);
  }
}
