package io.github.tftrain.cli.runs;

import io.github.tftrain.trainer.Interrupts;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * {@code --local-workers N}: runs this same command as N worker processes on this machine, like torchrun: free
 * loopback ports are chosen now, task i gets {@code --workers localhost:P0,...,localhost:PN-1 --task i}. The chief
 * (task 0) prints the run's progress here; the others' output goes to a log that is shown when one of them fails.
 * SIGINT and SIGTERM are passed to every worker, which stop together at one step (the chief checkpoints); the exit
 * code is the chief's. On a GPU machine, when {@code CUDA_VISIBLE_DEVICES} lists at least N devices, worker i sees
 * only the i-th: one process per GPU.
 */
public final class LocalWorkers {
  private LocalWorkers() {}

  /**
   * Starts the workers and waits for all of them.
   *
   * @param count the number of workers, ≥ 2
   * @param xla whether the run uses XLA: every worker starts with it on (it must be on before TensorFlow loads, and a
   *     worker cannot relaunch itself once its server holds its port)
   * @return the chief's exit code (1 if it ended well but another worker failed)
   */
  public static int run(int count, boolean xla, PrintWriter out, PrintWriter err)
      throws IOException, InterruptedException {
    List<String> addresses = io.github.tftrain.distributed.Cluster.loopback(count);
    List<String> base = ownCommandWithoutLocalWorkers();
    List<Process> workers = new java.util.concurrent.CopyOnWriteArrayList<>(); // the signal handler reads it
    List<Path> logs = new ArrayList<>();
    Path logDir = Files.createTempDirectory("tftrain-workers-");
    boolean keepLogs = false;
    SignalHandler forward = signal -> workers.forEach(Process::destroy); // SIGTERM: each checkpoints or stops
    SignalHandler previousInt = Signal.handle(new Signal("INT"), forward);
    SignalHandler previousTerm = Signal.handle(new Signal("TERM"), forward);
    try {
      for (int task = 0; task < count; task++) {
        List<String> command = new ArrayList<>(base);
        command.addAll(List.of("--workers", String.join(",", addresses), "--task", Integer.toString(task)));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put(Interrupts.WATCH_PARENT, "1"); // a worker ends when this launcher is gone
        if (xla) {
          io.github.tftrain.cli.Xla.enableIn(pb.environment());
        }
        gpuOf(System.getenv("CUDA_VISIBLE_DEVICES"), task, count)
            .ifPresent(gpu -> pb.environment().put("CUDA_VISIBLE_DEVICES", gpu));
        Path log = logDir.resolve("task-" + task + ".log");
        logs.add(log);
        if (task == 0) {
          pb.inheritIO();
        } else {
          pb.redirectErrorStream(true).redirectOutput(log.toFile());
        }
        workers.add(pb.start());
      }
      int chief = workers.get(0).waitFor();
      if (chief != 0) {
        // the chief failed or was interrupted: the others stop too instead of waiting out a collective's timeout
        workers.subList(1, workers.size()).forEach(Process::destroy);
      }
      List<String> failed = new ArrayList<>();
      for (int task = 1; task < count; task++) {
        Process worker = workers.get(task);
        if (!worker.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
          worker.destroyForcibly().waitFor();
        }
        int code = worker.exitValue();
        if (code != 0 && code != 130 && code != 143) {
          failed.add("task " + task + " exited " + code + ": " + lastLines(logs.get(task), 5));
        }
      }
      failed.forEach(line -> err.println("tftrain train: worker " + line));
      if (!failed.isEmpty()) {
        err.println("tftrain train: the workers' logs are in " + logDir);
      }
      err.flush();
      out.flush();
      keepLogs = !failed.isEmpty();
      return chief == 0 && !failed.isEmpty() ? 1 : chief;
    } finally {
      workers.forEach(p -> {
        if (p.isAlive()) {
          p.destroyForcibly();
        }
      });
      Signal.handle(new Signal("INT"), previousInt);
      Signal.handle(new Signal("TERM"), previousTerm);
      if (!keepLogs) {
        for (Path log : logs) {
          Files.deleteIfExists(log);
        }
        Files.deleteIfExists(logDir);
      }
    }
  }

  /**
   * Worker {@code task}'s GPU: the task-th entry of {@code visible} ({@code CUDA_VISIBLE_DEVICES}) when it lists at
   * least {@code count} devices; otherwise empty (the workers share what they see).
   */
  static java.util.Optional<String> gpuOf(String visible, int task, int count) {
    if (visible == null || visible.isBlank()) {
      return java.util.Optional.empty();
    }
    String[] devices = visible.split(",");
    return devices.length >= count ? java.util.Optional.of(devices[task].trim()) : java.util.Optional.empty();
  }

  /** This JVM's command line without {@code --local-workers N}. */
  private static List<String> ownCommandWithoutLocalWorkers() {
    List<String> own = io.github.tftrain.cli.OwnCommand.get();
    List<String> command = new ArrayList<>();
    for (int i = 0; i < own.size(); i++) {
      if (own.get(i).equals("--local-workers")) {
        i++; // and its value
      } else if (!own.get(i).startsWith("--local-workers=")) {
        command.add(own.get(i));
      }
    }
    return command;
  }

  private static String lastLines(Path log, int n) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8).stream()
          .filter(line -> !line.isBlank() && !line.startsWith("I0000") && !line.startsWith("WARNING: All log"))
          .toList();
      return String.join(" | ", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

}
