package io.github.tftrain.cli.commands;

import static io.github.tftrain.cli.commands.TrainRuns.metrics;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.tftrain.trainer.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tftrain compare} as a study tool, end to end on a tiny budget: two optimizers, a 2-point grid of SGD's
 * learning rate, 2 seeds. The report's means and standard deviations are recomputed here from the runs' own
 * metrics.csv, the grid winner is the point with the lower mean best test error, and running the same command again
 * continues the study without training anything twice; more grid points extend it, training only the new runs.
 */
class CompareStudyTest {
  private static final List<String> STUDY = List.of("compare", "--optimizers", "sgd,adam", "--grid",
      "lr.sgd=0.05,0.2", "--seeds", "1,2", "--model", "wrn-10-1", "--data", "testdata/fashion-mnist", "--steps", "2",
      "--batch-size", "16", "--log-step-size", "--quiet", "--threads", "2");

  private static TrainRuns.Cli compare(List<String> args) {
    return TrainRuns.tftrain(args.toArray(String[]::new));
  }

  @Test
  void aStudyOfSeedsAndAGridReportsMeansTheWinnerAndContinues(@TempDir Path tmp) throws Exception {
    Path root = tmp.resolve("study");
    List<String> args = new ArrayList<>(STUDY);
    args.addAll(List.of("--out", root.toString()));
    TrainRuns.Cli first = compare(args);
    assertEquals(0, first.exitCode(), first.toString());

    List<Path> runs = List.of(root.resolve("sgd/lr=0.05/seed-1"), root.resolve("sgd/lr=0.05/seed-2"),
        root.resolve("sgd/lr=0.2/seed-1"), root.resolve("sgd/lr=0.2/seed-2"), root.resolve("adam/default/seed-1"),
        root.resolve("adam/default/seed-2"));
    for (Path run : runs) {
      assertTrue(Files.isRegularFile(run.resolve("metrics.csv")), run + " was trained");
    }
    assertEquals("1", String.valueOf(TrainRuns.trainSettings(root.resolve("sgd/lr=0.05/seed-1")).get("seed")));
    assertEquals("2", String.valueOf(TrainRuns.trainSettings(root.resolve("sgd/lr=0.05/seed-2")).get("seed")));
    @SuppressWarnings("unchecked")
    var hyper = (java.util.Map<String, Object>) TrainRuns.trainSettings(root.resolve("sgd/lr=0.2/seed-1"))
        .get("hyperparameters");
    assertEquals("0.2", String.valueOf(hyper.get("lr")));

    // the means and standard deviations, recomputed from the runs
    double[] low = errors(root, "sgd/lr=0.05");
    double[] high = errors(root, "sgd/lr=0.2");
    double[] adam = errors(root, "adam/default");
    String winner = mean(low) <= mean(high) ? "lr=0.05" : "lr=0.2";
    double[] won = winner.equals("lr=0.05") ? low : high;
    String md = Files.readString(root.resolve("comparison.md"));
    String sgdRow = md.lines().filter(l -> l.startsWith("| sgd | " + winner + " | 2 |")).findFirst().orElse(null);
    assertTrue(sgdRow != null, "no winner row for sgd at " + winner + " in\n" + md);
    assertTrue(sgdRow.contains(String.format(Locale.ROOT, "%.4f ± %.4f", mean(won), std(won))), sgdRow);
    assertTrue(sgdRow.contains(String.format(Locale.ROOT, "%.4f – %.4f (2 points)",
        Math.min(mean(low), mean(high)), Math.max(mean(low), mean(high)))), sgdRow);
    assertTrue(md.contains(String.format(Locale.ROOT, "| adam | default | 2 | %.4f ± %.4f", mean(adam), std(adam))),
        md);
    assertTrue(md.contains("Command: `tftrain compare --optimizers sgd,adam --grid lr.sgd=0.05,0.2"), md);
    assertEquals(1 + 3, Files.readAllLines(root.resolve("comparison.csv")).size(), "one row per configuration");
    for (String chart : List.of("comparison.png", "comparison-train-loss.png", "comparison-time.png",
        "comparison-train-loss-time.png", "comparison-effective-step.png")) {
      assertTrue(Files.size(root.resolve(chart)) > 1000, chart);
    }
    String html = Files.readString(root.resolve("comparison.html"));
    assertTrue(html.startsWith("<!DOCTYPE html>"), "an HTML page");
    assertEquals(5, html.split("src=\"data:image/png;base64,", -1).length - 1,
        "the metric and the training loss by epoch/step and against time, and the effective step inline");
    assertTrue(Files.notExists(root.resolve("comparison-kafisto-q-x.png")), "no KaFiStO run, no filter chart");
    assertTrue(html.contains("<td>sgd</td><td>" + winner + "</td><td>2</td>"), "the winner table");
    assertTrue(html.contains("testdata/fashion-mnist") && html.contains("2 steps of batch 16") && html.contains(
        "tensorflow"), "data, budget and versions");

    // the same command continues the study: nothing is trained again
    FileTime before = Files.getLastModifiedTime(runs.get(0).resolve("metrics.csv"));
    Files.delete(runs.get(5).resolve("trial.json")); // as if the study had been stopped in its last run
    TrainRuns.Cli again = compare(args);
    assertEquals(0, again.exitCode(), again.toString());
    assertTrue(again.out().contains("continuing the study in " + root + ": 5 of 6 runs done"), again.out());
    assertEquals(before, Files.getLastModifiedTime(runs.get(0).resolve("metrics.csv")), "a finished run was kept");
    assertTrue(Files.isRegularFile(runs.get(5).resolve("trial.json")));

    // a study planned by an older tftrain, before a setting existed, continues (the setting reads as its default)
    Path studyFile = root.resolve("study.json");
    String planned = Files.readString(studyFile);
    String older = planned.replaceAll("\"sync_batch_norm\"\\s*:\\s*false\\s*,", "");
    assertTrue(older.length() < planned.length(), "the plan had the setting");
    Files.writeString(studyFile, older);
    TrainRuns.Cli olderPlan = compare(args);
    assertEquals(0, olderPlan.exitCode(), olderPlan.toString());
    assertTrue(olderPlan.out().contains("continuing the study in " + root + ": 6 of 6 runs done"), olderPlan.out());

    // other flags on the same folder are another study: refused, nothing touched
    List<String> other = new ArrayList<>(args);
    other.set(other.indexOf("lr.sgd=0.05,0.2"), "lr.sgd=0.05,0.3");
    TrainRuns.Cli refused = compare(other);
    assertEquals(2, refused.exitCode(), refused.toString());
    assertTrue(refused.err().contains("holds another study"), refused.err());
    assertFalse(Files.exists(root.resolve("sgd/lr=0.3")));

    // more grid points on the same folder extend the study: only the new runs train
    List<String> wider = new ArrayList<>(args);
    wider.set(wider.indexOf("lr.sgd=0.05,0.2"), "lr.sgd=0.05,0.2,0.4");
    TrainRuns.Cli extended = compare(wider);
    assertEquals(0, extended.exitCode(), extended.toString());
    assertTrue(extended.out().contains("extending the study in " + root + ": 6 runs planned before, 2 more; 6 of 8 "
        + "runs done"), extended.out());
    assertEquals(before, Files.getLastModifiedTime(runs.get(0).resolve("metrics.csv")), "a finished run was kept");
    assertTrue(Files.isRegularFile(root.resolve("sgd/lr=0.4/seed-2/trial.json")));
    assertTrue(Files.readString(root.resolve("comparison.md")).contains("| sgd | lr=0.4 |"), "the new point reported");
    Map<String, Object> study = Json.parseObject(Files.readString(root.resolve("study.json")));
    assertTrue(((List<?>) study.get("command")).contains("lr.sgd=0.05,0.2,0.4"), "the extending command");
    List<?> extendsCommands = (List<?>) study.get("extends");
    assertEquals(1, extendsCommands.size(), "and the one it extends");
    assertTrue(((List<?>) extendsCommands.get(0)).contains("lr.sgd=0.05,0.2"), extendsCommands.toString());
  }

