package io.github.tftrain.cli.commands;

import io.github.tftrain.cli.jobs.Jobs;
import io.github.tftrain.cli.settings.Settings;
import io.github.tftrain.cli.settings.TrainConfig;
import io.github.tftrain.cli.runs.Runs;

import io.github.tftrain.cli.ExitCodes;

import io.github.tftrain.trainer.Training;
import io.github.tftrain.trainer.RunDirectory;
import io.github.tftrain.trainer.EventWriter;
import io.github.tftrain.trainer.Progress;
import io.github.tftrain.trainer.Interrupts;
import io.github.tftrain.trainer.Json;
import io.github.tftrain.trainer.TrainingJob;
import io.github.tftrain.trainer.NonFiniteStepException;

import static io.github.tftrain.cli.commands.TrainRuns.checkpointEntries;
import static io.github.tftrain.cli.commands.TrainRuns.metrics;
import static io.github.tftrain.cli.commands.TrainRuns.train;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;



import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import picocli.CommandLine;

/**
 * Non-finite losses. SGD with lr 1e30 takes its first step and then every loss is non-finite: with {@code --on-nan
 * stop} the run exits 1 naming the step, with a checkpoint byte-identical to that of a run told to take exactly that
 * one step; with {@code --on-nan skip} it gives up (exit 1) once an epoch's worth of batches in a row was skipped. A
 * job that fails on two single batches shows what skip does when training can go on.
 */
class TrainNonFiniteTest {
  @TempDir static Path shared;
  /** The same run told to stop after its one good step: the last good state. */
  private static Path oneStep;

  private static String[] diverging(Path runDir, String steps) {
    return new String[] {"--model", "wrn-10-2", "--data", "testdata/fashion-mnist", "--optimizer", "sgd", "--lr",
        "1e30", "--batch-size", "100", "--log-every", "1", "--steps", steps, "--run-dir", runDir.toString()};
  }

  @BeforeAll
  static void lastGoodState() {
    oneStep = shared.resolve("one-step");
    TrainRuns.Cli cli = train(diverging(oneStep, "1"));
    assertEquals(0, cli.exitCode(), cli::toString);
  }

  @Test
  void stopExitsOneNamingTheStepWithTheLastGoodStateCheckpointed(@TempDir Path tmp) throws Exception {
    Path run = tmp.resolve("run");
    TrainRuns.Cli cli = train(diverging(run, "5"));
    assertEquals(1, cli.exitCode(), cli::toString);
    // the failure goes to stderr, as one line; stdout has only progress
    String line = cli.err().lines().filter(l -> l.contains("not finite")).findFirst().orElse("");
    assertTrue(line.startsWith("step 1 (epoch 1, batch 1): loss or gradient is not finite; stopped"), cli::toString);
    assertTrue(line.contains("checkpoints/step-000000001"), line);
    assertEquals(1, cli.err().lines().count(), cli::toString);
    assertFalse(cli.out().contains("not finite"), cli::toString);

    assertEquals(List.of("step-000000001"), checkpointEntries(run));
    assertEquals(1L, ((Number) state(run, 1).get("step")).longValue());
    assertSameVariables(oneStep, 1, run, 1);
    TrainRuns.Metrics metrics = metrics(run);
    assertEquals(List.of(1L), metrics.steps(), "the good step's row, nothing after it");
    assertTrue(Double.isFinite(metrics.number(0, "loss")));
    assertFalse(Files.exists(run.resolve("saved_model")), "a failed run exports nothing");
  }

