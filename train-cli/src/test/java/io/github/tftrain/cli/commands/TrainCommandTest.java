package io.github.tftrain.cli.commands;

import io.github.tftrain.trainer.Json;

import static io.github.tftrain.cli.commands.TrainRuns.checkpointEntries;
import static io.github.tftrain.cli.commands.TrainRuns.list;
import static io.github.tftrain.cli.commands.TrainRuns.metrics;
import static io.github.tftrain.cli.commands.TrainRuns.testdata;
import static io.github.tftrain.cli.commands.TrainRuns.train;
import static io.github.tftrain.cli.commands.TrainRuns.trainSettings;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;

/**
 * {@code tftrain train} end to end, one short run per model family, each checked against what it must have written:
 * config.json's resolved settings and data facts (normalisation recomputed from the raw files), metrics.csv's columns
 * and rows, checkpoints, best.json, TensorBoard events, plots and the SavedModel. For the classifiers the final
 * evaluation in metrics.csv is recomputed from the SavedModel's logits on independently decoded test images, once in
 * a fresh JVM.
 */
class TrainCommandTest {
  private static final List<String> KAFISTO =
      List.of("kafisto_sigma_x2", "kafisto_r_noise", "kafisto_q_x", "kafisto_effective_step");
  private static final List<String> CLASSIFIER_EVAL = List.of("test_loss", "test_error", "test_top5_error");

