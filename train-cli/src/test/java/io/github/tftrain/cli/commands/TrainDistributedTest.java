package io.github.tftrain.cli.commands;

import static io.github.tftrain.cli.commands.TrainRuns.await;
import static io.github.tftrain.cli.commands.TrainRuns.awaitLines;
import static io.github.tftrain.cli.commands.TrainRuns.checkpointEntries;
import static io.github.tftrain.cli.commands.TrainRuns.metrics;
import static io.github.tftrain.cli.commands.TrainRuns.read;
import static io.github.tftrain.cli.commands.TrainRuns.startTrain;
import static io.github.tftrain.cli.commands.TrainRuns.train;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import io.github.tftrain.distributed.Cluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Data-parallel training across processes (each worker a JVM of its own, loopback ports found free now): two workers
 * with half of every global batch each log what one process logs for the whole batch; a worker killed mid-run makes
 * the other stop within the collective timeout naming it, and a resume of the cluster ends where an uninterrupted run
 * ends; SIGTERM to --local-workers stops every worker at one step with a checkpoint; differing settings and a port in
 * use are refused.
 */
class TrainDistributedTest {
  private static final Duration LIMIT = Duration.ofMinutes(4);

  /** The LSTM language model (dropout off: its masks are drawn per worker), 20 steps logged one by one. */
  private static List<String> lstm(Path run, String optimizer) {
    return new ArrayList<>(List.of("--model", "lstm-tiny", "--data", "testdata/ptb", "--optimizer", optimizer,
        "--steps", "20", "--log-every", "1", "--dropout", "0", "--batch-size", "8", "--run-dir", run.toString()));
  }

  @ParameterizedTest
  @ValueSource(strings = {"sgd", "adam", "kafisto", "apollo"})
  void twoWorkersLogWhatOneProcessLogsForTheGlobalBatch(String optimizer, @TempDir Path tmp) throws Exception {
    Path single = tmp.resolve("single");
    TrainRuns.Cli one = train(lstm(single, optimizer).toArray(String[]::new));
    assertEquals(0, one.exitCode(), one.toString());
    Path two = tmp.resolve("two");
    List<String> args = lstm(two, optimizer);
    args.addAll(List.of("--local-workers", "2"));
    Path log = tmp.resolve("two.log");
    assertEquals(0, await(startTrain(log, args.toArray(String[]::new)), LIMIT, log), read(log));

    TrainRuns.Metrics a = metrics(single);
    TrainRuns.Metrics b = metrics(two);
    assertEquals(20, b.rows().size());
    double worst = 0;
    for (int row = 0; row < 20; row++) {
      for (String column : List.of("loss", "grad_norm")) {
        double x = a.number(row, column);
        double y = b.number(row, column);
        worst = Math.max(worst, Math.abs(x - y) / Math.abs(x));
      }
    }
    assertTrue(worst <= 1e-6, optimizer + ": loss or grad_norm differs by " + worst + " (relative)");
    double validA = a.number(19, "valid_loss");
    double validB = b.number(19, "valid_loss");
    assertTrue(Math.abs(validA - validB) / validA <= 1e-6, "valid_loss " + validA + " vs " + validB);
    System.out.printf("%s: 2 workers vs 1 process, worst relative difference of loss/grad_norm %.2e%n", optimizer,
        worst);
    @SuppressWarnings("unchecked")
    var cluster = (java.util.Map<String, Object>) TrainRuns.config(two).get("cluster");
    assertEquals(4, ((Number) cluster.get("batch_per_worker")).intValue());
  }

