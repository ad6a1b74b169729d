package io.github.tftrain.optimizers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.op.Op;
import org.tensorflow.op.core.Variable;

/**
 * Session.save after 5 steps, restore into a fresh graph and session, 5 more steps: every variable of the graph
 * (model, slots, filter scalars, global step) equals a 10-step uninterrupted run bit for bit.
 */
class CheckpointTest {

  /** Every registered optimizer with its defaults, then the wrappers, then the hand-picked configurations below. */
  static Stream<Arguments> optimizers() {
    Stream<Arguments> registered =
        Optimizers.specs().stream()
            .map(
                spec ->
                    Arguments.of(
                        spec.name() + " defaults",
                        (Function<Graph, LossAwareOptimizer>) g -> spec.newBuilder().build(g)));
    Stream<Arguments> wrappers =
        Stream.of(
            Arguments.of(
                "adam with lookahead 3 and ema",
                (Function<Graph, LossAwareOptimizer>)
                    g -> Adam.builder().lookahead(3, 0.5).emaDecay(0.9).build(g)),
            Arguments.of(
                "sgd momentum accumulating 3",
                (Function<Graph, LossAwareOptimizer>)
                    g -> Sgd.builder().lr(0.05).momentum(0.9).accumulate(3).build(g)));
    return Stream.concat(Stream.concat(registered, wrappers), handPicked());
  }

  static Stream<Arguments> handPicked() {
    return Stream.of(
        Arguments.of(
            "kafisto dynamics, graph kernel",
            (Function<Graph, LossAwareOptimizer>) g -> Kafisto.builder().kernel(UpdateKernel.GRAPH).build(g)),
        Arguments.of(
            "kafisto dynamics, native kernel",
            (Function<Graph, LossAwareOptimizer>) g -> Kafisto.builder().kernel(UpdateKernel.NATIVE).build(g)),
        Arguments.of(
            "apollo stable decay, native kernel",
            (Function<Graph, LossAwareOptimizer>)
                g -> Apollo.builder().kernel(UpdateKernel.NATIVE).warmup(2).weightDecay(0.01)
                    .weightDecayType(Apollo.WeightDecayType.STABLE).build(g)),
        Arguments.of(
            "kafisto vanilla",
            (Function<Graph, LossAwareOptimizer>)
                g -> Kafisto.builder().variant(Kafisto.Variant.VANILLA).weightDecay(0.01).build(g)),
        Arguments.of(
            "apollo, graph kernel",
            (Function<Graph, LossAwareOptimizer>)
                g -> Apollo.builder().kernel(UpdateKernel.GRAPH).warmup(3).lr(0.05).build(g)),
        Arguments.of(
            "sgd momentum",
            (Function<Graph, LossAwareOptimizer>) g -> Sgd.builder().lr(0.05).momentum(0.9).build(g)),
        Arguments.of("adamw", (Function<Graph, LossAwareOptimizer>) AdamW::new));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("optimizers")
  void restoredRunContinuesBitwise(String label, Function<Graph, LossAwareOptimizer> factory, @TempDir Path dir)
      throws Exception {
    if (label.contains("native")) {
      Kernels.require(UpdateKernel.NATIVE);
    }
    RegressionProblem problem = new RegressionProblem(10, true);
    List<double[]> uninterrupted;
    try (RegressionProblem.InGraph g = problem.new InGraph(false)) {
      Op train = factory.apply(g.graph).minimize(g.loss());
      for (int step = 0; step < 10; step++) {
        g.run(train, step, List.of());
      }
      uninterrupted = allVariables(g);
    }
    String prefix = dir.resolve("ckpt").toString();
    try (RegressionProblem.InGraph g = problem.new InGraph(false)) {
      Op train = factory.apply(g.graph).minimize(g.loss());
      for (int step = 0; step < 5; step++) {
        g.run(train, step, List.of());
      }
      g.session().save(prefix);
    }
    try (Stream<Path> files = Files.list(dir)) {
      assertTrue(files.findAny().isPresent(), "checkpoint files written");
    }
    List<double[]> resumed;
    try (RegressionProblem.InGraph g = problem.new InGraph(false)) {
      Op train = factory.apply(g.graph).minimize(g.loss());
      g.session().restore(prefix);
      for (int step = 5; step < 10; step++) {
        g.run(train, step, List.of());
      }
      resumed = allVariables(g);
    }
    assertTrue(uninterrupted.size() >= 4, label + ": the model's variables and the global step");
    for (int i = 0; i < uninterrupted.size(); i++) {
      assertArrayEquals(uninterrupted.get(i), resumed.get(i), 0.0, label + ": variable " + i);
    }
  }

  /** Every VariableV2 in the graph, in creation order: model, slots, scalars and the global step. */
  private static List<double[]> allVariables(RegressionProblem.InGraph g) {
    List<double[]> values = new ArrayList<>();
    for (Iterator<GraphOperation> it = g.graph.operations(); it.hasNext(); ) {
      GraphOperation op = it.next();
      if (op.type().equals(Variable.OP_NAME)) {
        values.add(TensorValues.read(g.session(), op.output(0)));
      }
    }
    return values;
  }
}
