package io.github.tftrain.cli.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.tftrain.distributed.Cluster;
import io.github.tftrain.distributed.Replicas;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.types.TFloat64;

/**
 * The contract for a WideResNet with synchronised batch norm, checked where float32 rounding cannot blur it:
 * two replicas (child JVMs with gRPC servers on loopback ports free now), each on half of every global batch of 32,
 * against one process on the whole batch, in float64, for 20 SGD steps. The loss and the global gradient norm agree
 * to 1e-6 relative at every step; replicas that normalise with their own half-batch instead differ at once. (The CLI
 * test {@code TrainDistributedTest} runs the same model in float32, where the gradient norm drifts to ~5e-4 after
 * step 5, as two one-process runs that differ only in their thread count do.)
 */
class SyncBatchNormReplicasTest {
  private static final int STEPS = 20;
  private static final int GLOBAL_BATCH = 32;
  private static final Path DATA = io.github.tftrain.cli.settings.Home.testdata("fashion-mnist");

  @Test
  void twoReplicasWithSyncBatchNormComputeWhatOneProcessComputesInFloat64(@TempDir Path tmp) throws Exception {
    WideResNetReplica.Result single =
        WideResNetReplica.train(Replicas.single(), null, TFloat64.class, STEPS, GLOBAL_BATCH, DATA);
    List<WideResNetReplica.Result> replicas = runReplicas(tmp, "float64", "sync");
    double[] worst = new double[2];
    for (WideResNetReplica.Result replica : replicas) {
      assertEquals(STEPS, replica.steps().size());
      double[] own = single.worstRelativeDifference(replica);
      worst[0] = Math.max(worst[0], own[0]);
      worst[1] = Math.max(worst[1], own[1]);
    }
    System.out.printf("WRN-10-1 sync batch norm, float64, 2 replicas vs 1 process over %d steps: loss %.1e, "
        + "gradient norm %.1e (relative)%n", STEPS, worst[0], worst[1]);
    assertTrue(worst[0] <= 1e-6, "loss differs by " + worst[0] + " (relative)");
    assertTrue(worst[1] <= 1e-6, "gradient norm differs by " + worst[1] + " (relative)");
    // the run trains (each step a new batch: the last five steps' mean loss well below the first step's)
    double firstLoss = single.steps().get(0)[0];
    double lastLosses = 0;
    for (int step = STEPS - 5; step < STEPS; step++) {
      lastLosses += single.steps().get(step)[0] / 5;
    }
    assertTrue(lastLosses < 0.85 * firstLoss, firstLoss + " -> " + lastLosses);
    // and the comparison can fail: replicas that normalise with their own half-batch differ at the first step
    List<WideResNetReplica.Result> own = runReplicas(tmp, "float64", "own");
    double perReplica = Math.abs(own.get(0).steps().get(0)[1] - single.steps().get(0)[1]) / single.steps().get(0)[1];
    System.out.printf("per-replica batch norm at step 1: gradient norm differs by %.1e%n", perReplica);
    assertTrue(perReplica > 1e-3, "per-replica batch norm should differ, differs by " + perReplica);
  }

  private static List<WideResNetReplica.Result> runReplicas(Path tmp, String type, String batchNorm)
      throws Exception {
    String ports = String.join(",",
        Cluster.loopback(2).stream().map(a -> a.substring(a.lastIndexOf(':') + 1)).toList());
    List<Process> processes = new ArrayList<>();
    for (int task = 0; task < 2; task++) {
      List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
          "-cp", classpath(), WideResNetReplica.class.getName(), Integer.toString(task), ports, type,
          Integer.toString(STEPS), Integer.toString(GLOBAL_BATCH), DATA.toString(),
          tmp.resolve("task" + task + ".txt").toString(), batchNorm);
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(tmp.resolve("task" + task + ".log").toFile());
      pb.environment().put("TF_CPP_MIN_LOG_LEVEL", "1");
      processes.add(pb.start());
    }
    List<WideResNetReplica.Result> results = new ArrayList<>();
    try {
      for (int task = 0; task < 2; task++) {
        Process p = processes.get(task);
        boolean ended = p.waitFor(300, TimeUnit.SECONDS);
        String log = Files.readString(tmp.resolve("task" + task + ".log"), StandardCharsets.UTF_8);
        assertTrue(ended, "task " + task + " did not end: " + log);
        assertEquals(0, p.exitValue(), "task " + task + ": " + log);
        results.add(WideResNetReplica.read(tmp.resolve("task" + task + ".txt")));
      }
    } finally {
      processes.forEach(Process::destroyForcibly);
    }
    return results;
  }

  private static String classpath() {
    String surefire = System.getProperty("surefire.test.class.path");
    return surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
  }
}