  /** A study of a model without an evaluation metric (dcgan) is charted by its training loss, the critic's. */
  @Test
  void aGanStudyIsChartedByItsCriticLoss(@TempDir Path tmp) throws Exception {
    Path root = tmp.resolve("gan");
    TrainRuns.Cli cli = compare(List.of("compare", "--optimizers", "kafisto,adam", "--model", "dcgan", "--data",
        "testdata/fashion-mnist", "--steps", "2", "--batch-size", "8", "--n-critic", "2", "--quiet", "--threads", "2",
        "--out", root.toString()));
    assertEquals(0, cli.exitCode(), cli.toString());
    for (String chart : List.of("comparison.png", "comparison-train-loss.png", "comparison-time.png",
        "comparison-train-loss-time.png")) {
      assertTrue(Files.size(root.resolve(chart)) > 1000, chart);
    }
    assertTrue(Files.readString(root.resolve("comparison.md")).contains("| adam | default |"), "the table");
  }

  /** The final test error of a configuration's two seeds. */
  private static double[] errors(Path root, String configuration) throws Exception {
    double[] values = new double[2];
    for (int seed = 1; seed <= 2; seed++) {
      TrainRuns.Metrics m = metrics(root.resolve(configuration).resolve("seed-" + seed));
      values[seed - 1] = m.number(m.rows().size() - 1, "test_error");
    }
    return values;
  }

  private static double mean(double[] v) {
    return (v[0] + v[1]) / 2;
  }

  private static double std(double[] v) {
    double m = mean(v);
    return Math.sqrt((v[0] - m) * (v[0] - m) + (v[1] - m) * (v[1] - m)); // n - 1 = 1
  }
}
