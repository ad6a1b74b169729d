package io.github.tftrain.distributed;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.types.family.TType;

/**
 * The replica context of synchronous data parallelism: this process is replica {@code rank} of {@code size}, each
 * running the same graph on its own slice of every global batch, and collective ops (TensorFlow's
 * {@code CollectiveReduceV2}, {@code CollectiveBcastSendV2}/{@code RecvV2}) make them agree: gradients and loss
 * statistics are averaged over the replicas before any optimizer uses them, and variables start from the chief's
 * (replica 0's) values. With {@link #single()} every method returns its input: code written for replicas runs
 * unchanged in one process.
 *
 * <p>Collectives are matched between processes by their instance key. Every process builds the same graph in the
 * same order, so the key of a collective is its position among the graph's collectives: no key is written anywhere
 * and no state is kept here (a {@code Replicas} is immutable).
 *
 * <p>Every collective has a timeout: when another replica dies or hangs, the step fails after
 * {@link #timeoutSeconds()} instead of waiting forever.
 *
 * <p>Equations (size N, replica r's slice of the global batch of N·B examples, per-example losses l):
 *
 * <pre>
 *   g      = (1/N) Σ_r g_r            the mean gradient, equal to the gradient of the global batch's mean loss
 *   L      = (1/N) Σ_r L_r            the global batch's mean loss
 *   E[l²]  = (1/N) Σ_r E_r[l²]        the global batch's second moment (KaFiStO's measurement noise, eq. 23)
 * </pre>
 *
 * (exact when every replica has B examples, which the trainer guarantees).
 */
public final class Replicas {
  /** The op types that are collectives (their count in the graph gives the next instance key). */
  private static final Set<String> COLLECTIVES =
      Set.of("CollectiveReduceV2", "CollectiveBcastSendV2", "CollectiveBcastRecvV2");

  private final int size;
  private final int rank;
  private final int groupKey;
  private final float timeoutSeconds;
  private final String communication;

  private Replicas(int size, int rank, int groupKey, float timeoutSeconds, String communication) {
    if (size < 1) {
      throw new IllegalArgumentException("replicas: size must be >= 1, got " + size);
    }
    if (rank < 0 || rank >= size) {
      throw new IllegalArgumentException("replicas: rank must be in [0, " + size + "), got " + rank);
    }
    if (!(timeoutSeconds > 0) || Float.isInfinite(timeoutSeconds)) {
      throw new IllegalArgumentException("replicas: timeoutSeconds must be a finite number > 0, got "
          + timeoutSeconds);
    }
    if (!Set.of("auto", "ring", "nccl").contains(communication)) {
      throw new IllegalArgumentException("replicas: communication must be auto, ring or nccl, got '"
          + communication + "'");
    }
    this.size = size;
    this.rank = rank;
    this.groupKey = groupKey;
    this.timeoutSeconds = timeoutSeconds;
    this.communication = communication;
  }

  /** One process: nothing to agree with; every method returns its input. */
  public static Replicas single() {
    return new Replicas(1, 0, 1, 60f, "auto");
  }

  /**
   * Replica {@code rank} of {@code size}.
   *
   * @param size the number of replicas (processes), ≥ 1
   * @param rank this process's index, 0 (the chief) to size − 1
   * @param timeoutSeconds how long a collective waits for the other replicas before the step fails
   * @throws IllegalArgumentException for a size below 1, a rank outside [0, size) or a timeout that is not > 0
   */
  public static Replicas of(int size, int rank, double timeoutSeconds) {
    return new Replicas(size, rank, 1, (float) timeoutSeconds, "auto");
  }

  /**
   * The same replicas in another collective group: collectives of separate graphs that run at the same time (a
   * handshake before the training graph exists) must not share a group's instance keys.
   */
  public Replicas withGroupKey(int key) {
    return new Replicas(size, rank, key, timeoutSeconds, communication);
  }

  /**
   * The same replicas with TensorFlow's communication hint for the collectives: {@code auto} (default), {@code ring}
   * (gRPC ring on CPUs) or {@code nccl} (GPUs).
   */
  public Replicas withCommunication(String hint) {
    return new Replicas(size, rank, groupKey, timeoutSeconds, hint);
  }

