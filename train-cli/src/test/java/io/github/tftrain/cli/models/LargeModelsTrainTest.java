package io.github.tftrain.cli.models;

import static io.github.tftrain.cli.models.Fixtures.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.tftrain.data.ImageBatches;
import io.github.tftrain.data.TextCorpus;
import io.github.tftrain.data.TokenBatches;
import io.github.tftrain.models.Init;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Op;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;

/**
 * The paper-sized models the overfitting tests leave out build at full size and train. One plain SGD step of size
 * ε on a small real batch must lower the batch's loss by ε‖g‖² to first order: the measured decrease over that
 * prediction checks the whole model's gradient. Then two more steps keep lowering it. WRN-28-10 has 36.5M
 * parameters, WRN-50-2 66.8M, lstm-large 39,744,987 with the PTB-layout vocabulary (2,487 words).
 *
 * <p>ε per model keeps the step in the linear regime while the decrease stays measurable in float32. Measured on
 * this batch of 4 at initialisation: ‖g‖ = 14 for WRN-28-10 (ratio 0.995 at ε = 1e-6, still 0.8-1.2 at 1e-4), but
 * 333 for ResNet-50 and 497 for WRN-50-2, whose post-activation bottleneck stacks with batch statistics over 4
 * images are very sharp at initialisation: ratio 0.57 and 0.42 at ε = 1e-5, and their loss rises at ε = 0.01.
 */
class LargeModelsTrainTest {

  @ParameterizedTest
  @CsvSource({"wrn-28-10, 1e-4", "resnet50, 1e-6", "wrn-50-2, 1e-6"})
  void classifier(String model, double epsilon) {
    ImageBatches.Batch batch = Fixtures.imageBatch(4, null);
    try (Graph g = new Graph();
        Session s = new Session(g);
        TFloat32 images = batch.imagesTensor();
        TInt32 labels = batch.labelsTensor()) {
      ImageClassifierTask task =
          ImageClassifierTask.build(g, (ModelSpec.ImageClassifier) ModelSpec.parse(model), 32, 32, 3, 10,
              Init.KAIMING_UNIFORM, 1, 0, OptimizerFactory.of("sgd", settings("lr", Double.toString(epsilon))));
      Operand<TFloat64> gradientNorm = task.optimizer().gradientNorm();
      s.initialize();
      Runner run = targets -> meanLossAndNorm(s, task, images, labels, gradientNorm, targets);
      double[] before = run.apply(task.trainTargets());
      double after = run.apply(List.of())[0];
      checkFirstOrderDecrease(model, epsilon, before[0], after, before[1]);
      run.apply(task.trainTargets());
      run.apply(task.trainTargets());
      double third = run.apply(List.of())[0];
      assertTrue(third < after, String.format(Locale.ROOT, "%s: loss %.5f -> %.5f", model, after, third));
    }
  }

  private interface Runner {
    double[] apply(List<Op> targets);
  }

  /** Mean loss and gradient norm in training mode (batch statistics), running {@code targets} too. */
  private static double[] meanLossAndNorm(
      Session s, ImageClassifierTask task, TFloat32 images, TInt32 labels, Operand<TFloat64> gradientNorm,
      List<Op> targets) {
    try (TBool training = TBool.scalarOf(true)) {
      Session.Runner runner =
          s.runner()
              .feed(task.images(), images)
              .feed(task.labels(), labels)
              .feed(task.network().training(), training)
              .fetch(task.losses())
              .fetch(gradientNorm);
      targets.forEach(runner::addTarget);
      try (Result r = runner.run()) {
        TFloat32 losses = (TFloat32) r.get(0);
        double mean = 0;
        for (int i = 0; i < losses.shape().size(); i++) {
          mean += losses.getFloat(i) / losses.shape().size();
        }
        return new double[] {mean, ((TFloat64) r.get(1)).getDouble()};
      }
    }
  }

  private static void checkFirstOrderDecrease(
      String model, double epsilon, double before, double after, double gradientNorm) {
    double predicted = epsilon * gradientNorm * gradientNorm;
    double ratio = (before - after) / predicted;
    String what =
        String.format(Locale.ROOT, "%s: loss %.6f -> %.6f, predicted decrease ε‖g‖² = %.6f (ratio %.3f)", model,
            before, after, predicted, ratio);
    assertTrue(predicted > 1e-4 * before, "decrease too small to measure in float32: " + what);
    assertTrue(ratio > 0.8 && ratio < 1.2, what);
  }

  @ParameterizedTest
  @ValueSource(strings = {"lstm-large"})
  void languageModel(String model) {
    TextCorpus corpus = Fixtures.ptb();
    TokenBatches windows = Fixtures.ptbWindows(corpus, 2, 35);
    ModelSpec.LanguageModel spec = (ModelSpec.LanguageModel) ModelSpec.parse(model);
    try (Graph g = new Graph();
        Session s = new Session(g);
        LanguageModelTask task =
            LanguageModelTask.build(g, spec, corpus.vocabulary().size(), 2, 35, Init.XAVIER_UNIFORM, 1,
                spec.dropout(), OptimizerFactory.of("sgd", settings("lr", "1", "clipNorm", "0.25")));
        TInt32 in = windows.tensor(windows.inputs(0));
        TInt32 out = windows.tensor(windows.targets(0))) {
      assertEquals(0.65, spec.dropout());
      // tied embedding V x H, two LSTM layers of [2H, 4H] weights + 4H biases, decoder bias V
      long words = corpus.vocabulary().size();
      long hidden = spec.size();
      assertEquals(2487, words);
      assertEquals(words * hidden + 2 * (2 * hidden * 4 * hidden + 4 * hidden) + words,
          task.network().parameterCount());
      assertEquals(39_744_987, task.network().parameterCount());
      s.initialize();
      double[] losses = new double[3];
      for (int i = 0; i < 3; i++) {
        task.resetState();
        losses[i] = task.trainStep(s, in, out, 0); // step key 0: the same dropout masks every time
      }
      assertTrue(Double.isFinite(losses[0]) && losses[2] < losses[1] && losses[1] < losses[0],
          String.format(Locale.ROOT, "%s: losses %.4f, %.4f, %.4f", model, losses[0], losses[1], losses[2]));
    }
  }
}
