package io.github.tftrain.cli;

import io.github.tftrain.distributed.Cluster;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * Where a run's processes are, declared once for {@code train} ({@code @Mixin ClusterOptions}): one process (the
 * default), one worker of a cluster ({@code --workers} and {@code --task}, every worker given the same flags), or
 * {@code --local-workers N} processes started on this machine. Not a setting of the run: a run may be resumed on
 * another cluster, and the same global batch gives the same steps.
 */
public final class ClusterOptions {
  /** Seconds a collective waits for the other workers, unless {@code --collective-timeout} says otherwise. */
  public static final double DEFAULT_TIMEOUT_SECONDS = 120;

  @Option(names = "--workers", split = ",", paramLabel = "HOST:PORT",
      description = "Data-parallel training: every worker's HOST:PORT, comma separated, the same list and flags on "
          + "every worker; task 0 (the chief) writes the run directory. The global --batch-size is split evenly.")
  private List<String> workers;

  @Option(names = "--task", paramLabel = "I", description = "This worker's index in --workers (0: the chief).")
  private Integer task;

  @Option(names = "--local-workers", paramLabel = "N",
      description = "Start N worker processes on this machine (loopback ports) and train data-parallel with them; "
          + "one progress line for the whole run.")
  private Integer localWorkers;

  @Option(names = "--collective-timeout", paramLabel = "SECONDS",
      description = "How long a worker waits for the others in a collective before it stops, naming the lost "
          + "worker (default 120).")
  private Double timeoutSeconds;

  @Option(names = "--collective-communication", paramLabel = "auto|ring|nccl",
      description = "How the workers' all-reduces travel: auto (TensorFlow chooses; default), ring (gRPC ring) or "
          + "nccl (GPUs).")
  private String communication;

  /** The collectives' communication hint. */
  public String communication() {
    String value = communication == null ? "auto" : communication;
    if (!java.util.Set.of("auto", "ring", "nccl").contains(value)) {
      throw new IllegalArgumentException("--collective-communication must be auto, ring or nccl, got '" + value + "'");
    }
    return value;
  }

  /**
   * The cluster this process is a worker of, or empty for one process.
   *
   * @throws IllegalArgumentException for --task without --workers (or the reverse), or a bad address or task
   */
  public Optional<Cluster> cluster() {
    if (workers == null) {
      if (task != null) {
        throw new IllegalArgumentException("--task needs --workers (the cluster's HOST:PORT list)");
      }
      return Optional.empty();
    }
    if (localWorkers != null) {
      throw new IllegalArgumentException("give --workers and --task, or --local-workers, not both");
    }
    if (task == null) {
      throw new IllegalArgumentException("--workers needs --task I (this worker's index in the list)");
    }
    return Optional.of(Cluster.of(workers.stream().map(String::trim).toList(), task));
  }

  /** The worker processes to start on this machine; 1 when not asked for. */
  public int localWorkers() {
    if (localWorkers == null) {
      return 1;
    }
    if (localWorkers < 1 || localWorkers > 64) {
      throw new IllegalArgumentException("--local-workers must be in [1, 64], got " + localWorkers);
    }
    return localWorkers;
  }

  /** Seconds a collective waits. */
  public double timeoutSeconds() {
    double value = timeoutSeconds == null ? DEFAULT_TIMEOUT_SECONDS : timeoutSeconds;
    if (!(value > 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException("--collective-timeout must be a finite number of seconds > 0, got " + value);
    }
    return value;
  }
}
