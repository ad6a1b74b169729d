package io.github.tftrain.cli.runs;

import io.github.tftrain.cli.settings.TrainConfig;
import io.github.tftrain.distributed.Cluster;
import io.github.tftrain.distributed.Replicas;
import io.github.tftrain.trainer.Json;
import io.github.tftrain.trainer.ReplicaSync;
import io.github.tftrain.trainer.RunFailedException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.Graph;
import org.tensorflow.Server;
import org.tensorflow.Session;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.proto.ConfigProto;

/**
 * One worker of a data-parallel run: its gRPC server, the agreement on the run's settings before any graph is built,
 * and failures of the other workers in one line that names them.
 */
public final class ClusterRun {
  /** Settings that may differ between workers: where each finds the data, and where the preset file was. */
  private static final Set<String> LOCAL_KEYS = Set.of("data", "preset");

  private final Cluster cluster;
  private final Replicas replicas;
  @SuppressWarnings("unused") // TensorFlow cannot stop a server: it serves until this process ends
  private final Server server;

  private ClusterRun(Cluster cluster, Replicas replicas, Server server) {
    this.cluster = cluster;
    this.replicas = replicas;
    this.server = server;
  }

  /**
   * Starts this worker's server.
   *
   * @param communication the collectives' hint: auto, ring or nccl
   * @throws IllegalArgumentException when its port cannot be used
   */
  public static ClusterRun start(Cluster cluster, double timeoutSeconds, String communication) {
    try {
      return new ClusterRun(cluster, cluster.replicas(timeoutSeconds).withCommunication(communication),
          cluster.startServer(ConfigProto.getDefaultInstance()));
    } catch (TensorFlowException e) {
      throw new IllegalArgumentException("--workers: task " + cluster.task() + " cannot listen on "
          + cluster.addresses().get(cluster.task()) + " (is the port in use?): " + firstLine(e), e);
    }
  }

  /** The cluster. */
  public Cluster cluster() {
    return cluster;
  }

  /** This worker's replica context. */
  public Replicas replicas() {
    return replicas;
  }

  /** Whether this is the chief (task 0). */
  public boolean isChief() {
    return cluster.task() == 0;
  }

  /**
   * Agrees on the run's settings before anything is built: the chief's are every worker's. A worker whose own
   * settings ({@code own}, resolved from the same flags) differ from the chief's in anything but the data folder
   * refuses, naming the setting, and the chief refuses with it; on a resume the others take the chief's settings
   * (only the chief has the run directory).
   *
   * @param own this worker's resolved settings, or null when it resumes (it has no run directory to read them from)
   * @throws IllegalArgumentException when a worker refuses
   */
  public TrainConfig agree(TrainConfig own, boolean resume) {
    if (isChief() && own == null) {
      throw new IllegalStateException("the chief needs its settings");
    }
    Map<String, Object> mine = new LinkedHashMap<>();
    if (isChief()) {
      mine.put("train", own.toMap());
      mine.put("resume", resume);
    }
    Map<String, Object> chiefs = consensus(2, "chief's settings", mine, theirs -> {
      if (isChief()) {
        return null;
      }
      if (!Boolean.valueOf(resume).equals(theirs.get("resume"))) {
        return resume ? "this worker resumes but the chief starts a new run"
            : "the chief resumes its run but this worker was not given --resume";
      }
      @SuppressWarnings("unchecked")
      TrainConfig chief = TrainConfig.fromMap((Map<String, Object>) theirs.get("train"));
      if (own == null && chief.xla() && !io.github.tftrain.cli.Xla.enabled()) {
        // a resuming worker learns of --xla only now: XLA is switched on before TensorFlow loads, and this worker's
        // server already holds its port (a new run's worker relaunched itself from its own --xla before it started)
        return "the run uses --xla but this worker runs without it; start it with TF_XLA_FLAGS=\""
            + io.github.tftrain.cli.Xla.FLAGS + "\"";
      }
      return own == null ? null : difference(chief, own);
    }, "give every worker the same flags");
    if (own != null) {
      return own;
    }
    @SuppressWarnings("unchecked")
    TrainConfig chief = TrainConfig.fromMap((Map<String, Object>) chiefs.get("train"));
    return chief;
  }

