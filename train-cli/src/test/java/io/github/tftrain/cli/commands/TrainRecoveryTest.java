package io.github.tftrain.cli.commands;

import io.github.tftrain.cli.settings.Settings;
import io.github.tftrain.cli.settings.TrainConfig;
import io.github.tftrain.cli.runs.Runs;

import io.github.tftrain.trainer.Checkpoints;
import io.github.tftrain.trainer.RunDirectory;
import io.github.tftrain.trainer.Interrupts;
import io.github.tftrain.trainer.Json;

import static io.github.tftrain.cli.commands.TrainRuns.checkpointEntries;
import static io.github.tftrain.cli.commands.TrainRuns.stepName;
import static io.github.tftrain.cli.commands.TrainRuns.train;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.tftrain.cli.app.Tftrain;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What processes killed between two writes leave, and what two processes on one run directory do: a resume repairs
 * the first from the run's state (best.json, plots, temporary files, unfinished SavedModels), falls back past a
 * checkpoint it cannot read, reuses a folder whose start never wrote config.json, and refuses a directory another
 * process is training; {@code --xla}'s launcher forwards SIGTERM to the JVM it started.
 */
class TrainRecoveryTest {
  private static final Duration CHILD_TIMEOUT = Duration.ofMinutes(4);
  @TempDir static Path shared;
  /** 20 steps in one epoch of batch 100, a checkpoint every 5 steps, three kept. */
  private static Path finished;

  private static String[] classifier(Path runDir, String steps) {
    return new String[] {"--model", "wrn-10-1", "--data", "testdata/fashion-mnist", "--steps", steps,
        "--batch-size", "100", "--log-every", "5", "--checkpoint-every", "5", "--keep-checkpoints", "3", "--seed",
        "7", "--run-dir", runDir.toString()};
  }

  @BeforeAll
  static void uninterrupted() {
    finished = shared.resolve("finished");
    TrainRuns.Cli cli = train(classifier(finished, "20"));
    assertEquals(0, cli.exitCode(), cli::toString);
  }

  /**
   * A kill after an epoch's checkpoint but before best.json, or after best.json but before the plots, or in the
   * middle of an atomic write or the SavedModel's: eval finds the best checkpoint from the state, and the resume
   * rewrites best.json, draws the plots, removes the leftovers and exits 0.
   */
  @Test
  void resumeRepairsWhatKillsBetweenWritesLeave(@TempDir Path tmp) throws Exception {
    Path run = copy(finished, tmp.resolve("run"));
    Path checkpoints = run.resolve("checkpoints");
    assertEquals(20L, ((Number) Json.parseObject(Files.readString(checkpoints.resolve("best.json")))
        .get("step")).longValue(), "the one evaluation is at step 20");
    Files.delete(checkpoints.resolve("best.json"));
    Files.writeString(checkpoints.resolve(".best.json.0d1f.tmp"), "{\"st");
    Files.writeString(run.resolve(".config.json.77aa.tmp"), "{");
    Files.createDirectories(run.resolve(".partial-saved_model/variables"));
    Files.writeString(run.resolve(".partial-saved_model/saved_model.pb"), "x");
    try (Stream<Path> plots = Files.list(run.resolve("plots"))) {
      for (Path plot : plots.toList()) {
        Files.delete(plot);
      }
    }

    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Tftrain.execute(new PrintWriter(out), new PrintWriter(err), "eval", "--run", run.toString(),
        "--checkpoint", "best");
    assertEquals(0, code, () -> "eval --checkpoint best without best.json:\n" + out + err);

    TrainRuns.Cli resumed = train("--resume", "--run-dir", run.toString());
    assertEquals(0, resumed.exitCode(), resumed::toString);
    assertTrue(resumed.out().contains("best.json rewritten from the run's state: the best checkpoint is step 20"),
        resumed::toString);
    assertEquals(Map.of("step", 20L, "metric", "test_error", "value",
            Json.parseObject(Files.readString(finished.resolve("checkpoints/best.json"))).get("value")),
        Json.parseObject(Files.readString(checkpoints.resolve("best.json"))));
    assertFalse(Files.exists(checkpoints.resolve(".best.json.0d1f.tmp")));
    assertFalse(Files.exists(run.resolve(".config.json.77aa.tmp")));
    assertFalse(Files.exists(run.resolve(".partial-saved_model")));
    try (Stream<Path> plots = Files.list(run.resolve("plots"))) {
      assertTrue(plots.anyMatch(p -> p.getFileName().toString().endsWith(".png")), "plots drawn again");
    }
    assertTrue(Files.isRegularFile(run.resolve("saved_model/saved_model.pb")));
  }