  /**
   * WideResNet with synchronised batch norm: two workers normalise with the global batch's moments (all-reduced
   * forward, and backward through the collective's gradient), so they compute what one process computes on the whole
   * batch. Measured: the loss agrees within 4e-6 relative over 20 steps and the gradient norm within 1e-6 for the
   * first 5; later the gradient norm jumps to ~1e-5 and drifts to ~5e-4 while the loss stays within 1e-6. Two
   * one-process runs that differ only in --threads do the same (with --no-augment: within 8e-7 for 15 steps, 5.7e-6 at
   * step 16, 2.6e-4 at step 20): float32 sums taken in another order differ in their last bits and training
   * amplifies that (a gradient that jumps while the loss hardly moves is what a ReLU input within rounding of zero
   * does when it crosses its kink). {@code SyncBatchNormReplicasTest} runs the same model through the library in
   * float64, where the two agree to 1e-13 for 20 steps. Per-worker batch norm differs by ~1e-2 already at step 1.
   */
  @Test
  void synchronisedBatchNormOnTwoWorkersComputesWhatOneProcessComputes(@TempDir Path tmp) throws Exception {
    List<String> common = List.of("--model", "wrn-10-1", "--data", "testdata/fashion-mnist", "--optimizer", "sgd",
        "--lr", "0.002", "--steps", "20", "--log-every", "1", "--batch-size", "32");
    Path single = tmp.resolve("single");
    List<String> one = new ArrayList<>(common);
    one.addAll(List.of("--sync-batch-norm", "--run-dir", single.toString()));
    TrainRuns.Cli done = train(one.toArray(String[]::new));
    assertEquals(0, done.exitCode(), done.toString());
    Path synced = tmp.resolve("synced");
    List<String> two = new ArrayList<>(common);
    two.addAll(List.of("--sync-batch-norm", "--local-workers", "2", "--run-dir", synced.toString()));
    Path log = tmp.resolve("synced.log");
    assertEquals(0, await(startTrain(log, two.toArray(String[]::new)), LIMIT, log), read(log));
    Path own = tmp.resolve("own");
    List<String> perWorker = new ArrayList<>(common);
    perWorker.addAll(List.of("--local-workers", "2", "--run-dir", own.toString()));
    assertEquals(0, await(startTrain(log, perWorker.toArray(String[]::new)), LIMIT, log), read(log));

    TrainRuns.Metrics a = metrics(single);
    TrainRuns.Metrics b = metrics(synced);
    TrainRuns.Metrics c = metrics(own);
    double worstLoss = 0;
    double worstEarlyNorm = 0;
    double worstNorm = 0;
    for (int row = 0; row < 20; row++) {
      worstLoss = Math.max(worstLoss, relative(a.number(row, "loss"), b.number(row, "loss")));
      double norm = relative(a.number(row, "grad_norm"), b.number(row, "grad_norm"));
      worstNorm = Math.max(worstNorm, norm);
      if (row < 5) {
        worstEarlyNorm = Math.max(worstEarlyNorm, norm);
      }
    }
    assertTrue(worstLoss <= 1e-5, "loss differs by " + worstLoss);
    assertTrue(worstEarlyNorm <= 1e-6, "grad_norm of steps 1-5 differs by " + worstEarlyNorm);
    assertTrue(worstNorm <= 2e-3, "grad_norm differs by " + worstNorm);
    // every worker holds the same model (moving statistics included): the evaluation is one process's
    double testLoss = relative(a.number(19, "test_loss"), b.number(19, "test_loss"));
    assertTrue(testLoss <= 1e-3, "test_loss differs by " + testLoss);
    double perWorkerFirst = relative(a.number(0, "grad_norm"), c.number(0, "grad_norm"));
    assertTrue(perWorkerFirst > 1e-3, "per-worker batch norm should differ at step 1, differs by " + perWorkerFirst);
    System.out.printf("sync batch norm, 2 workers vs 1 process: loss %.1e, grad_norm steps 1-5 %.1e, all %.1e; "
        + "per-worker batch norm at step 1: %.1e%n", worstLoss, worstEarlyNorm, worstNorm, perWorkerFirst);
    @SuppressWarnings("unchecked")
    var cluster = (java.util.Map<String, Object>) TrainRuns.config(synced).get("cluster");
    assertTrue(String.valueOf(cluster.get("batch_norm")).startsWith("synchronised"), cluster.toString());
  }

