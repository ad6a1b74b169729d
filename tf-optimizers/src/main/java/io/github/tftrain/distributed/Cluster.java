package io.github.tftrain.distributed;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Server;
import org.tensorflow.Session;
import org.tensorflow.TargetSessions;
import org.tensorflow.proto.ClusterDef;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.JobDef;
import org.tensorflow.proto.ServerDef;

/**
 * A cluster of worker processes, one TensorFlow gRPC server each (job {@code worker}, task i at
 * {@code addresses[i]}), and this process's place in it. Every worker is given the same address list and its own task
 * index; task 0 is the chief and leads the collective group.
 *
 * <p>Use: {@link #startServer} once per process (TensorFlow cannot stop a server: it ends with the process), then
 * {@link #openSession} for the graph instead of {@code new Session(graph)}, and {@link #replicas} for the optimizers
 * (and batch norm) of that graph.
 */
public final class Cluster {
  private final List<String> addresses;
  private final int task;

  private Cluster(List<String> addresses, int task) {
    this.addresses = List.copyOf(addresses);
    this.task = task;
  }

  /**
   * A cluster of the given workers, seen from task {@code task}.
   *
   * @param addresses every worker's {@code host:port}, in task order
   * @param task this process's index in {@code addresses}
   * @throws IllegalArgumentException for an empty list, an address that is not host:port with a port in 1..65535, a
   *     repeated address, or a task outside the list
   */
  public static Cluster of(List<String> addresses, int task) {
    if (addresses.isEmpty()) {
      throw new IllegalArgumentException("--workers: no worker addresses");
    }
    List<String> seen = new ArrayList<>();
    for (String address : addresses) {
      int colon = address.lastIndexOf(':');
      int port;
      try {
        port = colon > 0 ? Integer.parseInt(address.substring(colon + 1)) : -1;
      } catch (NumberFormatException e) {
        port = -1;
      }
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("--workers: '" + address + "' is not HOST:PORT (port 1-65535)");
      }
      if (seen.contains(address)) {
        throw new IllegalArgumentException("--workers: " + address + " is listed twice");
      }
      seen.add(address);
    }
    if (task < 0 || task >= addresses.size()) {
      throw new IllegalArgumentException("--task must be in [0, " + addresses.size() + ") for " + addresses.size()
          + " workers, got " + task);
    }
    return new Cluster(addresses, task);
  }

  /**
   * {@code n} addresses {@code localhost:PORT} with ports free now (bound and released; the workers bind them a
   * moment later): a cluster on this machine.
   */
  public static List<String> loopback(int n) throws java.io.IOException {
    List<java.net.ServerSocket> sockets = new ArrayList<>();
    List<String> addresses = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        java.net.ServerSocket socket = new java.net.ServerSocket(0);
        sockets.add(socket);
        addresses.add("localhost:" + socket.getLocalPort());
      }
    } finally {
      for (java.net.ServerSocket socket : sockets) {
        socket.close();
      }
    }
    return addresses;
  }

  /** Every worker's address, in task order. */
  public List<String> addresses() {
    return addresses;
  }

  /** This process's task index. */
  public int task() {
    return task;
  }

  /** The number of workers. */
  public int size() {
    return addresses.size();
  }

  /** This worker's port. */
  public int port() {
    String own = addresses.get(task);
    return Integer.parseInt(own.substring(own.lastIndexOf(':') + 1));
  }

  /** The replica context of this cluster's workers, with collectives that time out after {@code timeoutSeconds}. */
  public Replicas replicas(double timeoutSeconds) {
    return Replicas.of(size(), task, timeoutSeconds);
  }

  /**
   * The session configuration for this worker: {@code base} with the device filter that keeps this worker's graph on
   * its own devices and the chief as the collective group's leader.
   */
  public ConfigProto sessionConfig(ConfigProto base) {
    ConfigProto.Experimental experimental = base.getExperimental().toBuilder()
        .setCollectiveGroupLeader("/job:worker/replica:0/task:0")
        .build();
    return base.toBuilder()
        .clearDeviceFilters()
        .addDeviceFilters("/job:worker/task:" + task)
        .setExperimental(experimental)
        .build();
  }

  /**
   * Starts this worker's gRPC server (it listens on its port until the process ends).
   *
   * @param base the session configuration the server's sessions default to ({@link #sessionConfig} is applied)
   * @throws org.tensorflow.exceptions.TensorFlowException if the server cannot start, e.g. its port is in use
   */
  public Server startServer(ConfigProto base) {
    JobDef.Builder job = JobDef.newBuilder().setName("worker");
    for (int i = 0; i < addresses.size(); i++) {
      job.putTasks(i, addresses.get(i));
    }
    ServerDef def = ServerDef.newBuilder()
        .setCluster(ClusterDef.newBuilder().addJob(job))
        .setJobName("worker")
        .setTaskIndex(task)
        .setProtocol("grpc")
        .setDefaultSessionConfig(sessionConfig(base))
        .build();
    Server server = new Server(def);
    server.start();
    return server;
  }

  /** A session on {@code graph} that runs through this worker's server (so its collectives reach the others). */
  public Session openSession(Graph graph, ConfigProto base) {
    return TargetSessions.open(graph, "grpc://localhost:" + port(), sessionConfig(base));
  }

  @Override
  public String toString() {
    return "task " + task + " of " + String.join(",", addresses);
  }
}
