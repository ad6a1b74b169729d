package io.github.tftrain.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Data parallelism at the optimizer level, across real processes: two replicas (child JVMs with their own gRPC
 * servers on loopback ports found free now), each on half of every global batch, must compute what one process
 * computes on the whole batch: the same global loss and gradient norm at every step and the same weights after the
 * run, for optimizers whose update uses only the gradient (SGD, Adam), the loss statistics too (KaFiStO's mean loss
 * and second moment over the global batch) or curvature from successive gradients (Apollo), and with clipping on
 * the global gradient.
 */
class ReplicasTest {
  private static final int STEPS = 20;
  private static final int GLOBAL_BATCH = 16;

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
      "sgd, lr=0.1;momentum=0.9",
      "adam, lr=0.01",
      "kafisto, -",
      "apollo, lr=0.01;warmup=5",
      "adam, lr=0.01;clipNorm=0.3"})
  void twoReplicasComputeWhatOneProcessComputesOnTheGlobalBatch(String optimizer, String settings, @TempDir Path tmp)
      throws Exception {
    Map<String, String> parsed = new java.util.LinkedHashMap<>();
    if (!settings.equals("-")) {
      for (String kv : settings.split(";")) {
        parsed.put(kv.substring(0, kv.indexOf('=')).trim(), kv.substring(kv.indexOf('=') + 1).trim());
      }
    }
    ReplicaTraining.Result single =
        ReplicaTraining.train(Replicas.single(), null, optimizer, parsed, STEPS, GLOBAL_BATCH);
    List<ReplicaTraining.Result> replicas = runReplicas(tmp, optimizer, settings.replace(';', ','), STEPS, STEPS, 30);
    assertEquals(replicas.get(0).steps().size(), STEPS);
    double worstLoss = 0;
    double worstNorm = 0;
    for (int step = 0; step < STEPS; step++) {
      double[] one = single.steps().get(step);
      for (ReplicaTraining.Result replica : replicas) {
        double[] got = replica.steps().get(step);
        worstLoss = Math.max(worstLoss, Math.abs(got[0] - one[0]) / Math.abs(one[0]));
        worstNorm = Math.max(worstNorm, Math.abs(got[1] - one[1]) / Math.abs(one[1]));
      }
    }
    assertTrue(worstLoss <= 1e-6, "loss differs by " + worstLoss + " (relative)");
    assertTrue(worstNorm <= 1e-6, "gradient norm differs by " + worstNorm + " (relative)");
    // Weights: float32 sums in another order (two half-batch means instead of one mean), compounded over the steps;
    // relative to the largest weight.
    double largest = 0;
    for (float w : single.weights()) {
      largest = Math.max(largest, Math.abs(w));
    }
    double worstWeight = 0;
    for (int i = 0; i < single.weights().length; i++) {
      for (ReplicaTraining.Result replica : replicas) {
        worstWeight = Math.max(worstWeight, Math.abs(replica.weights()[i] - single.weights()[i]) / largest);
      }
    }
    assertTrue(worstWeight <= 1e-6, "weights differ by " + worstWeight + " of the largest weight");
    assertTrue(java.util.Arrays.equals(replicas.get(0).weights(), replicas.get(1).weights()),
        "the replicas' weights are bitwise equal");
    System.out.printf("%s %s: worst relative difference loss %.2e, gradient norm %.2e, weights %.2e%n", optimizer,
        settings, worstLoss, worstNorm, worstWeight);
  }

  /**
   * A replica that ends (its process exits) or hangs (alive, in no collective) after 2 of 10 steps: the other fails
   * within the collectives' timeout (3 s) with TensorFlow's reason, instead of waiting forever.
   */
  @ParameterizedTest
  @CsvSource({"exits, Socket closed", "hangs, timed out"})
  void aReplicaThatStopsAnsweringFailsTheOtherWithinTheTimeout(String how, String reason, @TempDir Path tmp)
      throws Exception {
    String list = ports();
    Process chief = child(tmp, 0, list, "sgd", "lr=0.1", 10, 3, false);
    Process other = child(tmp, 1, list, "sgd", "lr=0.1", 2, 3, how.equals("hangs"));
    try {
      assertTrue(chief.waitFor(60, TimeUnit.SECONDS), "the chief waits forever");
      long failed = System.nanoTime();
      String log = Files.readString(tmp.resolve("task0.log"), StandardCharsets.UTF_8);
      assertEquals(1, chief.exitValue(), log);
      assertTrue(log.contains("replica failed") && log.contains(reason), log);
      if (how.equals("exits")) {
        assertTrue(other.waitFor(10, TimeUnit.SECONDS));
        assertEquals(0, other.exitValue());
      } else {
        assertTrue(other.isAlive(), "the hanging replica is still running when the chief has given up");
      }
      assertTrue((System.nanoTime() - failed) / 1e9 < 30);
    } finally {
      other.destroyForcibly();
      chief.destroyForcibly();
    }
  }

  private static List<ReplicaTraining.Result> runReplicas(Path tmp, String optimizer, String settings, int steps0,
      int steps1, double timeout) throws Exception {
    String list = ports();
    List<Process> processes = List.of(child(tmp, 0, list, optimizer, settings, steps0, timeout, false),
        child(tmp, 1, list, optimizer, settings, steps1, timeout, false));
    List<ReplicaTraining.Result> results = new ArrayList<>();
    for (int task = 0; task < 2; task++) {
      Process p = processes.get(task);
      boolean ended = p.waitFor(120, TimeUnit.SECONDS);
      if (!ended) {
        processes.forEach(Process::destroyForcibly);
      }
      String log = Files.readString(tmp.resolve("task" + task + ".log"), StandardCharsets.UTF_8);
      assertTrue(ended, "task " + task + " did not end: " + log);
      assertEquals(0, p.exitValue(), "task " + task + ": " + log);
      results.add(ReplicaTraining.read(tmp.resolve("task" + task + ".txt")));
    }
    return results;
  }

  private static Process child(Path tmp, int task, String ports, String optimizer, String settings, int steps,
      double timeout, boolean hang) throws IOException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-cp", classpath(), ReplicaTraining.class.getName(), Integer.toString(task), ports, optimizer,
        settings, Integer.toString(steps), Integer.toString(GLOBAL_BATCH), tmp.resolve("task" + task + ".txt")
            .toString(), Double.toString(timeout), hang ? "hang" : "end"));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(tmp.resolve("task" + task + ".log").toFile());
    pb.environment().put("TF_CPP_MIN_LOG_LEVEL", "1");
    return pb.start();
  }

  /** Two loopback ports free now, as the children's PORT0,PORT1 argument. */
  private static String ports() throws IOException {
    return String.join(",", Cluster.loopback(2).stream().map(a -> a.substring(a.lastIndexOf(':') + 1)).toList());
  }

  private static String classpath() {
    String surefire = System.getProperty("surefire.test.class.path");
    return surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
  }
}