  /**
   * The same flags trained in this JVM and on two local workers (a child JVM); their metrics, having logged the same
   * steps.
   */
  private static TrainRuns.Metrics[] oneProcessAndTwoWorkers(List<String> common, Path tmp) throws Exception {
    Path single = tmp.resolve("single");
    List<String> one = new ArrayList<>(common);
    one.addAll(List.of("--run-dir", single.toString()));
    TrainRuns.Cli done = train(one.toArray(String[]::new));
    assertEquals(0, done.exitCode(), done.toString());
    Path two = tmp.resolve("two");
    List<String> args = new ArrayList<>(common);
    args.addAll(List.of("--local-workers", "2", "--run-dir", two.toString()));
    Path log = tmp.resolve("two.log");
    assertEquals(0, await(startTrain(log, args.toArray(String[]::new)), LIMIT, log), read(log));
    TrainRuns.Metrics[] runs = {metrics(single), metrics(two)};
    assertEquals(runs[0].steps(), runs[1].steps());
    return runs;
  }

  private static double relative(double reference, double value) {
    return Math.abs(value - reference) / Math.abs(reference);
  }

  /**
   * A language model's carried state (each worker's rows) survives a mid-epoch stop: the chief's checkpoint gathers
   * every worker's rows, and a resume hands each worker its own, so the resumed run logs what one uninterrupted
   * process logs.
   */
  @Test
  void aLanguageModelStoppedMidEpochResumesWithEveryWorkersCarriedState(@TempDir Path tmp) throws Exception {
    Path single = tmp.resolve("single");
    TrainRuns.Cli one = train(lstm(single, "sgd").toArray(String[]::new));
    assertEquals(0, one.exitCode(), one.toString());
    Path run = tmp.resolve("two");
    List<String> args = lstm(run, "sgd");
    args.addAll(List.of("--local-workers", "2"));
    Path log = tmp.resolve("two.log");
    Process launcher = startTrain(log, args.toArray(String[]::new));
    awaitLines(run.resolve("metrics.csv"), 9, launcher, LIMIT, log);
    launcher.destroy();
    assertEquals(130, await(launcher, LIMIT, log), read(log));
    List<String> resume = List.of("--resume", "--run-dir", run.toString(), "--local-workers", "2");
    assertEquals(0, await(startTrain(log, resume.toArray(String[]::new)), LIMIT, log), read(log));
    TrainRuns.Metrics a = metrics(single);
    TrainRuns.Metrics b = metrics(run);
    assertEquals(a.steps(), b.steps());
    for (int row = 0; row < a.rows().size(); row++) {
      for (String column : List.of("loss", "grad_norm")) {
        assertTrue(relative(a.number(row, column), b.number(row, column)) <= 1e-6,
            "step " + a.steps().get(row) + " " + column + ": " + a.cell(row, column) + " vs " + b.cell(row, column));
      }
    }
  }

