package io.github.tftrain.cli.commands;

import static io.github.tftrain.cli.commands.TrainRuns.train;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.tftrain.cli.app.Tftrain;
import io.github.tftrain.data.IdxReader;
import io.github.tftrain.data.ImageDataset;
import io.github.tftrain.trainer.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.types.TFloat32;

/**
 * {@code --model mlp-64 --data DIR} with train.csv and test.csv (here: the Fashion-MNIST subset as 7x7 mean-pooled
 * pixels, 49 feature columns): the run learns, config.json describes the table, the SavedModel takes raw rows and
 * its predictions give the evaluation's error, {@code eval} reports the evaluation columns, and a malformed CSV stops
 * the run before anything is written, naming file and line.
 */
class TrainTabularTest {
  @Test
  void anMlpTrainsOnCsvAndServesRawRows(@TempDir Path tmp) throws Exception {
    Path data = tmp.resolve("pooled");
    Files.createDirectories(data);
    writeCsv(data, "train", "train");
    float[][] testRows = writeCsv(data, "test", "t10k");
    Path run = tmp.resolve("run");
    TrainRuns.Cli cli = train("--model", "mlp-64", "--data", data.toString(), "--optimizer", "adam", "--lr", "0.003",
        "--epochs", "5", "--batch-size", "50", "--run-dir", run.toString());
    assertEquals(0, cli.exitCode(), cli::toString);
    assertEquals("csv", TrainRuns.trainSettings(run).get("data_format"));
    @SuppressWarnings("unchecked")
    Map<String, Object> facts = (Map<String, Object>) TrainRuns.config(run).get("data");
    assertEquals(49, ((List<?>) facts.get("features")).size());
    assertEquals(10L, ((Number) facts.get("classes")).longValue());
    assertEquals(2000L, ((Number) facts.get("train_rows")).longValue());
    TrainRuns.Metrics metrics = TrainRuns.metrics(run);
    int last = metrics.steps().size() - 1;
    double error = metrics.number(last, "eval_error");
    assertTrue(error < 0.35, "49 pooled pixels, 5 epochs: test error " + error);

    // the SavedModel standardises raw rows itself: its argmax gives the evaluation's error
    int[] labels = IdxReader.readSplit(TrainRuns.testdata("fashion-mnist"), "t10k", 10).labels();
    float[][] rows = testRows;
    try (SavedModelBundle bundle = SavedModelBundle.load(run.resolve("saved_model").toString(), "serve");
        TFloat32 input = TFloat32.tensorOf(Shape.of(rows.length, 49), d -> {
          for (int i = 0; i < rows.length; i++) {
            for (int j = 0; j < 49; j++) {
              d.setFloat(rows[i][j], i, j);
            }
          }
        });
        var result = bundle.function("serving_default").call(Map.of("features", input))) {
      TFloat32 probabilities = (TFloat32) result.get("probabilities").orElseThrow();
      int wrong = 0;
      for (int i = 0; i < rows.length; i++) {
        int best = 0;
        for (int c = 1; c < 10; c++) {
          if (probabilities.getFloat(i, c) > probabilities.getFloat(i, best)) {
            best = c;
          }
        }
        wrong += best == labels[i] ? 0 : 1;
      }
      // the evaluation averages a float32 mean per batch: equal to float precision
      assertEquals(error, wrong / (double) rows.length, 1e-6, "the SavedModel's error is the evaluation's");
    }

    StringWriter out = new StringWriter();
    assertEquals(0, Tftrain.execute(new PrintWriter(out), new PrintWriter(new StringWriter()), "eval", "--run",
        run.toString()));
    Map<String, Object> evaluated = Json.parseObject(Files.readString(
        run.resolve("evaluations").resolve(TrainRuns.stepName(200) + ".json"), // 40 steps per epoch, 5 epochs
        StandardCharsets.UTF_8));
    assertEquals(error, ((Number) evaluated.get("eval_error")).doubleValue(), 1e-12);

    Files.writeString(data.resolve("test.csv"), Files.readString(data.resolve("test.csv")) + "1,2,3\n");
    TrainRuns.Cli bad = train("--model", "mlp-64", "--data", data.toString(), "--steps", "1", "--run-dir",
        tmp.resolve("bad").toString());
    assertEquals(2, bad.exitCode(), bad::toString);
    assertTrue(bad.err().contains(data.resolve("test.csv") + ":502: 3 cells, the header has 50"), bad::toString);
    assertTrue(Files.notExists(tmp.resolve("bad")));
  }