  /** The number of replicas. */
  public int size() {
    return size;
  }

  /** This replica's index; 0 is the chief. */
  public int rank() {
    return rank;
  }

  /** Whether this is replica 0, which owns the run's outputs and whose variables the others start from. */
  public boolean isChief() {
    return rank == 0;
  }

  /** How long a collective waits for the other replicas. */
  public float timeoutSeconds() {
    return timeoutSeconds;
  }

  /** Whether there is more than one replica (otherwise no collective is built). */
  public boolean isDistributed() {
    return size > 1;
  }

  /**
   * The mean of {@code value} over the replicas; every replica gets the same bits.
   *
   * @param tf ops to build with (its scope's name, device and control dependencies apply)
   * @param value a floating-point or integer tensor of the same shape on every replica
   */
  public <T extends TType> Operand<T> allReduceMean(Ops tf, Operand<T> value) {
    return allReduce(tf, value, "Div");
  }

  /** The sum of {@code value} over the replicas; every replica gets the same bits. */
  public <T extends TType> Operand<T> allReduceSum(Ops tf, Operand<T> value) {
    return allReduce(tf, value, "Id");
  }

  private <T extends TType> Operand<T> allReduce(Ops tf, Operand<T> value, String finalOp) {
    if (!isDistributed()) {
      return value;
    }
    int instanceKey = nextInstanceKey(tf);
    Operation op = tf.scope().opBuilder("CollectiveReduceV2", "CollectiveReduceV2")
        .addInput(value.asOutput())
        .addInput(tf.constant(size).asOutput())
        .addInput(tf.constant(groupKey).asOutput())
        .addInput(tf.constant(instanceKey).asOutput())
        .addInputList(new Output<?>[0])
        .setAttr("merge_op", "Add")
        .setAttr("final_op", finalOp)
        .setAttr("communication_hint", communication)
        .setAttr("timeout_seconds", timeoutSeconds)
        .build();
    return op.output(0);
  }