  /**
   * The WGAN-GP DCGAN on two workers: each its slice of the real batches, of the noise z and of the penalty's ε (drawn
   * for the global batch), the generator's batch norm synchronised, both optimizers averaging. Measured against one
   * process: the first iteration's critic loss within 1e-7 and generator loss within 4e-6 relative; the adversarial
   * dynamics (Adam, losses of order 10-80) then amplify float-order differences to ~3e-3 by step 6.
   */
  @Test
  void theGanOnTwoWorkersComputesWhatOneProcessComputes(@TempDir Path tmp) throws Exception {
    List<String> common = List.of("--model", "dcgan", "--data", "testdata/fashion-mnist-cifar10", "--optimizer",
        "adam", "--steps", "6", "--log-every", "1", "--batch-size", "16", "--n-critic", "2", "--sync-batch-norm");
    TrainRuns.Metrics[] runs = oneProcessAndTwoWorkers(common, tmp);
    TrainRuns.Metrics a = runs[0];
    TrainRuns.Metrics b = runs[1];
    assertTrue(relative(a.number(0, "critic_loss"), b.number(0, "critic_loss")) <= 1e-6, "critic loss, step 1");
    assertTrue(relative(a.number(0, "generator_loss"), b.number(0, "generator_loss")) <= 1e-5,
        "generator loss, step 1");
    for (int row = 0; row < a.rows().size(); row++) {
      for (String column : List.of("critic_loss", "wasserstein", "generator_loss")) {
        assertTrue(relative(a.number(row, column), b.number(row, column)) <= 1e-2,
            "step " + (row + 1) + " " + column + ": " + a.cell(row, column) + " vs " + b.cell(row, column));
      }
    }
    // the chief's sample grid shows the global batch (every worker's slice), as one process's does
    java.awt.image.BufferedImage oneGrid = javax.imageio.ImageIO.read(
        tmp.resolve("single").resolve("plots").resolve("samples-epoch-001.png").toFile());
    java.awt.image.BufferedImage twoGrid = javax.imageio.ImageIO.read(
        tmp.resolve("two").resolve("plots").resolve("samples-epoch-001.png").toFile());
    assertEquals(oneGrid.getWidth(), twoGrid.getWidth());
    assertEquals(oneGrid.getHeight(), twoGrid.getHeight());
    double differences = 0;
    double worst = 0;
    for (int y = 0; y < oneGrid.getHeight(); y++) {
      for (int x = 0; x < oneGrid.getWidth(); x++) {
        for (int shift = 0; shift <= 16; shift += 8) {
          int d = Math.abs(((oneGrid.getRGB(x, y) >> shift) & 0xff) - ((twoGrid.getRGB(x, y) >> shift) & 0xff));
          differences += d;
          worst = Math.max(worst, d);
        }
      }
    }
    double mean = differences / (3.0 * oneGrid.getWidth() * oneGrid.getHeight());
    System.out.printf("GAN sample grid, 2 workers vs 1 process: mean |difference| %.3f, worst %.0f of 255%n", mean,
        worst);
    assertTrue(mean < 1, "the grids differ by " + mean + " of 255 on average");
  }

  /**
   * An MLP on a CSV table (the trainer library's Model API) on two workers: the global batch's loss and training
   * error at every step equal one process's.
   */
  @Test
  void anMlpOnTwoWorkersLogsWhatOneProcessLogs(@TempDir Path tmp) throws Exception {
    Path data = csvTable(tmp.resolve("table"));
    List<String> common = List.of("--model", "mlp-16", "--data", data.toString(), "--optimizer", "sgd", "--lr", "0.1",
        "--steps", "20", "--log-every", "1", "--batch-size", "16");
    TrainRuns.Metrics[] runs = oneProcessAndTwoWorkers(common, tmp);
    TrainRuns.Metrics a = runs[0];
    TrainRuns.Metrics b = runs[1];
    for (int row = 0; row < a.rows().size(); row++) {
      assertTrue(relative(a.number(row, "loss"), b.number(row, "loss")) <= 1e-6, "loss at step " + (row + 1));
      assertEquals(a.number(row, "error"), b.number(row, "error"), 1e-6, "training error at step " + (row + 1));
    }
  }

  /** A small seeded CSV table (4 features, 3 classes; 256 training and 64 test rows) in {@code dir}. */
  private static Path csvTable(Path dir) throws java.io.IOException {
    Path data = Files.createDirectories(dir);
    java.util.Random random = new java.util.Random(3);
    for (String split : List.of("train", "test")) {
      StringBuilder csv = new StringBuilder("a,b,c,d,label\n");
      for (int i = 0; i < (split.equals("train") ? 256 : 64); i++) {
        double[] x = {random.nextGaussian(), random.nextGaussian(), random.nextGaussian(), random.nextGaussian()};
        int label = (x[0] + 0.5 * x[1] > 0 ? 1 : 0) + (x[2] > 1 ? 1 : 0);
        csv.append(String.format(java.util.Locale.ROOT, "%.5f,%.5f,%.5f,%.5f,%d%n", x[0], x[1], x[2], x[3], label));
      }
      Files.writeString(data.resolve(split + ".csv"), csv);
    }
    return data;
  }