  @Test
  void classifierOnIdxWithKafisto(@TempDir Path tmp) throws Exception {
    Path run = tmp.resolve("run");
    String[] args = {"--model", "wrn-10-2", "--data", "testdata/fashion-mnist", "--optimizer", "kafisto",
        "--steps", "20", "--batch-size", "16", "--log-every", "3", "--seed", "7", "--run-dir", run.toString()};
    TrainRuns.Cli cli = train(args);
    assertEquals(0, cli.exitCode(), cli::toString);
    assertTrue(cli.out().contains("done: test error"), cli::toString);

    // config.json: the flags, the defaults they leave, the data's facts
    Map<String, Object> config = TrainRuns.config(run);
    Map<String, Object> train = trainSettings(run);
    assertEquals("wrn-10-2", train.get("model"));
    assertEquals(testdata("fashion-mnist").toString(), train.get("data"), "testdata/NAME resolves to the checkout");
    assertEquals("idx", train.get("data_format"));
    assertEquals("kafisto", train.get("optimizer"));
    assertEquals(7L, ((Number) train.get("seed")).longValue());
    assertEquals(20L, ((Number) train.get("steps")).longValue());
    assertEquals(0L, ((Number) train.get("epochs")).longValue());
    assertEquals(16L, ((Number) train.get("batch_size")).longValue());
    assertEquals(3L, ((Number) train.get("log_every")).longValue());
    assertEquals("constant", train.get("schedule"));
    assertEquals("stop", train.get("on_nan"));
    assertEquals(Boolean.TRUE, train.get("augment"));
    assertEquals("", train.get("preset"), "model and data given: no preset");
    assertEquals(Map.of(), train.get("hyperparameters"));
    List<String> command = new ArrayList<>(List.of("train"));
    command.addAll(List.of(args));
    assertEquals(command, config.get("command"), "the command line as given");
    assertEquals(125L, ((Number) config.get("steps_per_epoch")).longValue(), "2,000 images / 16, last dropped");
    // every optimizer hyperparameter as resolved (defaults too), the kernel it ran on, threads, versions, commit
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> optimizers = (List<Map<String, Object>>) config.get("optimizers");
    assertEquals(1, optimizers.size());
    assertEquals("kafisto", optimizers.get(0).get("optimizer"));
    @SuppressWarnings("unchecked")
    Map<String, Object> hyperparameters = (Map<String, Object>) optimizers.get(0).get("hyperparameters");
    assertEquals(io.github.tftrain.optimizers.Optimizers.builder("kafisto").keys(),
        List.copyOf(hyperparameters.keySet()), "every key of kafisto, in its declaration's order");
    assertEquals(io.github.tftrain.optimizers.Kafisto.ALPHA.defaultValue(), hyperparameters.get("alpha"));
    assertTrue(List.of("native", "graph").contains(hyperparameters.get("kernel")), "auto resolved");
    assertEquals((long) Runtime.getRuntime().availableProcessors(), ((Number) config.get("threads")).longValue());
    @SuppressWarnings("unchecked")
    Map<String, Object> versions = (Map<String, Object>) config.get("versions");
    assertEquals(System.getProperty("java.version"), versions.get("java"));
    assertEquals(org.tensorflow.TensorFlow.version(), versions.get("tensorflow"));
    if (java.nio.file.Files.exists(Path.of("..", ".git")) || java.nio.file.Files.exists(Path.of(".git"))) {
      assertTrue(String.valueOf(versions.get("git_commit")).matches("[0-9a-f]{40}"), versions::toString);
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> data = (Map<String, Object>) config.get("data");
    assertEquals(2000L, ((Number) data.get("train_images")).longValue());
    assertEquals(500L, ((Number) data.get("test_images")).longValue());
    assertEquals(List.of(32L, 32L, 3L), numbers(data.get("shape")).stream().map(Double::longValue).toList());
    assertEquals(10L, ((Number) data.get("classes")).longValue());
    ReferenceData.Images trainImages = ReferenceData.idxPaddedRgb(testdata("fashion-mnist"), "train");
    double[][] reference = ReferenceData.meanStd(trainImages);
    double[] mean = doubles(data.get("normalization_mean"));
    double[] std = doubles(data.get("normalization_std"));
    assertArrayEquals(reference[0], mean, 1e-12, "mean of the padded training pixels / 255");
    assertArrayEquals(reference[1], std, 1e-9, "std of the padded training pixels / 255");

    // metrics.csv
    TrainRuns.Metrics metrics = metrics(run);
    List<String> header = new ArrayList<>(List.of("step", "epoch", "loss", "lr", "grad_norm"));
    header.addAll(KAFISTO);
    header.add("images_per_s");
    header.addAll(CLASSIFIER_EVAL);
    assertEquals(header, metrics.header());
    assertEquals(List.of(3L, 6L, 9L, 12L, 15L, 18L, 20L), metrics.steps(), "every 3 steps and at the end");
    for (int i = 0; i < metrics.rows().size(); i++) {
      assertEquals("1", metrics.cell(i, "epoch"));
      double loss = metrics.number(i, "loss");
      assertTrue(Double.isFinite(loss) && loss > 0, "loss " + loss);
      assertEquals(1.0, metrics.number(i, "lr"), "KaFiStO's default gain, constant schedule");
      for (String k : KAFISTO) {
        assertTrue(Double.isFinite(metrics.number(i, k)), k + " in row " + i);
      }
      assertTrue(metrics.number(i, "images_per_s") > 0);
      boolean last = i == metrics.rows().size() - 1;
      for (String e : CLASSIFIER_EVAL) {
        assertEquals(last, !metrics.cell(i, e).isEmpty(), e + " is filled only on the evaluated (last) row");
      }
    }
    double testError = metrics.number(metrics.rows().size() - 1, "test_error");

    assertRunLayout(run, List.of("best.json", "step-000000020"));
    Map<String, Object> best =
        Json.parseObject(Files.readString(run.resolve("checkpoints/best.json"), StandardCharsets.UTF_8));
    assertEquals(20L, ((Number) best.get("step")).longValue());
    assertEquals("test_error", best.get("metric"));
    assertEquals(testError, ((Number) best.get("value")).doubleValue(), 1e-15);
    Map<String, Object> state = Json.parseObject(
        Files.readString(run.resolve("checkpoints/step-000000020/state.json"), StandardCharsets.UTF_8));
    assertEquals(20L, ((Number) state.get("step")).longValue());
    assertTrue(Files.size(run.resolve("checkpoints/step-000000020/variables.index")) > 0);
    assertEventTags(run, "train/loss", "train/kafisto_sigma_x2", "eval/test_error");
    assertPng(run.resolve("plots/loss.png"));
    assertPng(run.resolve("plots/metric.png"));

    // The SavedModel, loaded by a fresh JVM with only TensorFlow Java on its class path, reproduces the final
    // evaluation from the raw test pixels (28x28x1 bytes, as the IDX file holds them; the graph pads, repeats and
    // normalises) and from images normalised here.
    ReferenceData.Images raw = ReferenceData.idxRaw(testdata("fashion-mnist"), "t10k");
    ReferenceData.Images test = ReferenceData.idxPaddedRgb(testdata("fashion-mnist"), "t10k");
    Path pixels = tmp.resolve("pixels.u8");
    Files.write(pixels, raw.pixels());
    Path images = tmp.resolve("images.f32");
    ReferenceData.writeFloats(images, ReferenceData.normalise(test, mean, std));
    Path source = Path.of("src/test/java/io/github/tftrain/cli/commands/SavedModelLogits.java").toAbsolutePath();
    for (String kind : List.of("pixels", "images")) {
      Path logitsFile = tmp.resolve(kind + ".logits.f32");
      Path log = tmp.resolve(kind + ".log");
      int[] shape = kind.equals("pixels") ? new int[] {28, 28, 1} : new int[] {32, 32, 3};
      Process child = TrainRuns.javaSourceWithTensorFlowOnly(log, source, run.resolve("saved_model").toString(),
          kind, (kind.equals("pixels") ? pixels : images).toString(), Integer.toString(test.count()),
          Integer.toString(shape[0]), Integer.toString(shape[1]), Integer.toString(shape[2]), logitsFile.toString());
      assertEquals(0, TrainRuns.await(child, Duration.ofMinutes(3), log), () -> "child failed:\n" + read(log));
      float[] logits = ReferenceData.readFloats(logitsFile);
      assertEquals(test.count() * 10, logits.length);
      assertFinalEvaluation(metrics, ReferenceData.evaluate(logits, 10, test.labels()));
    }
    // what the outputs mean and how inputs were prepared travel with the SavedModel and the run
    assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
        Files.readAllLines(run.resolve("saved_model/assets/classes.txt")));
    assertEquals(Files.readAllLines(run.resolve("classes.txt")),
        Files.readAllLines(run.resolve("saved_model/assets/classes.txt")));
  }