  /**
   * Agrees that every worker read the same data: {@code description} (the job's facts about its data, checksums
   * included, and its steps per epoch) must equal the chief's. Every worker calls this once, after reading its data and
   * before anything is written.
   *
   * @param problem what this worker already found wrong with its data (the chief: not the data its run was trained
   *     on), or null; it refuses with it, and so do the others
   * @throws IllegalArgumentException when a worker's data differs, naming the fact, or a worker had a problem
   */
  public void agreeOnData(Map<String, Object> description, String problem) {
    // through JSON, as the chief's arrives: a number compares by its text, not by its Java type
    Map<String, Object> mine = Json.parseObject(Json.write(description));
    consensus(3, "data", mine, chiefs -> {
      if (problem != null) {
        return problem;
      }
      for (Map.Entry<String, Object> fact : chiefs.entrySet()) {
        Object own = mine.get(fact.getKey());
        if (!java.util.Objects.equals(fact.getValue(), own)) { // maps compare by content, in any order
          return "its data's " + fact.getKey() + " is " + own + " but the chief's is " + fact.getValue();
        }
      }
      return null;
    }, "every worker must read the run's dataset (is --data a full, unchanged copy on every machine?)");
  }

  /**
   * The chief's {@code mine} on every worker, after each worker checked it with {@code refusalOf} (a sentence, or null
   * to accept; the chief checks its own, which its own problems aside it accepts): when any worker refuses, every
   * worker throws, the refusing one with its reason. Runs in a graph and session of its own, on collective group
   * {@code groupKey}.
   *
   * @param what what is agreed on, for the message of the workers that did not refuse
   */
  private Map<String, Object> consensus(int groupKey, String what, Map<String, Object> mine,
      java.util.function.Function<Map<String, Object>, String> refusalOf, String advice) {
    try (Graph graph = new Graph()) {
      ReplicaSync sync = ReplicaSync.build(graph, replicas.withGroupKey(groupKey));
      try (Session session = cluster.openSession(graph, ConfigProto.getDefaultInstance())) {
        Map<String, Object> chiefs = Json.parseObject(sync.fromChief(session, Json.write(mine)));
        String refusal = refusalOf.apply(chiefs);
        boolean anyRefused = sync.any(session, refusal != null);
        if (refusal != null) {
          throw new IllegalArgumentException("task " + cluster.task() + ": " + refusal + "; " + advice);
        }
        if (anyRefused) {
          throw new IllegalArgumentException("a worker refused the " + what + " (its message says which); " + advice);
        }
        return chiefs;
      }
    } catch (TensorFlowException e) {
      throw new RunFailedException(lost(e));
    }
  }

  /** The first setting in which {@code own} differs from the chief's, as a sentence; null when none does. */
  static String difference(TrainConfig chief, TrainConfig own) {
    Map<String, Object> a = chief.toMap();
    Map<String, Object> b = own.toMap();
    List<String> keys = new ArrayList<>(a.keySet());
    b.keySet().stream().filter(k -> !a.containsKey(k)).forEach(keys::add);
    for (String key : keys) {
      if (!LOCAL_KEYS.contains(key) && !String.valueOf(a.get(key)).equals(String.valueOf(b.get(key)))) {
        return "its " + key + " is " + b.get(key) + " but the chief's is " + a.get(key);
      }
    }
    return null;
  }

  /**
   * One line for a collective that failed: which workers cannot be reached (ended or unreachable), or that they are
   * reachable but did not answer in time.
   */
  public String lost(TensorFlowException e) {
    List<String> unreachable = new ArrayList<>();
    for (int task = 0; task < cluster.size(); task++) {
      if (task == cluster.task()) {
        continue;
      }
      String address = cluster.addresses().get(task);
      int colon = address.lastIndexOf(':');
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(address.substring(0, colon),
            Integer.parseInt(address.substring(colon + 1))), 2000);
      } catch (IOException | RuntimeException refused) {
        unreachable.add("task " + task + " (" + address + ")");
      }
    }
    String who = unreachable.isEmpty()
        ? "a worker did not answer within " + (int) replicas.timeoutSeconds() + " s (every worker's port answers)"
        : "lost worker " + String.join(", ", unreachable);
    return who + "; the chief's last checkpoint is intact (--resume on every worker continues): " + firstLine(e);
  }

  /** The status line of TensorFlow's message (not its "From /job:..." origin line). */
  private static String firstLine(Exception e) {
    String message = String.valueOf(e.getMessage());
    return message.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("From /job:")).findFirst()
        .orElse(message.strip());
  }

  /** Whether a TensorFlow failure is a collective's: a worker gone, unreachable or too slow. */
  public static boolean isCollectiveFailure(TensorFlowException e) {
    String message = String.valueOf(e.getMessage());
    return message.contains("Collective") || message.contains("DEADLINE_EXCEEDED") || message.contains("UNAVAILABLE")
        || message.contains("Socket closed");
  }
}