  /**
   * The mean over the replicas of each tensor, in as few collectives as there are dtypes: the tensors of one dtype are
   * flattened into one vector, reduced together and split back (one round of latency instead of one per tensor).
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public List<Operand<? extends TType>> allReduceMean(Ops tf, List<? extends Operand<? extends TType>> values) {
    if (!isDistributed() || values.isEmpty()) {
      return new ArrayList<>(values);
    }
    Map<Class<?>, List<Integer>> byType = new LinkedHashMap<>();
    for (int i = 0; i < values.size(); i++) {
      byType.computeIfAbsent(values.get(i).type(), t -> new ArrayList<>()).add(i);
    }
    Operand<? extends TType>[] reduced = new Operand[values.size()];
    for (List<Integer> indices : byType.values()) {
      List<Operand<?>> flat = new ArrayList<>();
      List<Long> sizes = new ArrayList<>();
      for (int i : indices) {
        Operand<?> value = values.get(i);
        Shape shape = value.shape();
        if (shape.isUnknown() || shape.hasUnknownDimension()) {
          throw new IllegalArgumentException("allReduceMean: '" + value.op().name() + "' has shape " + shape
              + "; packed reduction needs fully known shapes");
        }
        sizes.add(shape.size());
        flat.add(tf.reshape((Operand) value, tf.constant(new long[] {shape.size()})));
      }
      Operand packed = flat.size() == 1 ? (Operand) flat.get(0) : tf.concat((Iterable) flat, tf.constant(0));
      Operand mean = allReduceMean(tf, packed);
      long[] splitSizes = sizes.stream().mapToLong(Long::longValue).toArray();
      List<Operand<?>> parts = indices.size() == 1 ? List.of(mean)
          : new ArrayList<>(tf.splitV(mean, tf.constant(splitSizes), tf.constant(0), (long) splitSizes.length).output());
      for (int k = 0; k < indices.size(); k++) {
        Operand<?> value = values.get(indices.get(k));
        reduced[indices.get(k)] = tf.reshape((Operand) parts.get(k), tf.constant(value.shape().asArray()));
      }
    }
    return List.of(reduced);
  }

  /**
   * An op that gives every replica the chief's values of {@code variables} (variables, or the outputs of variable ops
   * of a graph): the chief sends, the others receive and assign. Run it once after the variables are initialised or restored (on the chief); it returns when every replica
   * has run it.
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public Op broadcastFromChief(Ops tf, List<? extends Operand<?>> variables) {
    List<Op> done = new ArrayList<>();
    if (!isDistributed()) {
      return tf.noOp();
    }
    for (Operand<?> variable : variables) {
      int instanceKey = nextInstanceKey(tf);
      Shape shape = variable.shape();
      if (isChief()) {
        Operation send = tf.scope().opBuilder("CollectiveBcastSendV2", "CollectiveBcastSendV2")
            .addInput(tf.identity((Operand) variable).asOutput())
            .addInput(tf.constant(size).asOutput())
            .addInput(tf.constant(groupKey).asOutput())
            .addInput(tf.constant(instanceKey).asOutput())
            .setAttr("communication_hint", communication)
            .setAttr("timeout_seconds", timeoutSeconds)
            .build();
        done.add(tf.identity((Operand) send.output(0)));
      } else {
        Operation receive = tf.scope().opBuilder("CollectiveBcastRecvV2", "CollectiveBcastRecvV2")
            .addInput(tf.constant(size).asOutput())
            .addInput(tf.constant(groupKey).asOutput())
            .addInput(tf.constant(instanceKey).asOutput())
            .addInput(tf.constant(shape.asArray()).asOutput())
            .setAttr("T", tf.identity((Operand) variable).asOutput().dataType()) // not the ref type of VariableV2
            .setAttr("Tshape", org.tensorflow.proto.DataType.DT_INT64)
            .setAttr("communication_hint", communication)
            .setAttr("timeout_seconds", timeoutSeconds)
            .build();
        done.add(tf.assign((Operand) variable, (Operand) receive.output(0)));
      }
    }
    return tf.withControlDependencies(done).noOp();
  }

  /**
   * The chief's {@code value} on every replica: the chief sends it (and gets it back), the others receive a tensor of
   * {@code shape} (which may be fed at run time, for data whose size only the chief knows).
   *
   * @param value the chief's tensor; ignored on the other replicas (any tensor of the type, e.g. a placeholder)
   * @param shape the value's shape as an int64 vector, on every replica
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public <T extends TType> Operand<T> broadcast(Ops tf, Operand<T> value, Operand<org.tensorflow.types.TInt64> shape) {
    if (!isDistributed()) {
      return value;
    }
    int instanceKey = nextInstanceKey(tf);
    if (isChief()) {
      Operation send = tf.scope().opBuilder("CollectiveBcastSendV2", "CollectiveBcastSendV2")
          .addInput(value.asOutput())
          .addInput(tf.constant(size).asOutput())
          .addInput(tf.constant(groupKey).asOutput())
          .addInput(tf.constant(instanceKey).asOutput())
          .setAttr("communication_hint", communication)
          .setAttr("timeout_seconds", timeoutSeconds)
          .build();
      return (Operand<T>) send.output(0);
    }
    Operation receive = tf.scope().opBuilder("CollectiveBcastRecvV2", "CollectiveBcastRecvV2")
        .addInput(tf.constant(size).asOutput())
        .addInput(tf.constant(groupKey).asOutput())
        .addInput(tf.constant(instanceKey).asOutput())
        .addInput(shape.asOutput())
        .setAttr("T", value.asOutput().dataType())
        .setAttr("Tshape", org.tensorflow.proto.DataType.DT_INT64)
        .setAttr("communication_hint", communication)
        .setAttr("timeout_seconds", timeoutSeconds)
        .build();
    return (Operand<T>) receive.output(0);
  }

  /** The next collective's instance key: one more than the collectives already in the graph. */
  private static int nextInstanceKey(Ops tf) {
    if (!(tf.scope().env() instanceof Graph graph)) {
      throw new IllegalStateException("collectives are built in a Graph");
    }
    int count = 0;
    for (Iterator<GraphOperation> it = graph.operations(); it.hasNext(); ) {
      if (COLLECTIVES.contains(it.next().type())) {
        count++;
      }
    }
    return count + 1;
  }

  @Override
  public String toString() {
    return isDistributed() ? "replica " + rank + " of " + size : "single process";
  }
}