  /**
   * --xla reaches every worker, read from the workers' environments in /proc: --local-workers starts each with
   * TF_XLA_FLAGS (none relaunches itself), and each worker started by hand with --workers relaunches itself with it
   * before its server takes the port; a worker resuming an XLA run without it refuses.
   */
  @Test
  void xlaIsOnInEveryWorker(@TempDir Path tmp) throws Exception {
    Path data = csvTable(tmp.resolve("table"));
    List<String> common = List.of("--model", "mlp-16", "--data", data.toString(), "--optimizer", "sgd", "--steps",
        "1000000", "--log-every", "1", "--batch-size", "16", "--xla", "--checkpoint-every", "0");
    Path local = tmp.resolve("local");
    List<String> args = new ArrayList<>(common);
    args.addAll(List.of("--local-workers", "2", "--run-dir", local.toString()));
    Path log = tmp.resolve("local.log");
    Process launcher = startTrain(log, args.toArray(String[]::new));
    try {
      awaitLines(local.resolve("metrics.csv"), 3, launcher, LIMIT, log);
      List<ProcessHandle> workers = launcher.toHandle().children().toList();
      assertEquals(2, workers.size(), "the launcher's workers");
      for (ProcessHandle worker : workers) {
        assertTrue(environment(worker).contains("TF_XLA_FLAGS=" + io.github.tftrain.cli.Xla.FLAGS),
            "worker " + worker.pid() + " runs with XLA");
        assertEquals(0, worker.children().count(), "worker " + worker.pid() + " did not relaunch itself");
      }
      launcher.destroy();
      assertEquals(130, await(launcher, LIMIT, log), read(log));
    } finally {
      launcher.descendants().forEach(ProcessHandle::destroyForcibly);
      launcher.destroyForcibly();
    }

    // a worker resuming that run by hand learns of --xla from the chief, after its server took the port: it refuses,
    // saying what to set
    List<String> resume = List.of("--resume", "--run-dir", local.toString());
    Refusal withoutXla = bothRefuse(tmp, resume, resume);
    assertTrue(withoutXla.other().contains("task 1: the run uses --xla but this worker runs without it; start it "
        + "with TF_XLA_FLAGS=\"" + io.github.tftrain.cli.Xla.FLAGS + "\""), withoutXla.other());

    String workers = String.join(",", Cluster.loopback(2));
    Path byHand = tmp.resolve("by-hand");
    List<String> flags = new ArrayList<>(common);
    flags.addAll(List.of("--run-dir", byHand.toString()));
    List<Process> started = List.of(startTrain(tmp.resolve("task0.log"), withCluster(flags, workers, 0)),
        startTrain(tmp.resolve("task1.log"), withCluster(flags, workers, 1)));
    try {
      awaitLines(byHand.resolve("metrics.csv"), 3, started.get(0), LIMIT, tmp.resolve("task0.log"));
      for (Process worker : started) {
        List<ProcessHandle> relaunched = worker.toHandle().children().toList();
        assertEquals(1, relaunched.size(), "worker " + worker.pid() + " relaunched itself once");
        assertTrue(environment(relaunched.get(0)).contains("TF_XLA_FLAGS=" + io.github.tftrain.cli.Xla.FLAGS));
      }
    } finally {
      for (Process worker : started) {
        worker.descendants().forEach(ProcessHandle::destroyForcibly);
        worker.destroyForcibly();
      }
    }
  }

  /** A process's environment, from /proc (Linux): NAME=VALUE entries. */
  private static List<String> environment(ProcessHandle process) throws java.io.IOException {
    byte[] bytes = Files.readAllBytes(Path.of("/proc", Long.toString(process.pid()), "environ"));
    return List.of(new String(bytes, java.nio.charset.StandardCharsets.UTF_8).split("\0"));
  }

