package io.github.tftrain.trainer.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.tftrain.data.IdxReader;
import io.github.tftrain.data.ImageDataset;
import io.github.tftrain.optimizers.Optimizers;
import io.github.tftrain.trainer.ArrayData;
import io.github.tftrain.trainer.Callback;
import io.github.tftrain.trainer.EarlyStopping;
import io.github.tftrain.trainer.Model;
import io.github.tftrain.trainer.ModelOutputs;
import io.github.tftrain.trainer.Outcome;
import io.github.tftrain.trainer.Trainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Operand;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.random.TruncatedNormal;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * The README's example of the trainer API: a user-defined TF-Java MLP on the Fashion-MNIST subset, trained with
 * AdamW through {@link Trainer}. It reaches the stated accuracy; stopped by a real SIGTERM mid-run and resumed, it
 * ends with the weights and metrics of the uninterrupted run; early stopping ends a run early as finished; the
 * SavedModel serves the evaluation's predictions. The code between the README markers is the README's snippet.
 */
class TrainerUsageTest {
  // README-SNIPPET-BEGIN
  /** A two-layer perceptron on 784 pixels: your own TF-Java graph. */
  static final Model MLP = ctx -> {
    Ops tf = ctx.tf();
    Operand<TFloat32> pixels = ctx.input("pixels", TFloat32.class);
    Operand<TInt32> labels = ctx.input("label", TInt32.class);
    Operand<TFloat32> hidden = tf.nn.relu(dense(tf.withSubScope("hidden"), pixels, 784, 128, ctx.seed()));
    Operand<TFloat32> logits = dense(tf.withSubScope("output"), hidden, 128, 10, ctx.seed() + 1);
    Operand<TFloat32> loss = tf.math.mean(
        tf.nn.sparseSoftmaxCrossEntropyWithLogits(logits, labels).loss(), tf.constant(0));
    Operand<TFloat32> wrong = tf.dtypes.cast(
        tf.math.notEqual(tf.math.argMax(logits, tf.constant(1), TInt32.class), labels), TFloat32.class);
    return ModelOutputs.loss(loss)
        .metric("error", tf.math.mean(wrong, tf.constant(0)))
        .prediction("probabilities", tf.nn.softmax(logits))
        .servingInputs("pixels");
  };

  static Operand<TFloat32> dense(Ops tf, Operand<TFloat32> x, int in, int out, long seed) {
    Variable<TFloat32> w = tf.withName("kernel").variable(tf.withInitScope().math.mul(
        tf.withInitScope().random.truncatedNormal(tf.constant(new long[] {in, out}), TFloat32.class,
            TruncatedNormal.seed(seed).seed2(1L)),
        tf.constant((float) Math.sqrt(2.0 / in))));
    Variable<TFloat32> b = tf.withName("bias").variable(tf.withInitScope().zeros(tf.constant(new long[] {out}),
        TFloat32.class));
    return tf.math.add(tf.linalg.matMul(x, tf.identity(w)), tf.identity(b));
  }

  static Outcome train(Path runDirectory, ArrayData trainData, ArrayData testData, Callback... callbacks)
      throws IOException {
    return Trainer.builder()
        .model(MLP)
        .train(trainData)
        .evaluation(testData)
        .optimizer(Optimizers.builder("adamw").lr(1e-3).set("weightDecay", "1e-4"))
        .epochs(4)
        .callbacks(callbacks)
        .runDirectory(runDirectory)
        .build()
        .fit();
  }
  // README-SNIPPET-END

