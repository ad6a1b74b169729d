package io.github.tftrain.optimizers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.tftrain.optimizers.reference.ReferenceAdam;
import io.github.tftrain.optimizers.reference.ReferenceOptimizer;
import io.github.tftrain.optimizers.reference.ReferenceSgd;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.op.Op;

/**
 * {@link LossAwareOptimizer#updateNorm()} with {@link OptimizerBuilder#trackUpdateNorm}: fetched with the train op it
 * is ‖x_after − x_before‖ of that step, compared with the same norm of a plain-Java double-precision trajectory
 * (SGD with momentum and L2 decay, Adam); for plain SGD its ratio to the gradient norm is the learning rate.
 */
class UpdateNormTest {
  private static final int STEPS = 8;

  @Test
  void sgdWithMomentumMatchesTheReferenceUpdates() {
    RegressionProblem problem = new RegressionProblem(STEPS, false);
    ReferenceSgd ref = new ReferenceSgd(problem.initial);
    ref.lr = step -> 0.05;
    ref.momentum = 0.9;
    ref.weightDecay = 0.01;
    try (RegressionProblem.InGraph g = problem.new InGraph(true)) {
      Sgd sgd = Sgd.builder().lr(0.05).momentum(0.9).weightDecay(0.01).trackUpdateNorm(true).build(g.graph);
      assertUpdateNorms(problem, g, sgd, ref, "sgd");
    }
  }

  @Test
  void adamMatchesTheReferenceUpdates() {
    RegressionProblem problem = new RegressionProblem(STEPS, false);
    ReferenceAdam ref = new ReferenceAdam(problem.initial);
    ref.lr = step -> 0.01;
    try (RegressionProblem.InGraph g = problem.new InGraph(true)) {
      Adam adam = Adam.builder().lr(0.01).trackUpdateNorm(true).build(g.graph);
      assertUpdateNorms(problem, g, adam, ref, "adam");
    }
  }

  /** Plain SGD moves x by lr·g: ‖Δx‖ / ‖g‖ is the learning rate, in float32 as well. */
  @Test
  void plainSgdStepsByItsLearningRateAlongTheGradient() {
    for (boolean float64 : new boolean[] {true, false}) {
      RegressionProblem problem = new RegressionProblem(STEPS, false);
      try (RegressionProblem.InGraph g = problem.new InGraph(float64)) {
        Sgd sgd = Sgd.builder().lr(0.02).trackUpdateNorm(true).build(g.graph);
        Op train = sgd.minimize(g.loss());
        for (int step = 0; step < STEPS; step++) {
          double[] d = g.run(train, step, List.of(sgd.updateNorm(), sgd.gradientNorm()));
          assertTrue(d[1] > 0, "a non-zero gradient");
          assertEquals(0.02, d[0] / d[1], float64 ? 1e-12 : 2e-5, "float64=" + float64 + ", step " + (step + 1));
        }
      }
    }
  }

  /**
   * KaFiStO Vanilla with one measurement for all variables steps along g by its eq-13 step size, which it reports
   * itself: the measured ‖Δx‖ / ‖g‖ equals it, on the fused native kernel as on the graph one.
   */
  @ParameterizedTest(name = "float64={0}, kernel={1}")
  @MethodSource("io.github.tftrain.optimizers.Kernels#precisionsAndKernels")
  void kafistoVanillaStepsByItsOwnEffectiveStep(boolean float64, UpdateKernel kernel) {
    Kernels.require(kernel);
    RegressionProblem problem = new RegressionProblem(STEPS, true);
    try (RegressionProblem.InGraph g = problem.new InGraph(float64)) {
      Kafisto kafisto = Kafisto.builder().variant(Kafisto.Variant.VANILLA).layerwise(false).kernel(kernel)
          .trackUpdateNorm(true).build(g.graph);
      Op train = kafisto.minimize(g.loss());
      for (int step = 0; step < STEPS; step++) {
        double[] d = g.run(train, step,
            List.of(kafisto.updateNorm(), kafisto.gradientNorm(), kafisto.effectiveStepSize()));
        Trajectories.assertClose(kernel + ", float64=" + float64 + ", step " + (step + 1), d[2], d[0] / d[1],
            float64 ? 1e-9 : 1e-4);
      }
    }
  }

  /** Fetched without the train op, the update norm runs one whole step: the weights and the step counter move. */
  @Test
  void fetchedAloneItRunsOneWholeStep() {
    RegressionProblem problem = new RegressionProblem(STEPS, false);
    ReferenceAdam ref = new ReferenceAdam(problem.initial);
    ref.lr = step -> 0.01;
    try (RegressionProblem.InGraph g = problem.new InGraph(true)) {
      Adam adam = Adam.builder().lr(0.01).trackUpdateNorm(true).build(g.graph);
      Op train = adam.minimize(g.loss());
      g.run(train, 0, List.of());
      ref.step(problem, 0);
      double[][] before = ref.currentPoint();
      ref.step(problem, 1);
      double measured = g.run(null, 1, List.of(adam.updateNorm()))[0];
      Trajectories.assertClose("‖Δx‖ of step 2", distance(before, ref.currentPoint()), measured, 1e-9);
      Trajectories.assertClose("weights after step 2", ref.currentPoint(), g.values(), 1e-9);
      assertEquals(2.0, TensorValues.read(g.session(), adam.globalStep())[0], 0.0, "the step was counted");
    }
  }

  @Test
  void refusedWhereThereIsNothingToMeasure() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Adam.builder().trackUpdateNorm(true).accumulate(2).validate());
    assertTrue(e.getMessage().contains("trackUpdateNorm needs accumulate 1"), e.getMessage());
    try (RegressionProblem.InGraph g = new RegressionProblem(1, false).new InGraph(true)) {
      Adam adam = Adam.builder().build(g.graph);
      adam.minimize(g.loss());
      IllegalStateException off = assertThrows(IllegalStateException.class, adam::updateNorm);
      assertTrue(off.getMessage().contains("without trackUpdateNorm"), off.getMessage());
    }
  }

  private static void assertUpdateNorms(RegressionProblem problem, RegressionProblem.InGraph g,
      LossAwareOptimizer optimizer, ReferenceOptimizer ref, String name) {
    Op train = optimizer.minimize(g.loss());
    for (int step = 0; step < STEPS; step++) {
      double[][] before = ref.currentPoint();
      ref.step(problem, step);
      double expected = distance(before, ref.currentPoint());
      double measured = g.run(train, step, List.of(optimizer.updateNorm()))[0];
      Trajectories.assertClose(name + " step " + (step + 1) + ": ‖Δx‖", expected, measured, 1e-9);
      Trajectories.assertClose(name + " step " + (step + 1) + ": weights", ref.currentPoint(), g.values(), 1e-9);
    }
  }

  private static double distance(double[][] a, double[][] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < a[i].length; j++) {
        sum += (a[i][j] - b[i][j]) * (a[i][j] - b[i][j]);
      }
    }
    return Math.sqrt(sum);
  }
}