  /**
   * A worker that hangs (SIGSTOP: its process and port stay, it answers nothing) makes the chief stop after the
   * collective timeout with one line saying so.
   */
  @Test
  void aHungWorkerStopsTheChiefAfterTheTimeout(@TempDir Path tmp) throws Exception {
    String workers = String.join(",", Cluster.loopback(2));
    Path run = tmp.resolve("hung");
    List<String> args = new ArrayList<>(lstm(run, "sgd"));
    args.addAll(List.of("--collective-timeout", "5"));
    Path chiefLog = tmp.resolve("chief.log");
    Path otherLog = tmp.resolve("other.log");
    Process chief = startTrain(chiefLog, withCluster(args, workers, 0));
    Process other = startTrain(otherLog, withCluster(args, workers, 1));
    try {
      awaitLines(run.resolve("metrics.csv"), 4, chief, LIMIT, chiefLog);
      assertEquals(0, new ProcessBuilder("kill", "-STOP", Long.toString(other.pid())).start().waitFor());
      long stopped = System.nanoTime();
      assertEquals(1, await(chief, LIMIT, chiefLog), read(chiefLog));
      double seconds = (System.nanoTime() - stopped) / 1e9;
      assertTrue(seconds < 5 + 20, "the chief took " + seconds + " s");
      assertTrue(read(chiefLog).contains("a worker did not answer within 5 s (every worker's port answers)"),
          read(chiefLog));
    } finally {
      other.destroyForcibly();
      new ProcessBuilder("kill", "-CONT", Long.toString(other.pid())).start().waitFor();
      chief.destroyForcibly();
    }
  }

  /** A small WideResNet run of 12 steps with a checkpoint every 4. */
  private static List<String> wrn(Path run) {
    return new ArrayList<>(List.of("--model", "wrn-10-1", "--data", "testdata/fashion-mnist", "--optimizer", "adam",
        "--steps", "12", "--log-every", "1", "--checkpoint-every", "4", "--batch-size", "32", "--run-dir",
        run.toString(), "--collective-timeout", "20"));
  }

