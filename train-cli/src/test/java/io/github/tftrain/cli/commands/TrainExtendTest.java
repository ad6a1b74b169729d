package io.github.tftrain.cli.commands;

import static io.github.tftrain.cli.commands.TrainRuns.metrics;
import static io.github.tftrain.cli.commands.TrainRuns.stepName;
import static io.github.tftrain.cli.commands.TrainRuns.train;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --resume --steps N} makes a finished run longer: with a constant schedule it ends with the weights of a run
 * asked for N steps from the start, byte for byte, also when the first run ended mid-epoch; config.json records the
 * extension; a cosine schedule gets a note; a length that is not longer is refused; the data may have moved
 * (--data), but must be the data the run trained on.
 */
class TrainExtendTest {
  private static String[] classifier(Path runDir, String steps, String schedule) {
    return new String[] {"--model", "wrn-10-1", "--data", "testdata/fashion-mnist", "--steps", steps,
        "--batch-size", "100", "--log-every", "5", "--schedule", schedule, "--optimizer", "adam", "--seed", "11",
        "--run-dir", runDir.toString()};
  }

  @Test
  void aLongerResumeEqualsALongerRunFromTheStart(@TempDir Path tmp) throws Exception {
    Path longer = tmp.resolve("longer");
    TrainRuns.Cli reference = train(classifier(longer, "30", "step:1:0.5"));
    assertEquals(0, reference.exitCode(), reference::toString);

    Path run = tmp.resolve("run");
    TrainRuns.Cli first = train(classifier(run, "12", "step:1:0.5")); // ends mid-epoch (20 steps per epoch)
    assertEquals(0, first.exitCode(), first::toString);
    TrainRuns.Cli extended = train("--resume", "--run-dir", run.toString(), "--steps", "30");
    assertEquals(0, extended.exitCode(), extended::toString);
    assertTrue(extended.out().contains("resuming " + run + " at step 12 (epoch 1, batch 12)"), extended::toString);
    assertFalse(extended.err().contains("spans the run's length"), "a step schedule does not depend on the length");

    for (String file : List.of("variables.index", "variables.data-00000-of-00001")) {
      assertArrayEquals(Files.readAllBytes(longer.resolve("checkpoints").resolve(stepName(30)).resolve(file)),
          Files.readAllBytes(run.resolve("checkpoints").resolve(stepName(30)).resolve(file)), file);
    }
    // the evaluations at the epoch end and the end are those of the longer run (the first run's end adds one at 12)
    TrainRuns.Metrics want = metrics(longer);
    TrainRuns.Metrics got = metrics(run);
    for (long step : List.of(20L, 30L)) {
      assertEquals(want.cell(want.steps().indexOf(step), "test_loss"), got.cell(got.steps().indexOf(step),
          "test_loss"), "test loss at step " + step);
    }
    assertTrue(got.steps().contains(12L));
    Map<String, Object> train = TrainRuns.trainSettings(run);
    assertEquals(30L, ((Number) train.get("steps")).longValue());
    assertEquals(List.of(Map.of("from_steps", 12L, "to_steps", 30L)), TrainRuns.config(run).get("extensions"));
    assertTrue(Files.isRegularFile(run.resolve("saved_model/saved_model.pb")));
  }

  @Test
  void aCosineScheduleGetsANoteAndShorterLengthsAreRefused(@TempDir Path tmp) throws Exception {
    Path run = tmp.resolve("run");
    assertEquals(0, train(classifier(run, "4", "cosine")).exitCode());
    TrainRuns.Cli shorter = train("--resume", "--run-dir", run.toString(), "--steps", "4");
    assertEquals(2, shorter.exitCode(), shorter::toString);
    assertTrue(shorter.err().contains("--steps 4 (4 steps) does not extend the run, which has 4 steps (20 per "
        + "epoch); give a longer length"), shorter::toString);
    TrainRuns.Cli both = train("--resume", "--run-dir", run.toString(), "--steps", "8", "--epochs", "2");
    assertEquals(2, both.exitCode(), both::toString);
    assertTrue(both.err().contains("--epochs or --steps to extend the run, not both"), both::toString);
    TrainRuns.Cli other = train("--resume", "--run-dir", run.toString(), "--steps", "8", "--lr", "0.1");
    assertEquals(2, other.exitCode(), other::toString);
    assertTrue(other.err().contains("drop --lr"), other::toString);

    // --data says where the dataset is now: another format, or other content, is refused with config.json untouched
    String before = Files.readString(run.resolve("config.json"));
    TrainRuns.Cli ptb = train("--resume", "--run-dir", run.toString(), "--steps", "8", "--data", "testdata/ptb");
    assertEquals(2, ptb.exitCode(), ptb::toString);
    assertTrue(ptb.err().contains("wrn-10-1 needs an image dataset"), ptb::toString);
    TrainRuns.Cli cifar = train("--resume", "--run-dir", run.toString(), "--steps", "8", "--data",
        "testdata/fashion-mnist-cifar10");
    assertEquals(2, cifar.exitCode(), cifar::toString);
    assertTrue(cifar.err().contains("holds cifar10 data but the run trained on idx data"), cifar::toString);
    Path changed = TrainRuns.fashionMnistCopy(tmp.resolve("changed"), true);
    TrainRuns.Cli otherData = train("--resume", "--run-dir", run.toString(), "--steps", "8", "--data",
        changed.toString());
    assertEquals(2, otherData.exitCode(), otherData::toString);
    assertTrue(otherData.err().contains("--resume: the data in " + changed + " is not what " + run + " trained on: "
        + "its train_crc32 is "), otherData::toString);
    assertEquals(before, Files.readString(run.resolve("config.json")), "the refused extension was not recorded");

    TrainRuns.Cli extended = train("--resume", "--run-dir", run.toString(), "--epochs", "1", "--data",
        TrainRuns.fashionMnistCopy(tmp.resolve("moved"), false).toString());
    assertEquals(0, extended.exitCode(), extended::toString);
    assertEquals(io.github.tftrain.cli.settings.Home.testdata("fashion-mnist").toString(),
        TrainRuns.trainSettings(run).get("data"), "config.json keeps the path the run started with");
    assertTrue(extended.err().contains("note: --schedule cosine spans the run's length, so from step 4 the run "
        + "follows the schedule of a 20-step run"), extended::toString);
    assertEquals(1L, ((Number) TrainRuns.trainSettings(run).get("epochs")).longValue());
    assertEquals(0L, ((Number) TrainRuns.trainSettings(run).get("steps")).longValue());
    assertTrue(Files.isDirectory(run.resolve("checkpoints").resolve(stepName(20))));
  }
}
