package io.github.tftrain.trainer;

import io.github.tftrain.distributed.Replicas;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * What the replicas of a data-parallel run agree on besides the optimizers' averages, built into a graph once before
 * its session opens: the chief's variables (after initialisation or a restore), a decision each step (whether any
 * replica was interrupted), and text that only the chief has (its settings, its loop state after a resume). With one
 * replica every method is local and free.
 */
public final class ReplicaSync {
  private static final Set<String> VARIABLE_OPS = Set.of("VariableV2", "Variable");
  /** Bytes of text per broadcast. */
  private static final int CHUNK = 1024;

  private final Replicas replicas;
  private final Op broadcastVariables;
  private final Placeholder<TFloat32> flag;
  private final Operand<TFloat32> flagSum;
  private final Placeholder<TInt32> text;
  private final Placeholder<TInt64> length;
  private final Operand<TInt64> lengthFromChief;
  private final Placeholder<TInt64> textShape;
  private final Operand<TInt32> textFromChief;

  private ReplicaSync(Replicas replicas, Op broadcastVariables, Placeholder<TFloat32> flag, Operand<TFloat32> flagSum,
      Placeholder<TInt32> text, Placeholder<TInt64> length, Operand<TInt64> lengthFromChief,
      Placeholder<TInt64> textShape, Operand<TInt32> textFromChief) {
    this.replicas = replicas;
    this.broadcastVariables = broadcastVariables;
    this.flag = flag;
    this.flagSum = flagSum;
    this.text = text;
    this.length = length;
    this.lengthFromChief = lengthFromChief;
    this.textShape = textShape;
    this.textFromChief = textFromChief;
  }

  /**
   * Builds the agreement ops into {@code graph}, after everything else (every variable of the graph is broadcast).
   * Every replica must call this at the same point of the same graph construction.
   */
  public static ReplicaSync build(Graph graph, Replicas replicas) {
    Ops tf = Ops.create(graph).withSubScope("replica_sync");
    List<Operand<?>> variables = new ArrayList<>();
    for (Iterator<GraphOperation> it = graph.operations(); it.hasNext(); ) {
      GraphOperation op = it.next();
      if (VARIABLE_OPS.contains(op.type())) {
        variables.add(op.output(0));
      }
    }
    Op broadcast = replicas.broadcastFromChief(tf, variables);
    Placeholder<TFloat32> flag = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
    Operand<TFloat32> sum = replicas.allReduceSum(tf, flag);
    Placeholder<TInt64> length = tf.placeholder(TInt64.class, Placeholder.shape(Shape.scalar()));
    Operand<TInt64> lengthFromChief = replicas.broadcast(tf, length, tf.constant(new long[0]));
    // Text travels in chunks of a fixed size: TensorFlow fixes a collective instance's shape at its first run, so
    // one broadcast op cannot carry texts of different lengths.
    Placeholder<TInt32> text = tf.placeholder(TInt32.class, Placeholder.shape(Shape.of(CHUNK)));
    Placeholder<TInt64> textShape = tf.placeholder(TInt64.class, Placeholder.shape(Shape.of(1)));
    Operand<TInt32> textFromChief = replicas.broadcast(tf, text, tf.constant(new long[] {CHUNK}));
    return new ReplicaSync(replicas, broadcast, flag, sum, text, length, lengthFromChief, textShape, textFromChief);
  }

  /** The replicas this agrees between. */
  public Replicas replicas() {
    return replicas;
  }

  /** Gives every replica the chief's variables (run after the chief initialised or restored them). */
  public void broadcastVariables(Session session) {
    if (replicas.isDistributed()) {
      session.run(broadcastVariables);
    }
  }

  /** Whether any replica says yes: one collective, so that all of them take the same decision at the same step. */
  public boolean any(Session session, boolean local) {
    if (!replicas.isDistributed()) {
      return local;
    }
    try (TFloat32 value = TFloat32.scalarOf(local ? 1f : 0f);
        var result = session.runner().feed(flag, value).fetch(flagSum).run()) {
      return ((TFloat32) result.get(0)).getFloat() > 0;
    }
  }

  /** The chief's {@code value} on every replica ({@code value} is ignored on the others). */
  public String fromChief(Session session, String value) {
    if (!replicas.isDistributed()) {
      return value;
    }
    int[] codes = replicas.isChief() ? toInts(value.getBytes(StandardCharsets.UTF_8)) : new int[0];
    long n;
    try (TInt64 chiefLength = TInt64.scalarOf(codes.length);
        var result = session.runner().feed(length, chiefLength).fetch(lengthFromChief).run()) {
      n = ((TInt64) result.get(0)).getObject();
    }
    byte[] bytes = new byte[(int) n];
    for (int from = 0; from < n; from += CHUNK) {
      int[] chunk = new int[CHUNK];
      if (replicas.isChief()) {
        System.arraycopy(codes, from, chunk, 0, (int) Math.min(CHUNK, n - from));
      }
      try (TInt32 data = TInt32.vectorOf(chunk);
          TInt64 shape = TInt64.vectorOf(CHUNK);
          var result = session.runner().feed(text, data).feed(textShape, shape).fetch(textFromChief).run()) {
        TInt32 received = (TInt32) result.get(0);
        for (int i = 0; i < CHUNK && from + i < n; i++) {
          bytes[from + i] = (byte) received.getInt(i);
        }
      }
    }
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private static int[] toInts(byte[] bytes) {
    int[] out = new int[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      out[i] = bytes[i];
    }
    return out;
  }
}
