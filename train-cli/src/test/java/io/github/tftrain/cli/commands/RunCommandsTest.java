package io.github.tftrain.cli.commands;

import io.github.tftrain.trainer.Json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.tftrain.cli.app.Tftrain;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * eval, export, sample and compare on small runs trained here: eval of the last checkpoint must repeat the run's
 * final evaluation row, export must refuse to overwrite and write a loadable SavedModel, sample must draw the GAN's
 * grid and reject other runs, compare must train every optimizer and tabulate what their metrics.csv say.
 */
class RunCommandsTest {
  @TempDir static Path dir;
  static Path classifierRun;
  static Path ganRun;

  record Cli(int code, String out, String err) {}

  static Cli cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Tftrain.execute(new PrintWriter(out), new PrintWriter(err), args);
    return new Cli(code, out.toString(), err.toString());
  }

  @BeforeAll
  static void train() {
    classifierRun = dir.resolve("classifier");
    Cli c = cli("train", "--model", "wrn-10-1", "--data", "testdata/fashion-mnist", "--steps", "4", "--batch-size",
        "16", "--optimizer", "adam", "--run-dir", classifierRun.toString(), "--quiet", "--threads", "2");
    assertEquals(0, c.code, c.err);
    ganRun = dir.resolve("gan");
    Cli g = cli("train", "--model", "dcgan", "--data", "testdata/fashion-mnist-cifar10", "--steps", "1",
        "--batch-size", "8", "--n-critic", "1", "--run-dir", ganRun.toString(), "--quiet", "--threads", "2");
    assertEquals(0, g.code, g.err);
  }

  /** The last metrics.csv row's value of a column. */
  static double lastValue(Path run, String column) throws IOException {
    List<String> lines = Files.readAllLines(run.resolve("metrics.csv"), StandardCharsets.UTF_8);
    List<String> header = List.of(lines.get(0).split(",", -1));
    String[] last = lines.get(lines.size() - 1).split(",", -1);
    return Double.parseDouble(last[header.indexOf(column)]);
  }

  @Test
  void evalOfTheLastCheckpointRepeatsTheFinalEvaluation() throws IOException {
    Cli e = cli("eval", "--run", classifierRun.toString());
    assertEquals(0, e.code, e.err);
    Map<String, Object> result = TrainRuns.lastEvaluation(classifierRun);
    assertEquals(4L, ((Number) result.get("checkpoint_step")).longValue());
    for (String column : List.of("test_loss", "test_error", "test_top5_error")) {
      assertEquals(lastValue(classifierRun, column), ((Number) result.get(column)).doubleValue(), 1e-7, column);
    }
  }

  @Test
  void evalOfAGanNeedsFeaturesAndComputesTheFrechetDistanceWithClassifierFeatures() throws IOException {
    Cli missing = cli("eval", "--run", ganRun.toString());
    assertEquals(2, missing.code);
    assertTrue(missing.err.contains("--fid-model") && missing.err.contains("--fid-classifier"), missing.err);
    Cli e = cli("eval", "--run", ganRun.toString(), "--fid-classifier", classifierRun.toString(), "--fid-samples",
        "40");
    assertEquals(0, e.code, e.err);
    Map<String, Object> result = TrainRuns.lastEvaluation(ganRun);
    double d = ((Number) result.get("frechet_distance")).doubleValue();
    // an untrained generator's noise is far from Fashion-MNIST: clearly positive and finite
    assertTrue(d > 0 && Double.isFinite(d), "distance " + d);
  }

  @Test
  void exportWritesASavedModelAndRefusesToOverwrite() {
    Path out = dir.resolve("exported");
    Cli e = cli("export", "--run", classifierRun.toString(), "--out", out.toString());
    assertEquals(0, e.code, e.err);
    assertTrue(Files.isRegularFile(out.resolve("saved_model.pb")));
    assertTrue(Files.isDirectory(out.resolve("variables")));
    try (org.tensorflow.SavedModelBundle b = org.tensorflow.SavedModelBundle.load(out.toString(), "serve")) {
      assertTrue(b.function("serving_default").signature().outputNames().containsAll(
          List.of("logits", "probabilities", "features")));
      assertTrue(b.function("train").signature().inputNames().containsAll(List.of("images", "labels")));
    }
    Cli again = cli("export", "--run", classifierRun.toString(), "--out", out.toString());
    assertEquals(2, again.code);
    assertTrue(again.err.contains("already exists"), again.err);
  }

  @Test
  void sampleDrawsTheGanGridAndRejectsAClassifierRun() throws IOException {
    Path png = dir.resolve("grid.png");
    Cli s = cli("sample", "--run", ganRun.toString(), "--out", png.toString(), "-n", "9");
    assertEquals(0, s.code, s.err);
    BufferedImage image = ImageIO.read(png.toFile());
    // 3x3 grid of 32x32 images upscaled x2 with 2-pixel gaps around and between them
    assertEquals(3 * 64 + 4 * 2, image.getWidth());
    Cli wrong = cli("sample", "--run", classifierRun.toString(), "--out", dir.resolve("x.png").toString());
    assertEquals(2, wrong.code);
    assertTrue(wrong.err.contains("dcgan"), wrong.err);
    assertFalse(Files.exists(dir.resolve("x.png")));
  }

  @Test
  void compareTrainsEachOptimizerAndTabulatesTheirRuns() throws IOException {
    Path out = dir.resolve("compare");
    Cli c = cli("compare", "--optimizers", "sgd,adam", "--model", "wrn-10-1", "--data", "testdata/fashion-mnist",
        "--steps", "2", "--batch-size", "16", "--out", out.toString(), "--quiet", "--threads", "2");
    assertEquals(0, c.code, c.err);
    List<String> csv = Files.readAllLines(out.resolve("comparison.csv"));
    assertEquals(3, csv.size(), csv.toString());
    for (String optimizer : List.of("sgd", "adam")) {
      String row = csv.stream().filter(l -> l.startsWith(optimizer + ",")).findFirst().orElseThrow();
      String[] cells = row.split(",");
      assertEquals("\"default\"", cells[1]);
      assertEquals("0", cells[3]);
      assertEquals(lastValue(out.resolve(optimizer), "test_error"), Double.parseDouble(cells[4]), 0.0);
    }
    assertTrue(Files.isRegularFile(out.resolve("comparison.png")));
    Cli bad = cli("compare", "--optimizers", "sgd,nosuch", "--model", "wrn-10-1", "--data",
        "testdata/fashion-mnist", "--steps", "2", "--out", dir.resolve("compare2").toString());
    assertEquals(2, bad.code);
    assertTrue(bad.err.contains("nosuch"), bad.err);
    assertFalse(Files.exists(dir.resolve("compare2")), "nothing is trained when one optimizer is unknown");
  }
}