  /**
   * lr-find with SGD on softmax regression over the pooled pixels, swept from 1e-4 to 1e4: the learning rates follow
   * the exponential, the smoothed loss is the bias-corrected EMA of the losses (recomputed here), the sweep stops when
   * it diverges (SGD cannot take a rate of thousands), and the suggestion is a tenth of the rate at the lowest
   * smoothed loss.
   */
  @Test
  void lrFindSweepsStopsAtDivergenceAndSuggests(@TempDir Path tmp) throws Exception {
    Path data = tmp.resolve("pooled");
    Files.createDirectories(data);
    writeCsv(data, "train", "train");
    writeCsv(data, "test", "t10k");
    Path out = tmp.resolve("lr");
    StringWriter printed = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Tftrain.execute(new PrintWriter(printed), new PrintWriter(err), "lr-find", "--model", "mlp", "--data",
        data.toString(), "--optimizer", "sgd", "--batch-size", "50", "--steps", "80", "--start", "1e-4", "--end",
        "1e4", "--out", out.toString());
    assertEquals(0, code, printed + "\n" + err);
    List<String> lines = Files.readAllLines(out.resolve("lr_find.csv"));
    assertEquals("step,lr,loss,smoothed_loss", lines.get(0));
    double average = 0;
    double lowest = Double.POSITIVE_INFINITY;
    double lrAtLowest = Double.NaN;
    for (int k = 1; k < lines.size(); k++) {
      String[] cells = lines.get(k).split(",");
      long step = Long.parseLong(cells[0]);
      assertEquals(1e-4 * Math.pow(1e8, step / 79.0), Double.parseDouble(cells[1]), 1e-9 * Double.parseDouble(cells[1]));
      average = 0.98 * average + 0.02 * Double.parseDouble(cells[2]);
      double smoothed = average / (1 - Math.pow(0.98, step + 1));
      assertEquals(smoothed, Double.parseDouble(cells[3]), 1e-12 * smoothed, "smoothed at step " + step);
      if (smoothed < lowest) {
        lowest = smoothed;
        lrAtLowest = Double.parseDouble(cells[1]);
      }
    }
    Map<String, Object> result = Json.parseObject(Files.readString(out.resolve("lr_find.json")));
    assertEquals(Boolean.TRUE, result.get("stopped_early"), "SGD diverges long before a rate of 1e4");
    assertTrue(lines.size() - 1 < 80, "stopped before the end: " + (lines.size() - 1) + " steps");
    assertEquals(lrAtLowest / 10, ((Number) result.get("suggested_lr")).doubleValue(), 1e-12 * lrAtLowest);
    double suggestion = ((Number) result.get("suggested_lr")).doubleValue();
    assertTrue(suggestion > 1e-3 && suggestion < 10, "suggested " + suggestion);
    assertTrue(printed.toString().contains("suggested lr: "), printed::toString);
    assertTrue(Files.size(out.resolve("lr_find.png")) > 1000);
  }

  /** The split as a CSV of 49 pooled-pixel columns p0..p48 and the label; returns the rows. */
  private static float[][] writeCsv(Path dir, String name, String idxSplit) throws Exception {
    ImageDataset images = IdxReader.readSplit(TrainRuns.testdata("fashion-mnist"), idxSplit, 10);
    float[][] rows = pooled(images);
    StringBuilder csv = new StringBuilder();
    for (int j = 0; j < 49; j++) {
      csv.append('p').append(j).append(',');
    }
    csv.append("label\n");
    for (int i = 0; i < rows.length; i++) {
      for (float v : rows[i]) {
        csv.append(v).append(',');
      }
      csv.append(images.label(i)).append('\n');
    }
    Files.writeString(dir.resolve(name + ".csv"), csv.toString());
    return rows;
  }

  /** 28x28 pixels averaged over 4x4 cells: 49 values in [0, 255]. */
  private static float[][] pooled(ImageDataset images) {
    float[][] rows = new float[images.count()][49];
    for (int i = 0; i < images.count(); i++) {
      for (int y = 0; y < 28; y++) {
        for (int x = 0; x < 28; x++) {
          rows[i][(y / 4) * 7 + x / 4] += images.pixel(i, y, x, 0) / 16f;
        }
      }
    }
    return rows;
  }
}