  @Test
  void skipGivesUpAfterAnEpochOfNonFiniteBatchesInARow(@TempDir Path tmp) throws Exception {
    Path run = tmp.resolve("run");
    String[] args = diverging(run, "30");
    String[] withSkip = java.util.Arrays.copyOf(args, args.length + 2);
    withSkip[args.length] = "--on-nan";
    withSkip[args.length + 1] = "skip";
    // in a child JVM, killed past the timeout: a skip loop that never ends must fail the test, not hang the build
    Path log = tmp.resolve("child.log");
    int code = TrainRuns.await(TrainRuns.startTrain(log, withSkip), Duration.ofMinutes(3), log);
    String out = TrainRuns.read(log);
    assertEquals(1, code, out);
    long perEpoch = ((Number) TrainRuns.config(run).get("steps_per_epoch")).longValue();
    assertEquals(20, perEpoch, "2,000 images / 100");
    // step 0 is good; steps 1-19 are skipped (each uses up its step), epoch 1 ends at step 20 with its evaluation
    // and checkpoint; the skip at step 20 is the 20th in a row: stop.
    assertTrue(out.contains("step 20 (epoch 2, batch 0): " + perEpoch
        + " batches in a row (an epoch's worth) had a non-finite loss or gradient; stopped"), out);

    Map<String, Object> state = state(run, 20);
    assertEquals(20L, ((Number) state.get("step")).longValue());
    assertEquals(perEpoch, ((Number) state.get("skipped")).longValue());
    assertEquals(1L, ((Number) state.get("epoch")).longValue(), "the data moved on past the skipped batches");
    assertEquals(0L, ((Number) state.get("batch")).longValue());
    assertEquals(List.of("step-000000020"),
        checkpointEntries(run).stream().filter(n -> n.startsWith("step-")).toList());
    assertSameVariables(oneStep, 1, run, 20);
    TrainRuns.Metrics metrics = metrics(run);
    assertEquals(java.util.stream.LongStream.rangeClosed(1, 20).boxed().toList(), metrics.steps());
    assertTrue(Double.isFinite(metrics.number(0, "loss")), "the good step's loss");
    for (int row = 1; row < 20; row++) {
      assertEquals("", metrics.cell(row, "loss"), "a window of skipped steps has no loss: row " + row);
    }
  }

  @Test
  void skipDropsTransientNonFiniteBatchesAndFinishes(@TempDir Path tmp) throws Exception {
    TrainCommand command = new TrainCommand();
    new CommandLine(command).parseArgs("--model", "wrn-10-2", "--data", "testdata/fashion-mnist", "--optimizer",
        "adam", "--steps", "6", "--batch-size", "16", "--log-every", "2", "--on-nan", "skip");
    TrainConfig config = Settings.resolve(command.options());
    RunDirectory run = RunDirectory.create(tmp.resolve("run"));
    StringWriter out = new StringWriter();
    int code;
    try (TrainingJob real = Jobs.create(config)) {
      FailingJob job = new FailingJob(real, Set.of(1, 3));
      run.writeConfig(Runs.configJson(config, job, List.of(), 0));
      try (Session session = new Session(job.graph());
          Interrupts interrupts = Interrupts.install();
          EventWriter events = EventWriter.open(run.events())) {
        code = new Training(config.loopSettings(), run, job, session,
            new Progress(new PrintWriter(out), new PrintWriter(out), false, false, 60), interrupts, events).run(false).exitCode();
      }
      assertEquals(4, job.taken, "six steps, two of them skipped");
      assertEquals(6, job.calls);
    }
    assertEquals(ExitCodes.OK, code, out::toString);
    assertTrue(out.toString().contains("2 batch(es) were skipped for a non-finite loss or gradient"), out::toString);
    TrainRuns.Metrics metrics = metrics(run.root());
    assertEquals(List.of(2L, 4L, 6L), metrics.steps());
    for (int i = 0; i < 3; i++) {
      assertTrue(Double.isFinite(metrics.number(i, "loss")) && metrics.number(i, "loss") > 0);
    }
    Map<String, Object> state = state(run.root(), 6);
    assertEquals(2L, ((Number) state.get("skipped")).longValue());
    assertEquals(6L, ((Number) state.get("step")).longValue());
    assertTrue(Files.isRegularFile(run.savedModel().resolve("saved_model.pb")));
  }

