package io.github.tftrain.cli.commands;

import io.github.tftrain.trainer.Json;

import static io.github.tftrain.cli.commands.TrainRuns.checkpointEntries;
import static io.github.tftrain.cli.commands.TrainRuns.metrics;
import static io.github.tftrain.cli.commands.TrainRuns.stepName;
import static io.github.tftrain.cli.commands.TrainRuns.train;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run stopped by SIGTERM (a checkpoint, exit 130) or killed with SIGKILL at a random moment, then continued with
 * {@code --resume}, writes the metrics.csv of an uninterrupted run with the same flags, the wall-time throughput
 * column aside, and ends with bit-identical weights. The stopped runs are child JVMs; the reference and the resumes
 * run in this one.
 */
class TrainResumeTest {
  private static final Duration CHILD_TIMEOUT = Duration.ofMinutes(4);
  private static final long STEPS = 40;
  private static final Pattern INTERRUPTED = Pattern.compile("interrupted \\(SIGTERM\\) at step (\\d+)");

  @TempDir static Path shared;
  private static Path reference;

  private static String[] classifier(Path runDir) {
    return new String[] {"--model", "wrn-10-2", "--data", "testdata/fashion-mnist", "--steps", Long.toString(STEPS),
        "--batch-size", "16", "--log-every", "3", "--checkpoint-every", "5", "--seed", "3", "--run-dir",
        runDir.toString()};
  }

  @BeforeAll
  static void uninterrupted() {
    reference = shared.resolve("reference");
    TrainRuns.Cli cli = train(classifier(reference));
    assertEquals(0, cli.exitCode(), cli::toString);
  }

  @Test
  void sigtermCheckpointsAndResumeContinuesExactly(@TempDir Path tmp) throws Exception {
    Path run = tmp.resolve("run");
    Path log = tmp.resolve("child.log");
    Process child = TrainRuns.startTrain(log, classifier(run));
    try {
      TrainRuns.awaitLines(run.resolve("metrics.csv"), 3, child, CHILD_TIMEOUT, log); // header and two rows
      child.destroy(); // SIGTERM
      assertEquals(130, TrainRuns.await(child, CHILD_TIMEOUT, log), () -> output(log));
    } finally {
      child.destroyForcibly();
    }
    Matcher m = INTERRUPTED.matcher(TrainRuns.read(log));
    assertTrue(m.find(), () -> "no interruption message:\n" + output(log));
    long step = Long.parseLong(m.group(1));
    assertTrue(step >= 6 && step < STEPS, "stopped at step " + step);
    assertTrue(checkpointEntries(run).contains(stepName(step)),
        () -> "no checkpoint at the interruption: " + list(run));
    Map<String, Object> state = Json.parseObject(Files.readString(
        run.resolve("checkpoints").resolve(stepName(step)).resolve("state.json"), StandardCharsets.UTF_8));
    assertEquals(step, ((Number) state.get("step")).longValue());
    assertTrue(metrics(run).steps().stream().allMatch(s -> s <= step), "no row after the checkpoint");

    TrainRuns.Cli resumed = train("--resume", "--run-dir", run.toString());
    assertEquals(0, resumed.exitCode(), resumed::toString);
    assertTrue(resumed.out().contains("resuming " + run + " at step " + step), resumed::toString);
    assertSameRun(reference, run);
  }

  @Test
  void sigkillAtARandomMomentLeavesAResumableRun(@TempDir Path tmp) throws Exception {
    Path run = tmp.resolve("run");
    Path log = tmp.resolve("child.log");
    long delay = new java.util.Random().nextInt(1500);
    Process child = TrainRuns.startTrain(log, classifier(run));
    try {
      awaitCheckpoint(run, child, log);
      Thread.sleep(delay);
      child.destroyForcibly(); // SIGKILL: no handler runs
      assertEquals(137, TrainRuns.await(child, CHILD_TIMEOUT, log),
          () -> "expected to kill the run " + delay + " ms after its first checkpoint\n" + output(log));
    } finally {
      child.destroyForcibly();
    }
    List<String> left = checkpointEntries(run);
    TrainRuns.Cli resumed = train("--resume", "--run-dir", run.toString());
    assertEquals(0, resumed.exitCode(), () -> "killed " + delay + " ms after the first checkpoint, leaving " + left
        + "\n" + resumed);
    assertTrue(checkpointEntries(run).stream().noneMatch(n -> n.startsWith(".partial-")),
        "partial checkpoint folders are removed");
    assertSameRun(reference, run);
  }

