package io.github.tftrain.optimizers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.op.Op;

/**
 * Evaluation weights: KaFiStO Dynamics evaluates its posterior x = x̂ − v̂/α computed from its state; optimizers
 * without another estimate have none; {@link EvaluationSwap} puts the evaluation weights in and the training weights
 * back, and changes nothing else.
 */
class EvaluationWeightsTest {

  @Test
  void kafistoDynamicsEvaluatesItsPosterior() {
    RegressionProblem problem = new RegressionProblem(6, true);
    try (RegressionProblem.InGraph g = problem.new InGraph(true)) {
      Kafisto kafisto = Kafisto.builder().alpha(0.8).kernel(UpdateKernel.GRAPH).build(g.graph);
      Op train = kafisto.minimize(g.loss());
      for (int step = 0; step < 6; step++) {
        g.run(train, step, List.of());
      }
      List<EvaluationWeight<?>> weights = kafisto.evaluationWeights();
      assertEquals(3, weights.size());
      double[][] predicted = g.values();
      for (int i = 0; i < 3; i++) {
        double[] velocity =
            TensorValues.read(g.session(), kafisto.getSlot(g.variables.get(i).asOutput(), "velocity").orElseThrow());
        double[] expected = new double[predicted[i].length];
        for (int j = 0; j < expected.length; j++) {
          expected[j] = predicted[i][j] - velocity[j] / 0.8;
        }
        assertArrayEquals(expected, TensorValues.read(g.session(), weights.get(i).value()), 1e-12, "variable " + i);
        assertTrue(velocity[0] != 0, "the velocity moved, so the posterior differs from x̂");
      }
    }
  }

  @Test
  void optimizersWithoutAnotherEstimateHaveNone() {
    RegressionProblem problem = new RegressionProblem(1, true);
    try (RegressionProblem.InGraph g = problem.new InGraph(true)) {
      Adam adam = new Adam(g.graph);
      adam.minimize(g.loss());
      assertTrue(adam.evaluationWeights().isEmpty());
      Kafisto vanilla = Kafisto.builder().variant(Kafisto.Variant.VANILLA).name("vanilla").build(g.graph);
      vanilla.minimize(g.loss());
      assertTrue(vanilla.evaluationWeights().isEmpty());
      // Dynamics asked to evaluate its prediction x̂: the variables themselves, nothing to swap
      Kafisto predicted = Kafisto.builder().evaluateAt(Kafisto.EvaluateAt.PREDICTION).name("predicted").build(g.graph);
      predicted.minimize(g.loss());
      assertTrue(predicted.evaluationWeights().isEmpty());
      assertTrue(EvaluationSwap.of(g.graph, List.of(adam, vanilla, predicted)).isEmpty());
    }
  }

  @Test
  void swapPutsEvaluationWeightsInAndTrainingWeightsBack() {
    RegressionProblem problem = new RegressionProblem(5, true);
    try (RegressionProblem.InGraph g = problem.new InGraph(false)) {
      Sgd sgd = Sgd.builder().lr(0.05).momentum(0.9).emaDecay(0.7).build(g.graph);
      Op train = sgd.minimize(g.loss());
      EvaluationSwap swap = EvaluationSwap.of(g.graph, List.of(sgd));
      for (int step = 0; step < 5; step++) {
        g.run(train, step, List.of());
      }
      double[][] training = g.values();
      List<double[]> averages = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        averages.add(TensorValues.read(g.session(), sgd.getSlot(g.variables.get(i).asOutput(), "ema").orElseThrow()));
      }
      g.session().run(swap.toEvaluation());
      g.session().run(swap.toEvaluation()); // a second swap does nothing (the backups keep the training weights)
      double[][] evaluated = g.values();
      for (int i = 0; i < 3; i++) {
        assertArrayEquals(averages.get(i), evaluated[i], 0.0, "evaluation weights of variable " + i);
        assertTrue(averages.get(i)[0] != training[i][0], "the average differs from the weights");
      }
      g.session().run(swap.toTraining());
      g.session().run(swap.toTraining()); // and a second restore does nothing either
      double[][] back = g.values();
      for (int i = 0; i < 3; i++) {
        assertArrayEquals(training[i], back[i], 0.0, "training weights of variable " + i);
        assertArrayEquals(
            averages.get(i),
            TensorValues.read(g.session(), sgd.getSlot(g.variables.get(i).asOutput(), "ema").orElseThrow()), 0.0);
      }
    }
  }
}