  @Test
  void aUserModelTrainsResumesAfterSigtermAndExports(@TempDir Path tmp) throws Exception {
    ArrayData trainData = data("train").batchSize(64).shuffle(7).dropLast(true).build();
    ArrayData testData = data("t10k").batchSize(250).build();
    Path uninterrupted = tmp.resolve("uninterrupted");
    assertEquals(Outcome.DONE, train(uninterrupted, trainData, testData));
    List<String> rows = Files.readAllLines(uninterrupted.resolve("metrics.csv"), StandardCharsets.UTF_8);
    List<String> header = List.of(rows.get(0).split(","));
    String[] last = rows.get(rows.size() - 1).split(",", -1);
    double error = Double.parseDouble(last[header.indexOf("eval_error")]);
    assertTrue(error < 0.25, "test error after 4 epochs on 2,000 images: " + error);

    // a real SIGTERM to this JVM in the middle of epoch 2: a checkpoint, INTERRUPTED; then resume()
    Path interrupted = tmp.resolve("interrupted");
    Callback sigterm = new Callback() {
      @Override
      public void onStep(long step, Map<String, Double> values) {
        if (step == 45) {
          sun.misc.Signal.raise(new sun.misc.Signal("TERM"));
        }
      }
    };
    assertEquals(Outcome.INTERRUPTED, train(interrupted, trainData, testData, sigterm));
    Outcome resumed = Trainer.builder().model(MLP).train(trainData).evaluation(testData)
        .optimizer(Optimizers.builder("adamw").lr(1e-3).set("weightDecay", "1e-4")).epochs(4)
        .runDirectory(interrupted).build().resume();
    assertEquals(Outcome.DONE, resumed);
    assertEquals(withoutThroughput(uninterrupted), withoutThroughput(interrupted), "metrics.csv");
    for (String file : List.of("variables.index", "variables.data-00000-of-00001")) {
      assertArrayEquals(Files.readAllBytes(uninterrupted.resolve("checkpoints/step-000000124").resolve(file)),
          Files.readAllBytes(interrupted.resolve("checkpoints/step-000000124").resolve(file)), file);
    }

    // the SavedModel serves what the evaluation measured
    float[][] rowsOfPixels = data("t10k").build().batch(0, 0).entrySet().stream()
        .filter(e -> e.getKey().equals("pixels")).map(e -> toRows((TFloat32) e.getValue())).findFirst()
        .orElseThrow();
    try (SavedModelBundle bundle = SavedModelBundle.load(uninterrupted.resolve("saved_model").toString(), "serve");
        TFloat32 input = TFloat32.tensorOf(Shape.of(rowsOfPixels.length, 784), d -> {
          for (int i = 0; i < rowsOfPixels.length; i++) {
            for (int j = 0; j < 784; j++) {
              d.setFloat(rowsOfPixels[i][j], i, j);
            }
          }
        });
        var result = bundle.function("serving_default").call(Map.of("pixels", input))) {
      TFloat32 probabilities = (TFloat32) result.get("probabilities").orElseThrow();
      assertEquals(Shape.of(rowsOfPixels.length, 10), probabilities.shape());
    }
  }

  /** Early stopping with patience 1 and a huge min delta: the second evaluation cannot improve enough; done. */
  @Test
  void earlyStoppingEndsTheRunAsFinished(@TempDir Path tmp) throws Exception {
    ArrayData trainData = data("train").batchSize(64).shuffle(7).dropLast(true).build();
    ArrayData testData = data("t10k").batchSize(250).build();
    StringWriter out = new StringWriter();
    Outcome outcome = Trainer.builder().model(MLP).train(trainData).evaluation(testData)
        .optimizer(Optimizers.builder("sgd").lr(0.05)).epochs(4)
        .callbacks(EarlyStopping.onMetric("eval_loss", 1, 10.0))
        .output(new PrintWriter(out), new PrintWriter(new StringWriter()))
        .runDirectory(tmp.resolve("run")).build().fit();
    assertEquals(Outcome.DONE, outcome);
    assertTrue(out.toString().contains("stopping: early stopping: eval_loss has not improved by more than 10.0 in 1 "
        + "evaluations (best"), out::toString);
    List<String> names;
    try (var entries = Files.list(tmp.resolve("run/checkpoints"))) {
      names = entries.map(p -> p.getFileName().toString()).sorted().toList();
    }
    assertTrue(names.contains("step-000000062"), "stopped after epoch 2: " + names);
    assertTrue(names.stream().noneMatch(n -> n.equals("step-000000093")), "no third epoch: " + names);
    assertTrue(Files.isRegularFile(tmp.resolve("run/saved_model/saved_model.pb")));
  }