  /**
   * The latest checkpoint truncated (as a full disk or a kill during a copy leaves it): the resume says so, sets it
   * aside, continues from the one before and ends with the weights of the uninterrupted run, byte for byte. With no
   * readable checkpoint it fails naming them.
   */
  @Test
  void anUnreadableLatestCheckpointFallsBackToTheOneBefore(@TempDir Path tmp) throws Exception {
    Path run = copy(finished, tmp.resolve("run"));
    Path data = run.resolve("checkpoints").resolve(stepName(20)).resolve("variables.data-00000-of-00001");
    byte[] bytes = Files.readAllBytes(data);
    Files.write(data, java.util.Arrays.copyOf(bytes, bytes.length / 2));

    TrainRuns.Cli resumed = train("--resume", "--run-dir", run.toString());
    assertEquals(0, resumed.exitCode(), resumed::toString);
    assertTrue(resumed.err().contains("checkpoint checkpoints/" + stepName(20) + " cannot be read ("),
        resumed::toString);
    assertTrue(resumed.err().contains("moved to checkpoints/" + stepName(20) + ".unreadable, trying the one before"),
        resumed::toString);
    assertTrue(resumed.out().contains("resuming " + run + " at step 15"), resumed::toString);
    assertTrue(Files.isDirectory(run.resolve("checkpoints").resolve(stepName(20) + ".unreadable")), "kept aside");
    TrainResumeTest.assertSameRun(finished, run);

    Path broken = copy(finished, tmp.resolve("broken"));
    for (String step : checkpointEntries(broken)) {
      if (step.startsWith("step-")) {
        Files.write(broken.resolve("checkpoints").resolve(step).resolve("variables.index"), new byte[] {1, 2, 3});
      }
    }
    TrainRuns.Cli failed = train("--resume", "--run-dir", broken.toString());
    assertEquals(1, failed.exitCode(), failed::toString);
    assertTrue(failed.err().contains("tftrain train: no readable checkpoint in " + broken.resolve("checkpoints")),
        failed::toString);
  }

  /** A start killed before config.json leaves empty folders and a temporary file: --resume explains, a start reuses. */
  @Test
  void aFolderWhoseStartNeverWroteConfigJsonIsReused(@TempDir Path tmp) throws Exception {
    Path run = tmp.resolve("run");
    for (String dir : List.of("checkpoints", "events", "plots")) {
      Files.createDirectories(run.resolve(dir));
    }
    Files.writeString(run.resolve(".config.json.5e2b.tmp"), "{\"train\":");
    TrainRuns.Cli resumed = train("--resume", "--run-dir", run.toString());
    assertEquals(2, resumed.exitCode(), resumed::toString);
    assertTrue(resumed.err().contains("the run was interrupted before it started (no config.json, no checkpoint); "
        + "start it again with its settings, without --resume"), resumed::toString);

    TrainRuns.Cli started = train(classifier(run, "2"));
    assertEquals(0, started.exitCode(), started::toString);
    assertFalse(Files.exists(run.resolve(".config.json.5e2b.tmp")));
    assertTrue(Files.isRegularFile(run.resolve("config.json")));
  }

  /** A signal while the data is read and the graph built: one line, exit 130, nothing written. */
  @Test
  void aSignalWhileStartingExits130WithOneLine(@TempDir Path tmp) throws Exception {
    TrainCommand command = new TrainCommand();
    new picocli.CommandLine(command).parseArgs(classifier(tmp.resolve("run"), "2"));
    TrainConfig config = Settings.resolve(command.options());
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code;
    try (Interrupts interrupts = Interrupts.install()) {
      interrupts.request("SIGTERM");
      code = new Runs(new PrintWriter(out), new PrintWriter(err), false, 0)
          .start(config, tmp.resolve("run"), List.of(), interrupts);
    }
    assertEquals(130, code);
    assertEquals("tftrain train: interrupted (SIGTERM) while starting; nothing was written", err.toString().strip());
    assertFalse(Files.exists(tmp.resolve("run")));
  }