  @Test
  void aKilledWorkerStopsTheOtherAndTheClusterResumesWhereItWas(@TempDir Path tmp) throws Exception {
    Path reference = tmp.resolve("reference");
    List<String> args = wrn(reference);
    args.addAll(List.of("--local-workers", "2"));
    Path log = tmp.resolve("reference.log");
    assertEquals(0, await(startTrain(log, args.toArray(String[]::new)), LIMIT, log), read(log));
    TrainRuns.Metrics trained = metrics(reference);
    assertTrue(trained.number(11, "loss") < trained.number(0, "loss"), "per-worker batch norm trains: the loss falls");
    @SuppressWarnings("unchecked")
    var cluster = (java.util.Map<String, Object>) TrainRuns.config(reference).get("cluster");
    assertTrue(String.valueOf(cluster.get("batch_norm")).startsWith("per worker"), cluster.toString());

    // two workers started by hand; task 1 is killed after step 6
    Path run = tmp.resolve("killed");
    List<String> addresses = Cluster.loopback(2);
    String workers = String.join(",", addresses);
    Path chiefLog = tmp.resolve("chief.log");
    Path otherLog = tmp.resolve("other.log");
    Process chief = startTrain(chiefLog, withCluster(wrn(run), workers, 0));
    Process other = startTrain(otherLog, withCluster(wrn(run), workers, 1));
    awaitLines(run.resolve("metrics.csv"), 7, chief, LIMIT, chiefLog);
    other.destroyForcibly().waitFor();
    long killed = System.nanoTime();
    assertEquals(1, await(chief, LIMIT, chiefLog), read(chiefLog));
    assertTrue((System.nanoTime() - killed) / 1e9 < 20 + 10, "the chief took too long to notice");
    String said = read(chiefLog);
    assertTrue(said.contains("lost worker task 1 (" + addresses.get(1) + ")"), said);
    assertTrue(checkpointEntries(run).contains(TrainRuns.stepName(4)), checkpointEntries(run).toString());

    // the same command with --resume on both workers finishes the run as the uninterrupted one did
    String workers2 = String.join(",", Cluster.loopback(2));
    List<String> resume = new ArrayList<>(List.of("--resume", "--run-dir", run.toString(), "--collective-timeout",
        "20"));
    // task 1 resuming on a copy whose content differs: both refuse, before anything is written
    List<String> resumeOtherData = new ArrayList<>(resume);
    resumeOtherData.addAll(List.of("--data", TrainRuns.fashionMnistCopy(tmp.resolve("changed"), true).toString()));
    Refusal changed = bothRefuse(tmp, resume, resumeOtherData);
    assertTrue(changed.other().contains("task 1: its data's train_crc32 is "), changed.other());
    assertTrue(changed.chief().contains("a worker refused the data"), changed.chief());

    // task 1 reads its own copy of the data (as a worker on another machine would)
    List<String> resumeElsewhere = new ArrayList<>(resume);
    resumeElsewhere.addAll(List.of("--data", TrainRuns.fashionMnistCopy(tmp.resolve("copy"), false).toString()));
    chief = startTrain(chiefLog, withCluster(resume, workers2, 0));
    other = startTrain(otherLog, withCluster(resumeElsewhere, workers2, 1));
    assertEquals(0, await(chief, LIMIT, chiefLog), read(chiefLog));
    assertEquals(0, await(other, LIMIT, otherLog), read(otherLog));
    assertSameRun(reference, run);

    // SIGTERM to a --local-workers launcher: every worker stops at one step, the chief checkpoints, exit 130
    Path stopped = tmp.resolve("stopped");
    List<String> local = wrn(stopped);
    local.addAll(List.of("--local-workers", "2"));
    Path stoppedLog = tmp.resolve("stopped.log");
    Process launcher = startTrain(stoppedLog, local.toArray(String[]::new));
    awaitLines(stopped.resolve("metrics.csv"), 6, launcher, LIMIT, stoppedLog);
    launcher.destroy();
    assertEquals(130, await(launcher, LIMIT, stoppedLog), read(stoppedLog));
    assertTrue(read(stoppedLog).contains("interrupted"), read(stoppedLog));
    List<String> resumeLocal = List.of("--resume", "--run-dir", stopped.toString(), "--local-workers", "2");
    assertEquals(0, await(startTrain(stoppedLog, resumeLocal.toArray(String[]::new)), LIMIT, stoppedLog),
        read(stoppedLog));
    assertSameRun(reference, stopped);

    // and a finished run of the cluster is extended on the cluster: every worker trains to the new length
    List<String> extend = List.of("--resume", "--run-dir", stopped.toString(), "--steps", "16", "--local-workers",
        "2");
    assertEquals(0, await(startTrain(stoppedLog, extend.toArray(String[]::new)), LIMIT, stoppedLog),
        read(stoppedLog));
    assertEquals(16L, metrics(stopped).steps().get(metrics(stopped).rows().size() - 1));
    assertEquals(16, ((Number) TrainRuns.trainSettings(stopped).get("steps")).intValue());
    // a finished run resumed on the cluster ends at once on every worker (the others have no checkpoint of their own)
    List<String> again = List.of("--resume", "--run-dir", stopped.toString(), "--local-workers", "2");
    assertEquals(0, await(startTrain(stoppedLog, again.toArray(String[]::new)), LIMIT, stoppedLog), read(stoppedLog));
    assertTrue(read(stoppedLog).contains("the run already took its 16 steps"), read(stoppedLog));
  }

  /** Equal losses and gradient norms at every step (throughput aside), and the same final evaluation. */
  private static void assertSameRun(Path reference, Path run) throws Exception {
    TrainRuns.Metrics a = metrics(reference);
    TrainRuns.Metrics b = metrics(run);
    assertEquals(a.steps(), b.steps());
    for (int row = 0; row < a.rows().size(); row++) {
      for (String column : List.of("loss", "grad_norm")) {
        double x = a.number(row, column);
        double y = b.number(row, column);
        assertTrue(Math.abs(x - y) <= 1e-6 * Math.abs(x), "step " + a.steps().get(row) + " " + column + ": " + x
            + " vs " + y);
      }
    }
    assertEquals(a.cell(a.rows().size() - 1, "test_error"), b.cell(b.rows().size() - 1, "test_error"));
  }

