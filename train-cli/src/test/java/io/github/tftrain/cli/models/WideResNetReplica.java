package io.github.tftrain.cli.models;

import io.github.tftrain.data.IdxReader;
import io.github.tftrain.data.ImageDataset;
import io.github.tftrain.distributed.Cluster;
import io.github.tftrain.distributed.Replicas;
import io.github.tftrain.cli.jobs.ClassifierJob;
import io.github.tftrain.models.CrossReplicaMean;
import io.github.tftrain.models.Init;
import io.github.tftrain.models.Network;
import io.github.tftrain.models.WideResNet;
import io.github.tftrain.models.losses.Losses;
import io.github.tftrain.optimizers.LossAwareOptimizer;
import io.github.tftrain.optimizers.Optimizers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TFloating;

/**
 * WRN-10-1 with synchronised batch norm and SGD, trained through the library API (no CLI) on the shipped Fashion-MNIST
 * sample in float32 or float64: once as one process on the global batch, once as replicas, each on its slice of the
 * same global batch. float64 separates the algorithm from float32 rounding: summing a batch in two halves and
 * all-reducing changes the last bits of every reduction, and a ReLU network with batch norm amplifies such bits over
 * the steps (the float32 CLI test measures that drift), so only in float64 do the two runs agree to 1e-6 for the
 * issue's 20 steps. {@link #main} is one replica, a child JVM of {@code SyncBatchNormReplicasTest}.
 */
final class WideResNetReplica {
  static final int SIDE = 32;

  /** Each step's global mean loss and global gradient norm. */
  record Result(List<double[]> steps) {
    /** The largest relative difference of loss and of gradient norm over the steps: {loss, norm}. */
    double[] worstRelativeDifference(Result other) {
      double[] worst = new double[2];
      for (int step = 0; step < steps.size(); step++) {
        for (int k = 0; k < 2; k++) {
          double a = steps.get(step)[k];
          double b = other.steps.get(step)[k];
          worst[k] = Math.max(worst[k], Math.abs(a - b) / Math.abs(a));
        }
      }
      return worst;
    }
  }

  private WideResNetReplica() {}

  /**
   * Trains {@code steps} SGD steps (lr 0.1) of global batch {@code globalBatch} taken in order from
   * {@code data}'s training split; this process sees rows [rank·B, (rank+1)·B) of each, B = globalBatch / size.
   */
  static <T extends TFloating> Result train(Replicas replicas, Cluster cluster, Class<T> type, int steps,
      int globalBatch, Path data) throws IOException {
    return train(replicas, cluster, type, steps, globalBatch, data, true);
  }

  /** {@link #train} with batch norm synchronised over the replicas or, {@code syncBatchNorm} false, per replica. */
  static <T extends TFloating> Result train(Replicas replicas, Cluster cluster, Class<T> type, int steps,
      int globalBatch, Path data, boolean syncBatchNorm) throws IOException {
    int rows = globalBatch / replicas.size();
    ImageDataset images = IdxReader.readSplit(data, "train", 10).padTo(SIDE, SIDE).toRgb();
    try (Graph g = new Graph()) {
      // per replica: the same composed batch norm, each replica's mean its own
      CrossReplicaMean moments = syncBatchNorm ? ClassifierJob.crossReplicaMean(replicas) : CrossReplicaMean.single();
      Network<T> net = Network.create(g, "wrn", Init.parse("kaiming-uniform"), 7, type, moments);
      Ops tf = net.tf();
      Placeholder<T> x = tf.placeholder(type, Placeholder.shape(Shape.of(rows, SIDE, SIDE, 3)));
      Placeholder<TInt32> y = tf.placeholder(TInt32.class, Placeholder.shape(Shape.of(rows)));
      Operand<T> logits = WideResNet.build(net, x, 10, 1, 10, 0);
      Operand<T> losses = Losses.softmaxCrossEntropy(tf, logits, y);
      LossAwareOptimizer opt = Optimizers.builder("sgd").replicas(replicas).set("lr", "0.1").checkFinite(true).build(g);
      List<Op> targets = new ArrayList<>();
      targets.add(opt.minimize(losses, net.trainableVariables()));
      targets.addAll(net.updates(opt.finiteCheck()));
      Operand<T> globalLoss = replicas.allReduceMean(tf, tf.math.mean(losses, tf.constant(0)));
      Operand<TFloat64> gradNorm = opt.gradientNorm();
      List<double[]> records = new ArrayList<>();
      try (Session s = cluster == null ? new Session(g) : cluster.openSession(g, ConfigProto.getDefaultInstance())) {
        s.initialize();
        for (int step = 0; step < steps; step++) {
          // global batch `step` (cycling through the whole batches), this replica's rows of it
          int first = step * globalBatch % (images.count() / globalBatch * globalBatch) + replicas.rank() * rows;
          try (var pixels = batch(images, first, rows, type);
              TInt32 labels = TInt32.vectorOf(java.util.Arrays.copyOfRange(images.labels(), first, first + rows));
              TBool training = TBool.scalarOf(true)) {
            // training: batch norm normalises with the batch's (here the global batch's) moments
            var runner = s.runner().feed(net.training(), training).feed(x, pixels).feed(y, labels).fetch(globalLoss)
                .fetch(gradNorm);
            targets.forEach(runner::addTarget);
            try (var r = runner.run()) {
              double loss = type == TFloat64.class ? ((TFloat64) r.get(0)).getDouble() : ((TFloat32) r.get(0)).getFloat();
              records.add(new double[] {loss, ((TFloat64) r.get(1)).getDouble()});
            }
          }
        }
      }
      return new Result(records);
    }
  }