  /** While a run trains, a second process on its directory (a --resume) fails at once, naming the holder's PID. */
  @Test
  void aRunDirectoryIsLockedWhileItTrains(@TempDir Path tmp) throws Exception {
    Path run = tmp.resolve("run");
    Path log = tmp.resolve("child.log");
    Process child = TrainRuns.startTrain(log, classifier(run, "100000"));
    try {
      TrainRuns.awaitLines(run.resolve("metrics.csv"), 2, child, CHILD_TIMEOUT, log);
      TrainRuns.Cli second = train("--resume", "--run-dir", run.toString());
      assertEquals(1, second.exitCode(), second::toString);
      assertTrue(second.err().contains("run directory " + run + " is in use by another process (PID " + child.pid()
          + ", in " + run.resolve("run.lock") + ")"), second::toString);
      assertEquals(1, second.err().strip().lines().count(), second::toString);
      child.destroy();
      assertEquals(130, TrainRuns.await(child, CHILD_TIMEOUT, log), () -> read(log));
    } finally {
      child.destroyForcibly();
    }
    // the lock went with the process
    try (RunDirectory.Lock lock = RunDirectory.open(run).lock()) {
      assertEquals(Long.toString(ProcessHandle.current().pid()), Files.readString(run.resolve("run.lock")).strip());
    }
  }

  /**
   * {@code --xla} runs the training in a second JVM: SIGTERM to the launcher reaches it (a checkpoint, exit 130 for
   * both), instead of leaving it training as an orphan.
   */
  @Test
  void xlaLauncherForwardsSigtermToItsChild(@TempDir Path tmp) throws Exception {
    Path run = tmp.resolve("run");
    Path log = tmp.resolve("child.log");
    String[] args = classifier(run, "100000");
    String[] withXla = java.util.Arrays.copyOf(args, args.length + 1);
    withXla[args.length] = "--xla";
    Process launcher = TrainRuns.startTrain(log, withXla);
    long trainer;
    try {
      TrainRuns.awaitLines(run.resolve("metrics.csv"), 2, launcher, CHILD_TIMEOUT, log);
      trainer = Long.parseLong(Files.readString(run.resolve("run.lock")).strip());
      assertTrue(trainer != launcher.pid(), "the training runs in the launcher's child");
      launcher.destroy(); // SIGTERM to the launcher only
      assertEquals(130, TrainRuns.await(launcher, CHILD_TIMEOUT, log), () -> read(log));
    } finally {
      launcher.destroyForcibly();
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (ProcessHandle.of(trainer).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertFalse(ProcessHandle.of(trainer).map(ProcessHandle::isAlive).orElse(false), "the XLA child is gone");
    assertTrue(read(log).contains("interrupted (SIGTERM) at step"), () -> read(log));
  }

  /** A run directory deleted while the run trains: the next checkpoint fails naming it, instead of recreating it. */
  @Test
  void aRunDirectoryDeletedWhileTrainingStopsTheRun(@TempDir Path tmp) throws Exception {
    Path run = tmp.resolve("run");
    Path log = tmp.resolve("child.log");
    Process child = TrainRuns.startTrain(log, classifier(run, "100000"));
    try {
      long deadline = System.nanoTime() + CHILD_TIMEOUT.toNanos();
      while (!Files.isDirectory(run.resolve("checkpoints").resolve(stepName(5)))) {
        assertTrue(child.isAlive() && System.nanoTime() < deadline, () -> "no first checkpoint:\n" + read(log));
        Thread.sleep(10);
      }
      Checkpoints.deleteTree(run);
      assertEquals(1, TrainRuns.await(child, CHILD_TIMEOUT, log), () -> read(log));
    } finally {
      child.destroyForcibly();
    }
    assertTrue(read(log).contains("tftrain train: " + run.resolve("checkpoints") + ": gone (the run directory was "
        + "deleted or moved while the run was training); stopped at step 10"), () -> read(log));
    assertFalse(Files.exists(run), "not recreated");
  }

  /** A run directory that cannot be created: the message names it and the cause (not just the path). */
  @Test
  void aRunDirectoryThatCannotBeCreatedIsNamedWithTheCause() {
    TrainRuns.Cli notAFolder = train("--model", "wrn-10-1", "--data", "testdata/fashion-mnist", "--steps", "1",
        "--run-dir", "/dev/null/run");
    assertEquals(1, notAFolder.exitCode(), notAFolder::toString);
    assertEquals("tftrain train: /dev/null/run: Not a directory", notAFolder.err().strip());
  }

  private static Path copy(Path from, Path to) throws IOException {
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path p : walk.sorted(Comparator.naturalOrder()).toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else if (!p.getFileName().toString().equals("run.lock")) {
          Files.copy(p, target);
        }
      }
    }
    return to;
  }

  private static String read(Path log) {
    try {
      return TrainRuns.read(log);
    } catch (IOException e) {
      return e.toString();
    }
  }
}
