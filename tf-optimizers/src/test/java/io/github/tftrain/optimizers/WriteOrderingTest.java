package io.github.tftrain.optimizers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat64;

/**
 * Reads of legacy variables alias their buffers, and the updates write those buffers in place, so every value a
 * step computes (and every diagnostic it exposes) must be computed before the first write. A missing ordering shows
 * up as a value that is sometimes computed from updated state: this repeats the first step of fresh graphs and
 * requires the same, hand-derived values every time (a diagnostic missing from the barrier was wrong in ~20% of
 * runs before it was fixed).
 */
class WriteOrderingTest {
  private static final int REPEATS = 40;

  static Stream<Arguments> optimizers() {
    return Stream.of(
        Arguments.of("vanilla", (Function<Graph, Kafisto>) g -> Kafisto.builder().variant(Kafisto.Variant.VANILLA).build(g),
            // P̂ = 1.1, R = 1, S = 5.4: x₁ = 16/27, σx² = 5.5/27, step = 1.1/5.4 (see FirstStepsByHandTest); q = 1
            new double[] {16.0 / 27, 5.5 / 27, 1.0, 1.1 / 5.4, 1.0}),
        Arguments.of("dynamics graph", (Function<Graph, Kafisto>) g -> Kafisto.builder().kernel(UpdateKernel.GRAPH).build(g),
            new double[] {62.0 / 92, 2.625 / 23, 1.0, 0.21 / 1.84, 0.01}),
        Arguments.of("dynamics native", (Function<Graph, Kafisto>) g -> Kafisto.builder().kernel(UpdateKernel.NATIVE).build(g),
            new double[] {62.0 / 92, 2.625 / 23, 1.0, 0.21 / 1.84, 0.01}));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("optimizers")
  void firstStepIsTheSameEveryTime(String label, Function<Graph, Kafisto> factory, double[] expected) {
    if (label.contains("native")) {
      Kernels.require(UpdateKernel.NATIVE);
    }
    for (int repeat = 0; repeat < REPEATS; repeat++) {
      try (Graph g = new Graph();
          Session s = new Session(g)) {
        Ops tf = Ops.create(g);
        Variable<TFloat64> x = tf.withName("x").variable(tf.withInitScope().constant(1.0));
        Operand<TFloat64> loss = tf.math.square(tf.identity(x));
        Kafisto k = factory.apply(g);
        Op train = k.minimize(loss);
        try (Result r =
            s.runner()
                .addTarget(train)
                .fetch(k.sigmaX2())
                .fetch(k.measurementNoise())
                .fetch(k.effectiveStepSize())
                .fetch(k.stateNoise())
                .run()) {
          String at = label + ", repeat " + repeat;
          assertEquals(expected[1], TensorValues.scalar(r.get(0)), 1e-13, at + ": sigmaX2");
          assertEquals(expected[2], TensorValues.scalar(r.get(1)), 1e-13, at + ": R");
          assertEquals(expected[3], TensorValues.scalar(r.get(2)), 1e-13, at + ": effective step");
          // the qX in step 1's P̂ (the configured q), not the next one the step writes into the same variable
          assertEquals(expected[4], TensorValues.scalar(r.get(3)), 0.0, at + ": qX");
        }
        assertEquals(expected[0], TensorValues.read(s, x)[0], 1e-13, label + ": x");
      }
    }
  }

}
