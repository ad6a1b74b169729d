package io.github.tftrain.optimizers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.tftrain.optimizers.schedule.Schedule;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.Graph;

/** Invalid hyperparameters fail at build time, naming the parameter and the allowed range. */
class HyperparameterValidationTest {

  static Stream<Arguments> invalid() {
    return Stream.of(
        Arguments.of("kafisto", "lr", "-1", "lr must be >= 0 at every step"),
        Arguments.of("kafisto", "alpha", "1.0", "alpha must be in [0, 1)"),
        Arguments.of("kafisto", "betaR", "-0.1", "betaR must be in [0, 1)"),
        Arguments.of("kafisto", "betaX", "1.5", "betaX must be in [0, 1)"),
        Arguments.of("kafisto", "sigmaX", "-0.1", "sigmaX must be >= 0"),
        Arguments.of("kafisto", "sigmaC", "0.5", "sigmaC must be in [-sqrt(sigmaX*sigmaP)"),
        Arguments.of("kafisto", "r", "0", "r must be > 0"),
        Arguments.of("kafisto", "q", "-1", "q must be >= 0"),
        Arguments.of("kafisto", "lossOffset", "-4", "lossOffset must be > 0"),
        Arguments.of("kafisto", "weightDecay", "-5e-4", "weightDecay must be >= 0"),
        Arguments.of("apollo", "beta", "1", "beta must be in [0, 1)"),
        Arguments.of("apollo", "sigma", "0", "sigma must be > 0"),
        Arguments.of("apollo", "warmup", "-3", "warmup must be >= 0"),
        Arguments.of("apollo", "initLr", "0.5", "initLr must be in [0, lr]"),
        Arguments.of("apollo", "lr", "0", "lr must be > 0 at step 0"),
        Arguments.of("apollo", "eps", "0", "eps must be > 0"),
        Arguments.of("adam", "beta1", "1.2", "beta1 must be in [0, 1)"),
        Arguments.of("adam", "beta2", "-0.5", "beta2 must be in [0, 1)"),
        Arguments.of("adamw", "eps", "-1e-8", "eps must be >= 0"),
        Arguments.of("sgd", "momentum", "-0.9", "momentum must be >= 0"),
        Arguments.of("sgd", "clipNorm", "-1", "clipNorm must be >= 0"));
  }

