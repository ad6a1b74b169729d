package io.github.tftrain.distributed;

import io.github.tftrain.optimizers.LossAwareOptimizer;
import io.github.tftrain.optimizers.Optimizers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;

/**
 * A small MLP (8 → 16 ReLU → 3, per-example softmax cross-entropy) trained on seeded synthetic batches, once as one
 * process on the global batch and once as replicas, each on its slice of the same global batch. The replicas start
 * from different weights (seeded by rank) that {@link Replicas#broadcastFromChief} replaces by the chief's, so equal
 * results also show the broadcast worked. {@link #main} is one replica (a child JVM of {@code ReplicasTest}).
 */
final class ReplicaTraining {
  static final int FEATURES = 8;
  static final int HIDDEN = 16;
  static final int CLASSES = 3;

  /** One step's global loss (mean over the global batch), global gradient norm, and the final weights. */
  record Result(List<double[]> steps, float[] weights) {}

  private ReplicaTraining() {}

  /**
   * Trains {@code steps} steps of global batch {@code globalBatch}; this process sees rows [rank·B, (rank+1)·B) of
   * each, B = globalBatch / size.
   */
  static Result train(Replicas replicas, Cluster cluster, String optimizer, Map<String, String> settings, int steps,
      int globalBatch) {
    int rows = globalBatch / replicas.size();
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(rows, FEATURES)));
      Placeholder<TFloat32> y = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(rows, CLASSES)));
      Random init = new Random(replicas.isChief() ? 1 : 1000 + replicas.rank());
      Variable<TFloat32> w1 = tf.withName("w1").variable(tf.constant(randomMatrix(init, FEATURES, HIDDEN, 0.5f)));
      Variable<TFloat32> b1 = tf.withName("b1").variable(tf.constant(randomVector(init, HIDDEN, 0.1f)));
      Variable<TFloat32> w2 = tf.withName("w2").variable(tf.constant(randomMatrix(init, HIDDEN, CLASSES, 0.5f)));
      Variable<TFloat32> b2 = tf.withName("b2").variable(tf.constant(randomVector(init, CLASSES, 0.1f)));
      List<Variable<TFloat32>> variables = List.of(w1, b1, w2, b2);
      Operand<TFloat32> hidden = tf.nn.relu(tf.math.add(tf.linalg.matMul(x, tf.identity(w1)), tf.identity(b1)));
      Operand<TFloat32> logits = tf.math.add(tf.linalg.matMul(hidden, tf.identity(w2)), tf.identity(b2));
      Operand<TFloat32> losses = tf.math.neg(tf.reduceSum(tf.math.mul(y, tf.nn.logSoftmax(logits)), tf.constant(1)));
      var builder = Optimizers.builder(optimizer).replicas(replicas);
      settings.forEach(builder::set);
      LossAwareOptimizer opt = builder.build(g);
      Op train = opt.minimize(losses);
      Operand<TFloat64> gradNorm = opt.gradientNorm();
      Operand<TFloat32> globalLoss = replicas.allReduceMean(tf, tf.math.mean(losses, tf.constant(0)));
      Op broadcast = replicas.broadcastFromChief(tf, variables);
      List<double[]> records = new ArrayList<>();
      try (Session s = cluster == null ? new Session(g) : cluster.openSession(g, ConfigProto.getDefaultInstance())) {
        s.initialize();
        s.run(broadcast);
        Random data = new Random(42);
        for (int step = 0; step < steps; step++) {
          float[][] gx = randomMatrixRows(data, globalBatch, FEATURES);
          float[][] gy = new float[globalBatch][CLASSES];
          for (int i = 0; i < globalBatch; i++) {
            gy[i][data.nextInt(CLASSES)] = 1f;
          }
          float[][] sx = java.util.Arrays.copyOfRange(gx, replicas.rank() * rows, (replicas.rank() + 1) * rows);
          float[][] sy = java.util.Arrays.copyOfRange(gy, replicas.rank() * rows, (replicas.rank() + 1) * rows);
          try (TFloat32 xt = TFloat32.tensorOf(StdArrays.ndCopyOf(sx));
              TFloat32 yt = TFloat32.tensorOf(StdArrays.ndCopyOf(sy));
              var r = s.runner().feed(x, xt).feed(y, yt).fetch(globalLoss).fetch(gradNorm).addTarget(train).run()) {
            records.add(new double[] {((TFloat32) r.get(0)).getFloat(), ((TFloat64) r.get(1)).getDouble()});
          }
        }
        List<Float> weights = new ArrayList<>();
        for (Variable<TFloat32> v : variables) {
          try (var r = s.runner().fetch(tf.identity(v)).run()) {
            TFloat32 t = (TFloat32) r.get(0);
            t.scalars().forEach(f -> weights.add(f.getFloat()));
          }
        }
        float[] flat = new float[weights.size()];
        for (int i = 0; i < flat.length; i++) {
          flat[i] = weights.get(i);
        }
        return new Result(records, flat);
      }
    }
  }

  private static float[][] randomMatrix(Random r, int rows, int cols, float scale) {
    float[][] m = new float[rows][cols];
    for (float[] row : m) {
      for (int j = 0; j < cols; j++) {
        row[j] = (float) r.nextGaussian() * scale;
      }
    }
    return m;
  }

  private static float[][] randomMatrixRows(Random r, int rows, int cols) {
    return randomMatrix(r, rows, cols, 1f);
  }

  private static float[] randomVector(Random r, int n, float scale) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian() * scale;
    }
    return v;
  }

  /** Writes a result as text: one line per step (loss, gradient norm), then one line of weights. */
  static void write(Result result, Path file) throws IOException {
    StringBuilder text = new StringBuilder();
    for (double[] step : result.steps()) {
      text.append(step[0]).append(' ').append(step[1]).append('\n');
    }
    for (float w : result.weights()) {
      text.append(w).append(' ');
    }
    Files.writeString(file, text.append('\n').toString(), StandardCharsets.UTF_8);
  }

  /** Reads {@link #write}'s text. */
  static Result read(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    List<double[]> steps = new ArrayList<>();
    for (String line : lines.subList(0, lines.size() - 1)) {
      String[] parts = line.trim().split(" ");
      steps.add(new double[] {Double.parseDouble(parts[0]), Double.parseDouble(parts[1])});
    }
    String[] parts = lines.get(lines.size() - 1).trim().split(" ");
    float[] weights = new float[parts.length];
    for (int i = 0; i < parts.length; i++) {
      weights[i] = Float.parseFloat(parts[i]);
    }
    return new Result(steps, weights);
  }

  /**
   * One replica: {@code TASK PORT0,PORT1,... OPTIMIZER KEY=VALUE[,KEY=VALUE] STEPS GLOBAL_BATCH OUT_FILE}. Exits 0
   * after writing OUT_FILE; a failure prints its message and exits 1.
   */
  public static void main(String[] args) throws Exception {
    try {
      int task = Integer.parseInt(args[0]);
      List<String> addresses = new ArrayList<>();
      for (String port : args[1].split(",")) {
        addresses.add("localhost:" + port);
      }
      Map<String, String> settings = new java.util.LinkedHashMap<>();
      if (!args[3].equals("-")) {
        for (String kv : args[3].split(",")) {
          settings.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
      }
      Cluster cluster = Cluster.of(addresses, task);
      cluster.startServer(ConfigProto.getDefaultInstance());
      double timeout = args.length > 7 ? Double.parseDouble(args[7]) : 30;
      Result result = train(cluster.replicas(timeout), cluster, args[2], settings, Integer.parseInt(args[4]),
          Integer.parseInt(args[5]));
      write(result, Path.of(args[6]));
      if (args.length > 8 && args[8].equals("hang")) {
        Thread.sleep(120_000); // alive, listening, but in no collective: the others must time out
      }
      System.exit(0);
    } catch (Throwable e) {
      System.out.println("replica failed: " + e);
      System.out.flush();
      System.exit(1); // the gRPC server cannot be stopped: only the process's end ends it
    }
  }
}