  @Test
  void classifierOnCifarLayoutWithAdam(@TempDir Path tmp) throws Exception {
    Path run = tmp.resolve("run");
    TrainRuns.Cli cli = train("--model", "wrn-10-2", "--data", "testdata/fashion-mnist-cifar10", "--optimizer",
        "adam", "--steps", "10", "--batch-size", "32", "--log-every", "4", "--no-augment", "--run-dir",
        run.toString());
    assertEquals(0, cli.exitCode(), cli::toString);

    Map<String, Object> train = trainSettings(run);
    assertEquals("cifar10", train.get("data_format"));
    assertEquals("adam", train.get("optimizer"));
    assertEquals(Boolean.FALSE, train.get("augment"));
    assertEquals(1L, ((Number) train.get("seed")).longValue(), "default seed");
    @SuppressWarnings("unchecked")
    Map<String, Object> data = (Map<String, Object>) TrainRuns.config(run).get("data");
    Path folder = testdata("fashion-mnist-cifar10");
    ReferenceData.Images trainImages = ReferenceData.cifar(folder.resolve("data_batch_1.bin"),
        folder.resolve("data_batch_2.bin"), folder.resolve("data_batch_3.bin"), folder.resolve("data_batch_4.bin"),
        folder.resolve("data_batch_5.bin"));
    double[][] reference = ReferenceData.meanStd(trainImages);
    double[] mean = doubles(data.get("normalization_mean"));
    double[] std = doubles(data.get("normalization_std"));
    assertArrayEquals(reference[0], mean, 1e-12);
    assertArrayEquals(reference[1], std, 1e-9);

    TrainRuns.Metrics metrics = metrics(run);
    assertEquals(List.of("step", "epoch", "loss", "lr", "grad_norm", "images_per_s", "test_loss", "test_error",
        "test_top5_error"), metrics.header(), "no KaFiStO columns with Adam");
    assertEquals(List.of(4L, 8L, 10L), metrics.steps());
    for (int i = 0; i < metrics.rows().size(); i++) {
      assertTrue(Double.isFinite(metrics.number(i, "loss")));
      assertEquals(1e-3, metrics.number(i, "lr"), "Adam's default learning rate");
    }
    assertRunLayout(run, List.of("best.json", "step-000000010"));

    // The SavedModel in this JVM: all three outputs, and the evaluation recomputed from the CIFAR test records.
    ReferenceData.Images test = ReferenceData.cifar(folder.resolve("test_batch.bin"));
    float[] input = ReferenceData.normalise(test, mean, std);
    try (SavedModelBundle bundle = SavedModelBundle.load(run.resolve("saved_model").toString(), "serve");
        TFloat32 images = TFloat32.tensorOf(Shape.of(test.count(), 32, 32, 3), DataBuffers.of(input, true, false));
        var result = bundle.function("serving_normalized").call(Map.<String, Tensor>of("images", images))) {
      float[] logits = floats((TFloat32) result.get("logits").orElseThrow());
      float[] probabilities = floats((TFloat32) result.get("probabilities").orElseThrow());
      TFloat32 features = (TFloat32) result.get("features").orElseThrow();
      assertEquals(2, features.shape().numDimensions());
      assertEquals(test.count(), features.shape().get(0));
      for (int i = 0; i < test.count(); i++) {
        double sum = 0;
        int argmaxLogit = 0;
        int argmaxProbability = 0;
        for (int k = 0; k < 10; k++) {
          sum += probabilities[i * 10 + k];
          argmaxLogit = logits[i * 10 + k] > logits[i * 10 + argmaxLogit] ? k : argmaxLogit;
          argmaxProbability = probabilities[i * 10 + k] > probabilities[i * 10 + argmaxProbability] ? k
              : argmaxProbability;
        }
        assertEquals(1.0, sum, 1e-5, "probabilities of image " + i);
        assertEquals(argmaxLogit, argmaxProbability, "image " + i);
      }
      assertFinalEvaluation(metrics, ReferenceData.evaluate(logits, 10, test.labels()));
    }
  }