  /**
   * The range test from the library on the README's model: plain SGD from 1e-4 to 1e3 over 60 steps. The suggestion
   * is a tenth of the rate at the lowest smoothed loss (recomputed here from the points), and SGD diverges before 1e3.
   */
  @Test
  void findsALearningRateFromTheLibrary(@TempDir Path tmp) throws Exception {
    ArrayData trainData = data("train").batchSize(64).shuffle(7).dropLast(true).build();
    var result = Trainer.builder().model(MLP).train(trainData).optimizer(Optimizers.builder("sgd"))
        .runDirectory(tmp.resolve("unused")).build().findLearningRate(1e-4, 1e3, 60);
    double lowest = Double.POSITIVE_INFINITY;
    double lr = Double.NaN;
    for (var point : result.points()) {
      if (point.smoothed() < lowest) {
        lowest = point.smoothed();
        lr = point.lr();
      }
    }
    assertEquals(lr / 10, result.suggestion(), 1e-15);
    assertTrue(result.stoppedEarly(), "SGD diverges before a rate of 1000");
    assertTrue(result.suggestion() > 1e-3 && result.suggestion() < 10, "suggested " + result.suggestion());
    assertTrue(!Files.exists(tmp.resolve("unused")), "nothing written");
  }

  /** The README's trainer example is this test's code, word for word (whitespace aside). */
  @Test
  void readmeShowsThisCode() throws IOException {
    Path root = testdata().getParent().getParent();
    String source = Files.readString(
        root.resolve("train-cli/src/test/java/io/github/tftrain/trainer/client/TrainerUsageTest.java"));
    String snippet = source.substring(source.indexOf("// README-SNIPPET-BEGIN") + "// README-SNIPPET-BEGIN".length(),
        source.indexOf("  // README-SNIPPET-END"));
    String readme = Files.readString(root.resolve("README.md"));
    assertTrue(readme.replaceAll("\\s+", " ").contains(snippet.replaceAll("\\s+", " ").trim()),
        "README.md must contain the snippet of TrainerUsageTest");
  }

  private static ArrayData.Builder data(String split) throws IOException {
    ImageDataset images = IdxReader.readSplit(testdata(), split, 10);
    float[][] pixels = new float[images.count()][784];
    for (int i = 0; i < images.count(); i++) {
      for (int p = 0; p < 784; p++) {
        pixels[i][p] = images.pixel(i, p / 28, p % 28, 0) / 255f;
      }
    }
    return ArrayData.builder().features("pixels", pixels).labels("label", images.labels());
  }

  private static float[][] toRows(TFloat32 batch) {
    float[][] out = new float[(int) batch.shape().size(0)][784];
    for (int i = 0; i < out.length; i++) {
      for (int j = 0; j < 784; j++) {
        out[i][j] = batch.getFloat(i, j);
      }
    }
    return out;
  }

  private static List<String> withoutThroughput(Path run) throws IOException {
    List<String> rows = Files.readAllLines(run.resolve("metrics.csv"), StandardCharsets.UTF_8);
    int column = List.of(rows.get(0).split(",")).indexOf("examples_per_s");
    return rows.stream().map(r -> {
      String[] cells = r.split(",", -1);
      cells[column] = "";
      return String.join(",", cells);
    }).toList();
  }

  private static Path testdata() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isDirectory(dir.resolve("testdata/fashion-mnist"))) {
      dir = dir.getParent();
    }
    return dir.resolve("testdata/fashion-mnist");
  }
}