  @ParameterizedTest(name = "{0} {1}={2}")
  @MethodSource("invalid")
  void rejectedAtBuildTime(String optimizer, String key, String value, String message) {
    OptimizerBuilder<?, ?> builder = Optimizers.builder(optimizer).set(key, value);
    try (Graph g = new Graph()) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> builder.build(g));
      assertTrue(e.getMessage().startsWith(optimizer + ": "), e.getMessage());
      assertTrue(e.getMessage().contains(message), e.getMessage());
      assertTrue(e.getMessage().contains("got"), e.getMessage());
    }
  }

  @Test
  void unknownKeysAndBadValuesListWhatIsValid() {
    IllegalArgumentException unknown =
        assertThrows(IllegalArgumentException.class, () -> Optimizers.builder("kafisto").set("gamma", "1"));
    assertEquals(
        "unknown hyperparameter 'gamma' for kafisto; valid keys: lr, variant, alpha, sigmaX, sigmaP, sigmaC, q, qP, "
            + "adaptiveQ, qEstimate, betaX, r, betaR, rInit, lossTarget, lossOffset, layerwise, evaluateAt, weightDecay, "
            + "kernel, "
            + "clipNorm, lookaheadSteps, lookaheadAlpha, emaDecay, accumulate, group[SELECTOR].KEY",
        unknown.getMessage());
    IllegalArgumentException variant =
        assertThrows(IllegalArgumentException.class, () -> Optimizers.builder("kafisto").set("variant", "momentum"));
    assertEquals("kafisto: variant must be one of vanilla|dynamics, got 'momentum'", variant.getMessage());
    IllegalArgumentException kernel =
        assertThrows(IllegalArgumentException.class, () -> Optimizers.builder("apollo").set("kernel", "cuda"));
    assertEquals("apollo: kernel must be one of auto|native|graph, got 'cuda'", kernel.getMessage());
    IllegalArgumentException number =
        assertThrows(IllegalArgumentException.class, () -> Optimizers.builder("adam").set("beta1", "high"));
    assertEquals("adam: beta1 must be a number, got 'high'", number.getMessage());
    IllegalArgumentException bool =
        assertThrows(IllegalArgumentException.class, () -> Optimizers.builder("sgd").set("nesterov", "yes"));
    assertEquals("sgd: nesterov must be true or false, got 'yes'", bool.getMessage());
    IllegalArgumentException name =
        assertThrows(IllegalArgumentException.class, () -> Optimizers.builder("rmsprop2"));
    assertEquals(
        "unknown optimizer 'rmsprop2'; valid: " + String.join(", ", Optimizers.names()), name.getMessage());
    assertTrue(Optimizers.names().containsAll(List.of("kafisto", "apollo", "sgd", "adam", "adamw", "lion", "muon")));
  }

  @Test
  void inconsistentCombinationsAreRejected() {
    try (Graph g = new Graph()) {
      assertMessage(
          () -> Kafisto.builder().variant(Kafisto.Variant.VANILLA).alpha(0.5).build(g),
          "kafisto: alpha applies to variant=dynamics only (variant is vanilla)");
      assertMessage(
          () -> Kafisto.builder().variant(Kafisto.Variant.VANILLA).qEstimate(Kafisto.QEstimate.AUTHORS).build(g),
          "kafisto: qEstimate applies to variant=dynamics only (variant is vanilla)");
      assertMessage(
          () -> Kafisto.builder().adaptiveQ(false).qEstimate(Kafisto.QEstimate.AUTHORS).build(g),
          "kafisto: qEstimate applies to the adaptive Q (adaptiveQ is false)");
      assertMessage(
          () -> Kafisto.builder().variant(Kafisto.Variant.VANILLA).evaluateAt(Kafisto.EvaluateAt.PREDICTION).build(g),
          "kafisto: evaluateAt applies to variant=dynamics only (variant is vanilla)");
      assertMessage(
          () -> Kafisto.builder().lossTarget(0).lossOffset(4).build(g),
          "kafisto: set lossTarget (L_min fixed) or lossOffset (L_min = L - u), not both");
      assertMessage(
          () -> Kafisto.builder().r(1.0).betaR(0.5).build(g),
          "kafisto: r fixes R; betaR and rInit apply to the adaptive R only (leave r unset to estimate R)");
      assertMessage(
          () -> Sgd.builder().nesterov(true).build(g), "sgd: momentum must be > 0 with nesterov=true, got 0.0");
      assertMessage(
          () -> Adam.builder().lr(Schedule.step(0.1, 10, 2.0)).build(g),
          "adam: lr must be bounded, got step(initial=0.1, stepSize=10, gamma=2.0) (grows without bound)");
    }
  }

  @Test
  void defaultsAreThePapersAndTheAuthors() {
    Kafisto.Config dynamics = Kafisto.builder().config();
    assertEquals(Kafisto.Variant.DYNAMICS, dynamics.variant);
    assertEquals(List.of(0.9, 0.1, 0.1, 0.0, 0.01, 0.01, 0.9, 0.9, 1.0, 0.0, 0.0),
        List.of(dynamics.alpha, dynamics.sigmaX, dynamics.sigmaP, dynamics.sigmaC, dynamics.q, dynamics.qP,
            dynamics.betaX, dynamics.betaR, dynamics.rInit, dynamics.lossTarget, dynamics.weightDecay));
    assertTrue(dynamics.adaptiveQ && dynamics.layerwise && dynamics.r == null && dynamics.lossOffset == null);
    assertEquals(1.0, dynamics.lr.valueAt(0));
    Kafisto.Config vanilla = Kafisto.builder().variant(Kafisto.Variant.VANILLA).config();
    assertEquals(1.0, vanilla.q);
    assertEquals(0.1, vanilla.sigmaX);
    assertTrue(!vanilla.adaptiveQ);

    Apollo.Config apollo = Apollo.builder().config();
    assertEquals(List.of(0.01, 0.9, 1e-4, 0.01, 1e-5, 0.0),
        List.of(apollo.lr.valueAt(0), apollo.beta, apollo.eps, apollo.sigma, apollo.initLr, apollo.weightDecay));
    assertEquals(500, apollo.warmup);
    assertEquals(Apollo.Rebound.CONSTANT, apollo.rebound);
    assertEquals(Apollo.WeightDecayType.L2, apollo.weightDecayType);
    assertEquals(
        Apollo.WeightDecayType.DECOUPLED, Apollo.builder().rebound(Apollo.Rebound.BELIEF).config().weightDecayType);

    OptimizerConfig adamW = AdamW.builder().validate();
    assertEquals(List.of(1e-3, 0.9, 0.999, 1e-8, 0.01),
        List.of(adamW.learningRate().valueAt(0), adamW.get(Adam.BETA1), adamW.get(Adam.BETA2), adamW.get(Adam.EPS),
            adamW.get(CommonHyperparameters.WEIGHT_DECAY)));
    assertEquals(0.0, Adam.builder().validate().get(CommonHyperparameters.WEIGHT_DECAY));
  }

  private static void assertMessage(Runnable build, String message) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build::run);
    assertEquals(message, e.getMessage());
  }
}
