package io.github.tftrain.cli.commands;

import static io.github.tftrain.cli.commands.TrainRuns.metrics;
import static io.github.tftrain.cli.commands.TrainRuns.testdata;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --log-step-size}: metrics.csv's update_norm and effective_step (‖Δx‖ / ‖g‖), checked against what each
 * update is by its equations: plain SGD moves by lr·g; with clipping at norm c by lr·min(1, c/‖g‖)·g; KaFiStO Vanilla
 * with one measurement for all variables moves along g by its own eq-13 step, which it logs independently.
 */
class StepSizeLogTest {

  @Test
  void plainSgdStepsByItsLearningRate(@TempDir Path dir) throws Exception {
    Path run = dir.resolve("sgd");
    TrainRuns.Cli cli = TrainRuns.train("--model", "wrn-10-1", "--data", testdata("fashion-mnist").toString(),
        "--optimizer", "sgd", "--lr", "0.05", "--steps", "4", "--log-every", "1", "--log-step-size",
        "--threads", "2", "--run-dir", run.toString());
    assertEquals(0, cli.exitCode(), cli::toString);
    TrainRuns.Metrics m = metrics(run);
    assertEquals(4, m.rows().size());
    for (int i = 0; i < m.rows().size(); i++) {
      assertEquals(0.05, m.number(i, "effective_step"), 1e-6, "row " + i);
      assertEquals(0.05 * m.number(i, "grad_norm"), m.number(i, "update_norm"), 1e-6 * m.number(i, "update_norm"));
    }
  }

  @Test
  void clippedLanguageModelStepsByTheClippedRate(@TempDir Path dir) throws Exception {
    Path run = dir.resolve("lm");
    TrainRuns.Cli cli = TrainRuns.train("--model", "lstm-tiny", "--data", testdata("ptb").toString(),
        "--optimizer", "sgd", "--lr", "2", "--clip-norm", "0.05", "--steps", "4", "--log-every", "1",
        "--log-step-size", "--threads", "2", "--run-dir", run.toString());
    assertEquals(0, cli.exitCode(), cli::toString);
    TrainRuns.Metrics m = metrics(run);
    boolean clipped = false;
    for (int i = 0; i < m.rows().size(); i++) {
      double norm = m.number(i, "grad_norm");
      clipped |= norm > 0.05;
      assertEquals(2 * Math.min(1, 0.05 / norm), m.number(i, "effective_step"), 1e-5, "row " + i);
    }
    assertTrue(clipped, "the test needs a clipped step");
  }

  @Test
  void kafistoVanillaLogsTheStepItTakes(@TempDir Path dir) throws Exception {
    Path run = dir.resolve("kafisto");
    TrainRuns.Cli cli = TrainRuns.train("--model", "wrn-10-1", "--data", testdata("fashion-mnist").toString(),
        "--optimizer", "kafisto", "--set", "variant=vanilla", "--set", "layerwise=false", "--steps", "4",
        "--log-every", "1", "--log-step-size", "--threads", "2", "--run-dir", run.toString());
    assertEquals(0, cli.exitCode(), cli::toString);
    TrainRuns.Metrics m = metrics(run);
    for (int i = 0; i < m.rows().size(); i++) {
      double own = m.number(i, "kafisto_effective_step");
      assertEquals(own, m.number(i, "effective_step"), 1e-4 * own, "row " + i);
    }
  }

  @Test
  void offByDefault(@TempDir Path dir) throws Exception {
    Path run = dir.resolve("default");
    TrainRuns.Cli cli = TrainRuns.train("--model", "wrn-10-1", "--data", testdata("fashion-mnist").toString(),
        "--optimizer", "adam", "--steps", "1", "--threads", "2", "--run-dir", run.toString());
    assertEquals(0, cli.exitCode(), cli::toString);
    assertFalse(metrics(run).header().contains("effective_step"));
  }
}