  @Test
  void lstmOnPtb(@TempDir Path tmp) throws Exception {
    Path run = tmp.resolve("run");
    TrainRuns.Cli cli = train("--model", "lstm-tiny", "--data", "testdata/ptb", "--steps", "3", "--log-every", "2",
        "--batch-size", "32", "--bptt", "20", "--run-dir", run.toString());
    assertEquals(0, cli.exitCode(), cli::toString);

    Map<String, Object> train = trainSettings(run);
    assertEquals("ptb", train.get("data_format"));
    assertEquals("kafisto", train.get("optimizer"), "the default optimizer");
    assertEquals(Map.of("clipNorm", "0.25"), train.get("hyperparameters"), "language models clip at 0.25");
    assertEquals(0.65, ((Number) train.get("dropout")).doubleValue(), "lstm-tiny's dropout");
    assertEquals(20L, ((Number) train.get("bptt")).longValue());
    // the vocabulary and token count, from the text: the training split's words plus <eos>, one per line
    Set<String> words = new HashSet<>(List.of("<eos>"));
    long tokens = 0;
    for (String line : Files.readAllLines(testdata("ptb").resolve("ptb.train.txt"), StandardCharsets.UTF_8)) {
      for (String w : line.trim().split("\\s+")) {
        if (!w.isEmpty()) {
          words.add(w);
          tokens++;
        }
      }
      tokens++;
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> data = (Map<String, Object>) TrainRuns.config(run).get("data");
    assertEquals(words.size(), ((Number) data.get("vocabulary")).intValue());
    assertEquals(tokens, ((Number) data.get("train_tokens")).longValue());

    TrainRuns.Metrics metrics = metrics(run);
    List<String> header = new ArrayList<>(List.of("step", "epoch", "loss", "lr", "grad_norm"));
    header.addAll(KAFISTO);
    header.addAll(List.of("tokens_per_s", "valid_loss", "valid_ppl"));
    assertEquals(header, metrics.header());
    assertEquals(List.of(2L, 3L), metrics.steps());
    assertEquals("", metrics.cell(0, "valid_loss"));
    double loss = metrics.number(0, "loss");
    assertTrue(Math.abs(loss - Math.log(words.size())) < 1, "an untrained model is near uniform: " + loss);
    double validLoss = metrics.number(1, "valid_loss");
    assertEquals(Math.exp(validLoss), metrics.number(1, "valid_ppl"), 1e-9 * Math.exp(validLoss));

    assertRunLayout(run, List.of("best.json", "step-000000003"));
    assertTrue(Files.isRegularFile(run.resolve("checkpoints/step-000000003/carried_state.bin")),
        "the LSTM's carried state is checkpointed");
    assertEquals("valid_ppl", Json.parseObject(
        Files.readString(run.resolve("checkpoints/best.json"), StandardCharsets.UTF_8)).get("metric"));
    assertEventTags(run, "train/loss", "eval/valid_ppl");
  }

  @Test
  void transformerOnWikitextWithSgd(@TempDir Path tmp) throws Exception {
    Path run = tmp.resolve("run");
    TrainRuns.Cli cli = train("--model", "transformer-tiny", "--data", "testdata/wikitext", "--optimizer", "sgd",
        "--lr", "0.5", "--steps", "2", "--log-every", "1", "--batch-size", "16", "--bptt", "20", "--run-dir",
        run.toString());
    assertEquals(0, cli.exitCode(), cli::toString);
    Map<String, Object> train = trainSettings(run);
    assertEquals("wikitext", train.get("data_format"));
    assertEquals(Map.of("clipNorm", "0.25", "lr", "0.5"), train.get("hyperparameters"));
    TrainRuns.Metrics metrics = metrics(run);
    assertEquals(List.of("step", "epoch", "loss", "lr", "grad_norm", "tokens_per_s", "valid_loss", "valid_ppl"),
        metrics.header());
    assertEquals(List.of(1L, 2L), metrics.steps());
    assertEquals(0.5, metrics.number(0, "lr"));
    assertTrue(Double.isFinite(metrics.number(1, "valid_loss")));
    assertRunLayout(run, List.of("best.json", "step-000000002"));
  }

  @Test
  void dcganOnCifarLayout(@TempDir Path tmp) throws Exception {
    Path run = tmp.resolve("run");
    TrainRuns.Cli cli = train("--model", "dcgan", "--data", "testdata/fashion-mnist-cifar10", "--optimizer", "adam",
        "--batch-size", "8", "--n-critic", "1", "--steps", "2", "--log-every", "1", "--run-dir", run.toString());
    assertEquals(0, cli.exitCode(), cli::toString);
    // the progress names the GAN's first column (the critic's loss) instead of calling it "train loss"
    assertTrue(cli.out().contains("train critic loss "), cli::toString);

    Map<String, Object> train = trainSettings(run);
    assertEquals("dcgan", train.get("model"));
    assertEquals(1L, ((Number) train.get("n_critic")).longValue());
    assertEquals(10.0, ((Number) train.get("lambda")).doubleValue(), "default gradient-penalty weight");
    assertEquals("xavier-normal", train.get("init"), "the GAN's default initializer");
    assertEquals(250L, ((Number) TrainRuns.config(run).get("steps_per_epoch")).longValue(),
        "2,000 images / 8 per critic step / 1 critic step per iteration");

    TrainRuns.Metrics metrics = metrics(run);
    assertEquals(List.of("step", "epoch", "critic_loss", "wasserstein", "gradient_penalty", "generator_loss", "lr",
        "images_per_s"), metrics.header(), "no evaluation columns");
    assertEquals(List.of(1L, 2L), metrics.steps());
    for (int i = 0; i < 2; i++) {
      for (String c : List.of("critic_loss", "wasserstein", "generator_loss")) {
        assertTrue(Double.isFinite(metrics.number(i, c)), c);
      }
      assertTrue(metrics.number(i, "gradient_penalty") >= 0);
    }

    assertRunLayout(run, List.of("step-000000002"));
    BufferedImage grid = assertPng(run.resolve("plots/samples-epoch-001.png"));
    assertTrue(grid.getWidth() >= 32 && grid.getHeight() >= 32);
    assertEventTags(run, "train/critic_loss", "samples");

    // The generator's SavedModel maps noise to images in tanh's range.
    try (SavedModelBundle bundle = SavedModelBundle.load(run.resolve("saved_model").toString(), "serve")) {
      var signature = bundle.function("serving_default").signature();
      Shape zShape = signature.getInputs().get("z").shape;
      float[] noise = new float[(int) zShape.size()];
      SplittableRandom random = new SplittableRandom(5);
      for (int i = 0; i < noise.length; i++) {
        noise[i] = (float) (random.nextDouble() * 2 - 1);
      }
      try (TFloat32 z = TFloat32.tensorOf(zShape, DataBuffers.of(noise, true, false));
          var result = bundle.function("serving_default").call(Map.<String, Tensor>of("z", z))) {
        TFloat32 images = (TFloat32) result.get("images").orElseThrow();
        assertEquals(Shape.of(zShape.get(0), 32, 32, 3), images.shape());
        for (float v : floats(images)) {
          assertTrue(v >= -1 && v <= 1, "pixel " + v);
        }
      }
    }
  }

  /** config.json, metrics.csv, the checkpoints listed, one TensorBoard file, loss.png and a SavedModel. */
  private static void assertRunLayout(Path run, List<String> checkpoints) throws IOException {
    assertTrue(Files.isRegularFile(run.resolve("config.json")));
    assertTrue(Files.isRegularFile(run.resolve("metrics.csv")));
    assertEquals(checkpoints, checkpointEntries(run));
    for (String name : checkpoints) {
      if (name.startsWith("step-")) {
        assertTrue(Files.isRegularFile(run.resolve("checkpoints").resolve(name).resolve("state.json")), name);
      }
    }
    List<String> events = list(run.resolve("events"));
    assertEquals(1, events.size(), "one event file: " + events);
    assertTrue(events.get(0).startsWith("events.out.tfevents."), events.get(0));
    assertPng(run.resolve("plots/loss.png"));
    assertTrue(Files.isRegularFile(run.resolve("saved_model/saved_model.pb")));
    assertTrue(Files.isRegularFile(run.resolve("saved_model/variables/variables.index")));
    assertFalse(Files.exists(run.resolve(".partial-saved_model")));
  }

  /** The tags appear in the event file (an Event proto stores its summary tags as plain bytes). */
  private static void assertEventTags(Path run, String... tags) throws IOException {
    Path file = run.resolve("events").resolve(list(run.resolve("events")).get(0));
    String bytes = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
    for (String tag : tags) {
      assertTrue(bytes.contains(tag), "event file lacks " + tag);
    }
  }

  private static BufferedImage assertPng(Path file) throws IOException {
    assertTrue(Files.isRegularFile(file), file + " missing");
    BufferedImage image = ImageIO.read(file.toFile());
    assertNotNull(image, file + " is not a readable image");
    return image;
  }

  /** The last metrics row's evaluation equals the reference computed from the SavedModel's logits. */
  private static void assertFinalEvaluation(TrainRuns.Metrics metrics, ReferenceData.Evaluation reference) {
    int last = metrics.rows().size() - 1;
    // errors are batch means of 0/1 in float32, so within a few ulps of the exact fraction
    assertEquals(reference.top1Error(), metrics.number(last, "test_error"), 1e-6, "top-1 error");
    assertEquals(reference.top5Error(), metrics.number(last, "test_top5_error"), 1e-6, "top-5 error");
    double loss = metrics.number(last, "test_loss");
    assertEquals(reference.loss(), loss, 1e-5 * Math.max(1, Math.abs(loss)), "test loss");
  }

  private static List<Double> numbers(Object list) {
    return ((List<?>) list).stream().map(v -> ((Number) v).doubleValue()).toList();
  }

  private static double[] doubles(Object list) {
    return numbers(list).stream().mapToDouble(Double::doubleValue).toArray();
  }

  private static float[] floats(TFloat32 tensor) {
    float[] values = new float[(int) tensor.shape().size()];
    tensor.asRawTensor().data().asFloats().read(values);
    return values;
  }

  private static String read(Path file) {
    try {
      return TrainRuns.read(file);
    } catch (IOException e) {
      return e.toString();
    }
  }
}