  @Test
  void lstmInterruptedMidEpochResumesWithItsCarriedState(@TempDir Path tmp) throws Exception {
    java.util.function.Function<Path, String[]> lstm = dir -> new String[] {"--model", "lstm-tiny", "--data",
        "testdata/ptb", "--steps", "7", "--batch-size", "32", "--bptt", "20", "--log-every", "2", "--run-dir",
        dir.toString()};
    Path uninterrupted = tmp.resolve("reference");
    TrainRuns.Cli cli = train(lstm.apply(uninterrupted));
    assertEquals(0, cli.exitCode(), cli::toString);
    assertTrue(((Number) TrainRuns.config(uninterrupted).get("steps_per_epoch")).longValue() > 7,
        "the whole run lies inside the first epoch, so any interruption is mid-epoch");

    Path run = tmp.resolve("run");
    Path log = tmp.resolve("child.log");
    Process child = TrainRuns.startTrain(log, lstm.apply(run));
    try {
      TrainRuns.awaitLines(run.resolve("metrics.csv"), 2, child, CHILD_TIMEOUT, log);
      child.destroy();
      assertEquals(130, TrainRuns.await(child, CHILD_TIMEOUT, log), () -> output(log));
    } finally {
      child.destroyForcibly();
    }
    Matcher m = INTERRUPTED.matcher(TrainRuns.read(log));
    assertTrue(m.find(), () -> output(log));
    long step = Long.parseLong(m.group(1));
    assertTrue(step >= 2 && step < 7, "stopped at step " + step);
    Path carried = run.resolve("checkpoints").resolve(stepName(step)).resolve("carried_state.bin");
    assertTrue(Files.isRegularFile(carried));
    // the carried state after some windows is not zeros, so resuming from zeros instead would show in the metrics
    assertTrue(maxAbs(carried) > 1e-3, "carried state holds values");

    TrainRuns.Cli resumed = train("--resume", "--run-dir", run.toString());
    assertEquals(0, resumed.exitCode(), resumed::toString);
    assertSameRun(uninterrupted, run);
  }

  /** metrics.csv equal but for the throughput; the final checkpoints' variables byte for byte equal. */
  static void assertSameRun(Path expected, Path actual) throws IOException {
    TrainRuns.Metrics want = metrics(expected);
    TrainRuns.Metrics got = metrics(actual);
    assertEquals(want.header(), got.header());
    String throughput = want.header().contains("images_per_s") ? "images_per_s" : "tokens_per_s";
    assertEquals(want.without(throughput), got.without(throughput), "metrics.csv of the resumed run");
    String last = want.steps().isEmpty() ? null : stepName(want.steps().get(want.steps().size() - 1));
    for (String file : List.of("variables.index", "variables.data-00000-of-00001")) {
      assertArrayEquals(Files.readAllBytes(expected.resolve("checkpoints").resolve(last).resolve(file)),
          Files.readAllBytes(actual.resolve("checkpoints").resolve(last).resolve(file)), last + "/" + file);
    }
    assertTrue(Files.isRegularFile(actual.resolve("saved_model/saved_model.pb")));
  }

  private static void awaitCheckpoint(Path run, Process child, Path log) throws Exception {
    long deadline = System.nanoTime() + CHILD_TIMEOUT.toNanos();
    while (checkpointEntries(run).stream().noneMatch(n -> n.startsWith("step-"))) {
      assertTrue(child.isAlive(), () -> "child ended before its first checkpoint:\n" + output(log));
      assertTrue(System.nanoTime() < deadline, "no checkpoint in time");
      Thread.sleep(20);
    }
  }

  private static double maxAbs(Path carried) throws IOException {
    double max = 0;
    try (DataInputStream in = new DataInputStream(Files.newInputStream(carried))) {
      int tensors = in.readInt();
      for (int t = 0; t < tensors; t++) {
        int n = in.readInt();
        for (int i = 0; i < n; i++) {
          max = Math.max(max, Math.abs(in.readFloat()));
        }
      }
    }
    return max;
  }

  private static List<String> list(Path run) {
    try {
      return new ArrayList<>(checkpointEntries(run));
    } catch (IOException e) {
      return List.of(e.toString());
    }
  }

  private static String output(Path log) {
    try {
      return TrainRuns.read(log);
    } catch (IOException e) {
      return e.toString();
    }
  }
}