  @Test
  void aWorkerWithOtherSettingsIsRefusedAndABusyPortIsNamed(@TempDir Path tmp) throws Exception {
    Path run = tmp.resolve("run");
    List<String> mine = wrn(run);
    List<String> theirs = wrn(run);
    theirs.set(theirs.indexOf("32"), "64");
    Refusal settings = bothRefuse(tmp, mine, theirs);
    assertTrue(settings.other().contains("task 1: its batch_size is 64 but the chief's is 32"), settings.other());
    assertTrue(settings.chief().contains("a worker refused the chief's settings"), settings.chief());
    assertTrue(!Files.exists(run.resolve("metrics.csv")), "nothing was trained");

    // the same flags, but task 1's --data is a copy with one label changed: refused before anything is written
    Path changed = TrainRuns.fashionMnistCopy(tmp.resolve("changed"), true);
    List<String> otherData = wrn(run);
    otherData.set(otherData.indexOf("testdata/fashion-mnist"), changed.toString());
    Refusal data = bothRefuse(tmp, mine, otherData);
    assertTrue(data.other().contains("task 1: its data's train_crc32 is "), data.other());
    assertTrue(data.other().contains("every worker must read the run's dataset"), data.other());
    assertTrue(data.chief().contains("a worker refused the data"), data.chief());
    assertTrue(!Files.exists(run), "the chief wrote no run directory");

    // task 1 cannot read its copy (the labels file is missing): every worker stops at once with its message, not
    // after the collective timeout
    Path broken = TrainRuns.fashionMnistCopy(tmp.resolve("broken"), false);
    Files.delete(broken.resolve("train-labels-idx1-ubyte.gz"));
    List<String> brokenData = wrn(run);
    brokenData.set(brokenData.indexOf("testdata/fashion-mnist"), broken.toString());
    Refusal unreadable = bothRefuse(tmp, mine, brokenData);
    assertTrue(unreadable.other().contains("task 1: ") && unreadable.other().contains("train-labels-idx1-ubyte"),
        unreadable.other());
    assertTrue(unreadable.chief().contains("a worker refused the data"), unreadable.chief());

    try (ServerSocket busy = new ServerSocket(0)) {
      String taken = "localhost:" + busy.getLocalPort() + "," + Cluster.loopback(1).get(0);
      Path busyLog = tmp.resolve("busy.log");
      assertEquals(2, await(startTrain(busyLog, withCluster(wrn(tmp.resolve("busy")), taken, 0)), LIMIT, busyLog),
          read(busyLog));
      assertTrue(read(busyLog).contains("task 0 cannot listen on localhost:" + busy.getLocalPort()
          + " (is the port in use?)"), read(busyLog));
    }
  }

  /** What the chief and task 1 printed. */
  private record Refusal(String chief, String other) {}

  /**
   * Starts a chief with {@code chiefArgs} and task 1 with {@code otherArgs} on fresh loopback ports, and checks that
   * both refuse (exit 2).
   */
  private static Refusal bothRefuse(Path tmp, List<String> chiefArgs, List<String> otherArgs) throws Exception {
    String workers = String.join(",", Cluster.loopback(2));
    Path chiefLog = Files.createTempFile(tmp, "refusing-chief-", ".log");
    Path otherLog = Files.createTempFile(tmp, "refusing-other-", ".log");
    Process chief = startTrain(chiefLog, withCluster(chiefArgs, workers, 0));
    Process other = startTrain(otherLog, withCluster(otherArgs, workers, 1));
    assertEquals(2, await(other, LIMIT, otherLog), read(otherLog));
    assertEquals(2, await(chief, LIMIT, chiefLog), read(chiefLog));
    return new Refusal(read(chiefLog), read(otherLog));
  }

  private static String[] withCluster(List<String> args, String workers, int task) {
    List<String> all = new ArrayList<>(args);
    all.addAll(List.of("--workers", workers, "--task", Integer.toString(task)));
    return all.toArray(String[]::new);
  }

}
