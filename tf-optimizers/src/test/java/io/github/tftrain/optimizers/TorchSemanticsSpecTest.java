package io.github.tftrain.optimizers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.Graph;

/** The torch-semantics optimizers declare torch 1.13's defaults and reject what torch (or sense) rejects. */
class TorchSemanticsSpecTest {

  private static Map<String, String> defaults(OptimizerSpec spec) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Hyperparameter<?> p : spec.documentedHyperparameters()) {
      out.put(p.key(), p.format(p.defaultValue())); // as set() parses it (Double.toString)
    }
    return out;
  }

  @Test
  void defaultsAreTorchs() {
    assertEquals(
        Map.of("lr", "0.01", "lrDecay", "0.0", "initialAccumulator", "0.0", "eps", "1.0E-10", "weightDecay", "0.0",
            "weightDecayMode", "l2", "kernel", "auto"),
        defaults(Adagrad.SPEC));
    assertEquals(
        Map.of("lr", "0.01", "alpha", "0.99", "eps", "1.0E-8", "momentum", "0.0", "centered", "false",
            "weightDecay", "0.0", "weightDecayMode", "l2", "kernel", "auto"),
        defaults(RmsProp.SPEC));
    assertEquals(
        Map.of("lr", "1.0", "rho", "0.9", "eps", "1.0E-6", "weightDecay", "0.0", "weightDecayMode", "l2",
            "kernel", "auto"),
        defaults(Adadelta.SPEC));
    assertEquals(
        Map.of("lr", "0.002", "beta1", "0.9", "beta2", "0.999", "eps", "1.0E-8", "weightDecay", "0.0",
            "weightDecayMode", "l2", "kernel", "auto"),
        defaults(Adamax.SPEC));
    assertEquals(
        Map.of("lr", "0.002", "beta1", "0.9", "beta2", "0.999", "eps", "1.0E-8", "momentumDecay", "0.004",
            "weightDecay", "0.0", "weightDecayMode", "l2", "kernel", "auto"),
        defaults(NAdam.SPEC));
    assertEquals(
        Map.of("lr", "0.001", "beta1", "0.9", "beta2", "0.999", "eps", "1.0E-8", "weightDecay", "0.0",
            "weightDecayMode", "l2", "kernel", "auto"),
        defaults(RAdam.SPEC));
  }

  static Stream<Arguments> invalid() {
    return Stream.of(
        Arguments.of((Consumer<Graph>) g -> Adagrad.builder().lrDecay(-0.1).build(g), "adagrad: lrDecay must be >= 0"),
        Arguments.of(
            (Consumer<Graph>) g -> Adagrad.builder().initialAccumulator(-1).build(g),
            "adagrad: initialAccumulator must be >= 0"),
        Arguments.of((Consumer<Graph>) g -> RmsProp.builder().alpha(1).build(g), "rmsprop: alpha must be in [0, 1)"),
        Arguments.of((Consumer<Graph>) g -> RmsProp.builder().momentum(-0.5).build(g), "rmsprop: momentum must be >= 0"),
        Arguments.of((Consumer<Graph>) g -> Adadelta.builder().eps(0).build(g), "adadelta: eps must be > 0"),
        Arguments.of((Consumer<Graph>) g -> Adadelta.builder().rho(1.5).build(g), "adadelta: rho must be in [0, 1)"),
        Arguments.of((Consumer<Graph>) g -> Adamax.builder().beta2(1).build(g), "adamax: beta2 must be in [0, 1)"),
        Arguments.of(
            (Consumer<Graph>) g -> NAdam.builder().momentumDecay(-1).build(g), "nadam: momentumDecay must be >= 0"),
        Arguments.of((Consumer<Graph>) g -> RAdam.builder().eps(-1e-8).build(g), "radam: eps must be >= 0"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("invalid")
  void rejectedAtBuildTime(Consumer<Graph> build, String message) {
    try (Graph g = new Graph()) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> build.accept(g));
      assertEquals(message, e.getMessage().substring(0, Math.min(message.length(), e.getMessage().length())));
    }
  }
}
