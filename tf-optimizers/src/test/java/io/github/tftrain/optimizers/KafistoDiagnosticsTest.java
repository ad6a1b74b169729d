package io.github.tftrain.optimizers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.tftrain.optimizers.reference.ReferenceKafisto;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.op.Op;
import org.tensorflow.op.core.Variable;

/**
 * KaFiStO's diagnostics ({@code sigmaX2, measurementNoise, stateNoise, effectiveStepSize}) are read-only: fetched
 * without the train op they change no variable, on either kernel; and {@code stateNoise()} fetched with the train op
 * at step k is the qX in the predicted covariance that step starts from (added at the end of step k-1; q at step 1).
 */
class KafistoDiagnosticsTest {
  private static final int STEPS = 8;

  /**
   * Three steps with the train op, then each diagnostic (and all of them together, and the learning rate) fetched
   * alone three times: every variable of the graph — weights, velocity and average slots, the filter scalars, the
   * global step — keeps its exact bits, and each fetch returns the same value every time.
   */
  @ParameterizedTest(name = "float64={0}, kernel={1}")
  @MethodSource("io.github.tftrain.optimizers.Kernels#precisionsAndKernels")
  void diagnosticsFetchedAloneChangeNothing(boolean float64, UpdateKernel kernel) {
    Kernels.require(kernel);
    RegressionProblem problem = new RegressionProblem(STEPS, true);
    try (RegressionProblem.InGraph g = problem.new InGraph(float64)) {
      Kafisto kafisto = Kafisto.builder().kernel(kernel).weightDecay(0.01).build(g.graph);
      assertEquals(kernel, kafisto.kernel());
      Op train = kafisto.minimize(g.loss());
      for (int step = 0; step < 3; step++) {
        g.run(train, step, List.of());
      }
      List<double[]> before = allVariables(g);
      Map<String, List<Operand<?>>> fetches = new LinkedHashMap<>();
      fetches.put("stateNoise()", List.of(kafisto.stateNoise()));
      fetches.put("sigmaX2()", List.of(kafisto.sigmaX2()));
      fetches.put("measurementNoise()", List.of(kafisto.measurementNoise()));
      fetches.put("effectiveStepSize()", List.of(kafisto.effectiveStepSize()));
      fetches.put("learningRate()", List.of(kafisto.learningRate()));
      fetches.put("all diagnostics", List.of(kafisto.stateNoise(), kafisto.sigmaX2(), kafisto.measurementNoise(),
          kafisto.effectiveStepSize()));
      for (Map.Entry<String, List<Operand<?>>> fetch : fetches.entrySet()) {
        double[] first = null;
        for (int repeat = 0; repeat < 3; repeat++) {
          String at = kernel + ", float64=" + float64 + ", " + fetch.getKey() + " fetched alone, repeat " + repeat;
          double[] values = g.run(null, 3, fetch.getValue());
          if (first == null) {
            first = values;
          }
          assertArrayEquals(first, values, 0.0, at + ": the same value every time");
          List<double[]> after = allVariables(g);
          assertEquals(before.size(), after.size());
          for (int i = 0; i < before.size(); i++) {
            assertArrayEquals(before.get(i), after.get(i), 0.0, at + ": variable " + i + " changed");
          }
        }
      }
      // The train op still takes the fourth step from the untouched state.
      g.run(train, 3, List.of());
      assertEquals(4.0, TensorValues.read(g.session(), kafisto.globalStep())[0], 0.0);
    }
  }

  /**
   * stateNoise() fetched with the train op at step k equals the reference's qX in P̂ of step k: the configured q at
   * step 1, then eq 25 from the posterior of step k-1. sigmaX2(), R and the effective step of the same step match too.
   */
  @ParameterizedTest(name = "float64={0}, kernel={1}")
  @MethodSource("io.github.tftrain.optimizers.Kernels#precisionsAndKernels")
  void stateNoiseIsTheQxOfThePredictTheStepStartsFrom(boolean float64, UpdateKernel kernel) {
    Kernels.require(kernel);
    RegressionProblem problem = new RegressionProblem(STEPS, true);
    ReferenceKafisto ref = new ReferenceKafisto(problem.initial);
    ref.q = 0.03;
    ref.start();
    double tol = Trajectories.tolerance(float64);
    try (RegressionProblem.InGraph g = problem.new InGraph(float64)) {
      Kafisto kafisto = Kafisto.builder().kernel(kernel).q(0.03).build(g.graph);
      Op train = kafisto.minimize(g.loss());
      for (int step = 0; step < STEPS; step++) {
        double[] d = g.run(train, step, List.of(kafisto.stateNoise(), kafisto.sigmaX2(), kafisto.measurementNoise()));
        ref.step(problem, step);
        String at = kernel + ", float64=" + float64 + ", step " + (step + 1);
        if (step == 0) {
          assertEquals(0.03, d[0], 0.0, at + ": the configured q, exactly");
        }
        Trajectories.assertClose(at + ": qX in this step's P̂", ref.lastQxUsed, d[0], tol);
        Trajectories.assertClose(at + ": sigmaX2", ref.lastSigmaX2, d[1], tol);
        Trajectories.assertClose(at + ": R", ref.lastR, d[2], tol);
      }
    }
  }

  /** With a fixed Q (Dynamics) or in Vanilla, stateNoise() is the configured q at every step, and read-only. */
  @Test
  void fixedStateNoiseIsTheConfiguredQ() {
    for (Kafisto.Builder builder :
        List.of(Kafisto.builder().kernel(UpdateKernel.GRAPH).adaptiveQ(false).q(0.02),
            Kafisto.builder().variant(Kafisto.Variant.VANILLA).q(0.3))) {
      RegressionProblem problem = new RegressionProblem(4, true);
      try (RegressionProblem.InGraph g = problem.new InGraph(true)) {
        Kafisto kafisto = builder.build(g.graph);
        double q = kafisto.config().q;
        Op train = kafisto.minimize(g.loss());
        for (int step = 0; step < 4; step++) {
          assertEquals(q, g.run(train, step, List.of(kafisto.stateNoise()))[0], 0.0, kafisto.config() + " step " + step);
        }
        List<double[]> before = allVariables(g);
        assertEquals(q, g.run(null, 0, List.of(kafisto.stateNoise()))[0], 0.0);
        List<double[]> after = allVariables(g);
        for (int i = 0; i < before.size(); i++) {
          assertArrayEquals(before.get(i), after.get(i), 0.0, kafisto.config() + ": variable " + i);
        }
      }
    }
  }

  /** Every VariableV2 in the graph, in creation order: model, slots, filter scalars and the global step. */
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