  /**
   * With {@code --on-nan skip} and every batch of a run shorter than an epoch non-finite, the model is never
   * updated: the run fails (exit 1) and exports nothing, instead of ending "done" with a NaN test loss.
   */
  @Test
  void skipWithEveryStepNonFiniteFailsAndExportsNothing(@TempDir Path tmp) throws Exception {
    TrainCommand command = new TrainCommand();
    new CommandLine(command).parseArgs("--model", "wrn-10-2", "--data", "testdata/fashion-mnist", "--optimizer",
        "adam", "--steps", "3", "--batch-size", "16", "--on-nan", "skip");
    TrainConfig config = Settings.resolve(command.options());
    RunDirectory run = RunDirectory.create(tmp.resolve("run"));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code;
    try (TrainingJob real = Jobs.create(config)) {
      FailingJob job = new FailingJob(real, Set.of(0, 1, 2));
      run.writeConfig(Runs.configJson(config, job, List.of(), 0));
      try (Session session = new Session(job.graph());
          Interrupts interrupts = Interrupts.install();
          EventWriter events = EventWriter.open(run.events())) {
        code = new Training(config.loopSettings(), run, job, session,
            new Progress(new PrintWriter(out), new PrintWriter(err), false, false, 60), interrupts, events).run(false).exitCode();
      }
      assertEquals(0, job.taken);
    }
    assertEquals(ExitCodes.FAILED, code, out + "\n" + err);
    assertTrue(err.toString().contains("every one of the run's 3 steps had a non-finite loss or gradient: the model "
        + "was never updated, so nothing is exported"), err::toString);
    assertFalse(out.toString().contains("done"), out::toString);
    assertFalse(Files.exists(run.savedModel()), "nothing exported");
  }

  /** A job whose step fails, writing nothing, on the given calls (0-based), like a batch with a NaN pixel. */
  private static final class FailingJob implements TrainingJob {
    private final TrainingJob real;
    private final Set<Integer> failing;
    int calls;
    int taken;

    FailingJob(TrainingJob real, Set<Integer> failing) {
      this.real = real;
      this.failing = failing;
    }

    @Override
    public double[] step(Session session, long step) {
      if (failing.contains(calls++)) {
        throw new NonFiniteStepException("step " + step + ": injected", null);
      }
      taken++;
      return real.step(session, step);
    }

    @Override
    public Graph graph() {
      return real.graph();
    }

    @Override
    public Map<String, Object> describeData() {
      return real.describeData();
    }

    @Override
    public List<Column> trainColumns() {
      return real.trainColumns();
    }

    @Override
    public List<String> evalColumns() {
      return real.evalColumns();
    }

    @Override
    public String bestMetric() {
      return real.bestMetric();
    }

    @Override
    public long stepsPerEpoch() {
      return real.stepsPerEpoch();
    }

    @Override
    public long itemsPerStep() {
      return real.itemsPerStep();
    }

    @Override
    public String throughputUnit() {
      return real.throughputUnit();
    }

    @Override
    public void seek(int epoch, long batch) {
      real.seek(epoch, batch);
    }

    @Override
    public io.github.tftrain.optimizers.EvaluationSwap evaluationSwap() {
      return real.evaluationSwap();
    }

    @Override
    public double[] evaluate(Session session) {
      return real.evaluate(session);
    }

    @Override
    public List<io.github.tftrain.optimizers.LossAwareOptimizer> optimizers() {
      return real.optimizers();
    }

    @Override
    public void exportSavedModel(String checkpointPrefix, Path out) throws IOException {
      real.exportSavedModel(checkpointPrefix, out);
    }

    @Override
    public String describeEvaluation(double[] values) {
      return real.describeEvaluation(values);
    }

    @Override
    public void close() {}
  }

  private static Map<String, Object> state(Path run, long step) throws IOException {
    return Json.parseObject(Files.readString(
        run.resolve("checkpoints").resolve(TrainRuns.stepName(step)).resolve("state.json"), StandardCharsets.UTF_8));
  }

  /** The checkpoint's variable files are byte for byte those of the reference's checkpoint. */
  private static void assertSameVariables(Path expected, long expectedStep, Path actual, long actualStep)
      throws IOException {
    String name = TrainRuns.stepName(expectedStep);
    String actualName = TrainRuns.stepName(actualStep);
    for (String file : List.of("variables.index", "variables.data-00000-of-00001")) {
      assertArrayEquals(Files.readAllBytes(expected.resolve("checkpoints").resolve(name).resolve(file)),
          Files.readAllBytes(actual.resolve("checkpoints").resolve(actualName).resolve(file)),
          actualName + "/" + file);
    }
  }
}
