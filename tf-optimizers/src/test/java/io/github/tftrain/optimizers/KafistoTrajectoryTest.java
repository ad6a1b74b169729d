package io.github.tftrain.optimizers;

import io.github.tftrain.optimizers.Kafisto.Variant;
import io.github.tftrain.optimizers.reference.ReferenceKafisto;
import io.github.tftrain.optimizers.schedule.Schedule;
import java.util.List;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.op.Op;

/** KaFiStO graph trajectories against the plain-Java double-precision reference, step by step. */
class KafistoTrajectoryTest {
  private static final int STEPS = 20;

  @ParameterizedTest(name = "float64={0}, kernel={1}")
  @MethodSource("io.github.tftrain.optimizers.Kernels#precisionsAndKernels")
  void dynamicsDefaultsPerExample(boolean float64, UpdateKernel kernel) {
    Kernels.require(kernel);
    Trajectories.compare(
        "dynamics defaults", true, float64, STEPS, g -> Kafisto.builder().kernel(kernel).build(g), x0 -> new ReferenceKafisto(x0).start());
  }

  @ParameterizedTest(name = "float64={0}, kernel={1}")
  @MethodSource("io.github.tftrain.optimizers.Kernels#precisionsAndKernels")
  void dynamicsDefaultsScalarLoss(boolean float64, UpdateKernel kernel) {
    Kernels.require(kernel);
    Trajectories.compare(
        "dynamics scalar loss", false, float64, STEPS, g -> Kafisto.builder().kernel(kernel).build(g), x0 -> new ReferenceKafisto(x0).start());
  }

  @ParameterizedTest(name = "float64={0}, kernel={1}")
  @MethodSource("io.github.tftrain.optimizers.Kernels#precisionsAndKernels")
  void dynamicsWithWeightDecayAndMultiStepSchedule(boolean float64, UpdateKernel kernel) {
    Kernels.require(kernel);
    Schedule gain = Schedule.multiStep(1.0, new long[] {6, 12}, 0.3);
    Trajectories.compare(
        "dynamics wd+schedule",
        true,
        float64,
        STEPS,
        g -> Kafisto.builder().kernel(kernel).weightDecay(0.05).lr(gain).alpha(0.5).sigmaC(0.02).build(g),
        x0 -> {
          ReferenceKafisto r = new ReferenceKafisto(x0);
          r.weightDecay = 0.05;
          r.lr = gain::valueAt;
          r.alpha = 0.5;
          r.sigmaC = 0.02;
          return r.start();
        });
  }

  /** qEstimate=authors: the authors' koala.py formula for qX, in the reference written from their formula. */
  @ParameterizedTest(name = "float64={0}, kernel={1}")
  @MethodSource("io.github.tftrain.optimizers.Kernels#precisionsAndKernels")
  void dynamicsWithTheAuthorsQEstimate(boolean float64, UpdateKernel kernel) {
    Kernels.require(kernel);
    Trajectories.compare(
        "dynamics, authors' Q",
        true,
        float64,
        STEPS,
        g -> Kafisto.builder().kernel(kernel).qEstimate(Kafisto.QEstimate.AUTHORS).build(g),
        x0 -> {
          ReferenceKafisto r = new ReferenceKafisto(x0);
          r.authorsQ = true;
          return r.start();
        });
  }

  @ParameterizedTest(name = "float64={0}, kernel={1}")
  @MethodSource("io.github.tftrain.optimizers.Kernels#precisionsAndKernels")
  void dynamicsFixedNoisesWholeModelLossOffset(boolean float64, UpdateKernel kernel) {
    Kernels.require(kernel);
    Trajectories.compare(
        "dynamics fixed R/Q, one layer, offset",
        true,
        float64,
        STEPS,
        g ->
            Kafisto.builder()
                .kernel(kernel)
                .adaptiveQ(false)
                .q(0.02)
                .r(2.0)
                .layerwise(false)
                .lossOffset(0.5)
                .build(g),
        x0 -> {
          ReferenceKafisto r = new ReferenceKafisto(x0);
          r.adaptiveQ = false;
          r.q = 0.02;
          r.fixedR = 2.0;
          r.layerwise = false;
          r.lossOffset = 0.5;
          return r.start();
        });
  }

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void vanillaDefaults(boolean float64) {
    Trajectories.compare(
        "vanilla defaults",
        true,
        float64,
        STEPS,
        g -> Kafisto.builder().variant(Variant.VANILLA).build(g),
        x0 -> {
          ReferenceKafisto r = new ReferenceKafisto(x0);
          r.dynamics = false;
          r.q = 1.0;
          return r.start();
        });
  }

  @ParameterizedTest(name = "float64={0}")
  @ValueSource(booleans = {true, false})
  void vanillaScalarLossWeightDecayCosineWarmupWholeModelTarget(boolean float64) {
    Schedule gain = Schedule.cosine(0.8, STEPS, 0.1).withLinearWarmup(4, 0.25);
    Trajectories.compare(
        "vanilla wd, cosine+warmup, one layer, target",
        false,
        float64,
        STEPS,
        g ->
            Kafisto.builder()
                .variant(Variant.VANILLA)
                .weightDecay(0.02)
                .lr(gain)
                .layerwise(false)
                .lossTarget(0.1)
                .sigmaX(0.5)
                .q(0.3)
                .build(g),
        x0 -> {
          ReferenceKafisto r = new ReferenceKafisto(x0);
          r.dynamics = false;
          r.weightDecay = 0.02;
          r.lr = gain::valueAt;
          r.layerwise = false;
          r.lossTarget = 0.1;
          r.sigmaX = 0.5;
          r.q = 0.3;
          return r.start();
        });
  }

  /** σx², R, qX and the effective step size are exposed per step and match the reference. */
  @ParameterizedTest(name = "kernel={0}")
  @EnumSource(value = UpdateKernel.class, names = {"GRAPH", "NATIVE"})
  void diagnosticsMatchReference(UpdateKernel kernel) {
    Kernels.require(kernel);
    RegressionProblem problem = new RegressionProblem(STEPS, true);
    ReferenceKafisto ref = new ReferenceKafisto(problem.initial);
    ref.weightDecay = 0.01;
    ref.start();
    try (RegressionProblem.InGraph g = problem.new InGraph(true)) {
      Kafisto kafisto = Kafisto.builder().kernel(kernel).weightDecay(0.01).build(g.graph);
      assertEquals(kernel, kafisto.kernel());
      Op train = kafisto.minimize(g.loss());
      for (int step = 0; step < STEPS; step++) {
        double[] d =
            g.run(
                train,
                step,
                List.of(
                    kafisto.sigmaX2(),
                    kafisto.measurementNoise(),
                    kafisto.stateNoise(),
                    kafisto.effectiveStepSize(),
                    kafisto.learningRate()));
        ref.step(problem, step);
        double tol = Trajectories.FLOAT64_TOLERANCE;
        Trajectories.assertClose("sigmaX2 step " + step, ref.lastSigmaX2, d[0], tol);
        Trajectories.assertClose("R step " + step, ref.lastR, d[1], tol);
        Trajectories.assertClose("effective step " + step, ref.lastEffectiveStep, d[3], tol);
        Trajectories.assertClose("gain step " + step, 1.0, d[4], tol);
        // Both report the qX in the predicted covariance of this step.
        Trajectories.assertClose("qX used at step " + step, ref.lastQxUsed, d[2], tol);
      }
    }
  }
}
