package io.github.tftrain.cli.commands;

import static io.github.tftrain.cli.commands.TrainRuns.train;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --early-stopping METRIC:PATIENCE[:MIN_DELTA]}: with a min delta no evaluation can beat, patience 1 stops the
 * run after its second evaluation, as finished (a SavedModel, exit 0); a resume of it says so and trains nothing; a
 * metric the model does not evaluate is refused before anything is written.
 */
class TrainEarlyStoppingTest {
  @Test
  void stopsAfterPatienceEvaluationsWithoutImprovement(@TempDir Path tmp) throws Exception {
    Path run = tmp.resolve("run");
    String[] args = {"--model", "wrn-10-1", "--data", "testdata/fashion-mnist", "--epochs", "4", "--batch-size",
        "200", "--early-stopping", "test_loss:1:100", "--run-dir", run.toString()};
    TrainRuns.Cli cli = train(args);
    assertEquals(0, cli.exitCode(), cli::toString);
    assertTrue(cli.out().contains("stopping: early stopping: test_loss has not improved by more than 100.0 in 1 "
        + "evaluations (best"), cli::toString);
    assertTrue(Files.isDirectory(run.resolve("checkpoints").resolve(TrainRuns.stepName(20))), "epoch 2 ended");
    assertTrue(Files.notExists(run.resolve("checkpoints").resolve(TrainRuns.stepName(30))), "no epoch 3");
    assertTrue(Files.isRegularFile(run.resolve("saved_model/saved_model.pb")));
    assertEquals("test_loss:1:100", TrainRuns.trainSettings(run).get("early_stopping"));

    TrainRuns.Cli resumed = train("--resume", "--run-dir", run.toString());
    assertEquals(0, resumed.exitCode(), resumed::toString);
    assertTrue(resumed.out().contains("the run was stopped: early stopping"), resumed::toString);

    TrainRuns.Cli wrong = train("--model", "wrn-10-1", "--data", "testdata/fashion-mnist", "--steps", "1",
        "--early-stopping", "valid_ppl:2", "--run-dir", tmp.resolve("wrong").toString());
    assertEquals(2, wrong.exitCode(), wrong::toString);
    assertTrue(wrong.err().contains("--early-stopping valid_ppl:2: wrn-10-1 evaluates test_loss, test_error, "
        + "test_top5_error"), wrong::toString);
    assertTrue(Files.notExists(tmp.resolve("wrong")));
    TrainRuns.Cli malformed = train("--model", "wrn-10-1", "--data", "testdata/fashion-mnist", "--steps", "1",
        "--early-stopping", "test_loss", "--run-dir", tmp.resolve("malformed").toString());
    assertEquals(2, malformed.exitCode(), malformed::toString);
    assertTrue(malformed.err().contains("expected METRIC:PATIENCE[:MIN_DELTA]"), malformed::toString);
  }
}