  /** Images [first, first + rows) scaled to [-1, 1]. */
  @SuppressWarnings("unchecked")
  private static <T extends TFloating> T batch(ImageDataset images, int first, int rows, Class<T> type) {
    double[][][][] values = new double[rows][SIDE][SIDE][3];
    for (int i = 0; i < rows; i++) {
      for (int r = 0; r < SIDE; r++) {
        for (int c = 0; c < SIDE; c++) {
          for (int ch = 0; ch < 3; ch++) {
            values[i][r][c][ch] = images.pixel(first + i, r, c, ch) / 127.5 - 1;
          }
        }
      }
    }
    if (type == TFloat64.class) {
      return (T) TFloat64.tensorOf(StdArrays.ndCopyOf(values));
    }
    float[][][][] floats = new float[rows][SIDE][SIDE][3];
    for (int i = 0; i < rows; i++) {
      for (int r = 0; r < SIDE; r++) {
        for (int c = 0; c < SIDE; c++) {
          for (int ch = 0; ch < 3; ch++) {
            floats[i][r][c][ch] = (float) values[i][r][c][ch];
          }
        }
      }
    }
    return (T) TFloat32.tensorOf(StdArrays.ndCopyOf(floats));
  }

  static void write(Result result, Path file) throws IOException {
    StringBuilder text = new StringBuilder();
    for (double[] step : result.steps()) {
      text.append(step[0]).append(' ').append(step[1]).append('\n');
    }
    Files.writeString(file, text.toString(), StandardCharsets.UTF_8);
  }

  static Result read(Path file) throws IOException {
    List<double[]> steps = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      String[] parts = line.trim().split(" ");
      steps.add(new double[] {Double.parseDouble(parts[0]), Double.parseDouble(parts[1])});
    }
    return new Result(steps);
  }

  /**
   * One replica: {@code TASK PORT0,PORT1 float32|float64 STEPS GLOBAL_BATCH DATA_DIR OUT_FILE sync|own} (batch norm
   * synchronised or per replica). Exits 0 after writing
   * OUT_FILE; a failure prints its message and exits 1 (the gRPC server ends only with the process).
   */
  public static void main(String[] args) {
    try {
      List<String> addresses = new ArrayList<>();
      for (String port : args[1].split(",")) {
        addresses.add("localhost:" + port);
      }
      Cluster cluster = Cluster.of(addresses, Integer.parseInt(args[0]));
      cluster.startServer(ConfigProto.getDefaultInstance());
      Class<? extends TFloating> type = args[2].equals("float64") ? TFloat64.class : TFloat32.class;
      Result result = train(cluster.replicas(60), cluster, type, Integer.parseInt(args[3]), Integer.parseInt(args[4]),
          Path.of(args[5]), args[7].equals("sync"));
      write(result, Path.of(args[6]));
      System.exit(0);
    } catch (Throwable e) {
      System.out.println("replica failed: " + e);
      e.printStackTrace(System.out);
      System.out.flush();
      System.exit(1);
    }
  }
}
