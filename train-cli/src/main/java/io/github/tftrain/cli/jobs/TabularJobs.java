package io.github.tftrain.cli.jobs;

import io.github.tftrain.cli.settings.TrainConfig;

import io.github.tftrain.cli.models.ModelSpec;
import io.github.tftrain.data.CsvTable;
import io.github.tftrain.trainer.ArrayData;
import io.github.tftrain.trainer.Model;
import io.github.tftrain.trainer.ModelJob;
import io.github.tftrain.trainer.ModelOutputs;
import io.github.tftrain.trainer.TrainingJob;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.random.TruncatedNormal;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * The {@code mlp-H1-H2...} family on a CSV folder, built on the trainer library: the model is a {@link Model}, the
 * tables are {@link ArrayData}, and the job is the library's {@link ModelJob}, as a user's own model would be. The
 * features are standardised inside the graph with the training set's mean and standard deviation (so the SavedModel
 * takes raw feature rows); hidden layers are ReLU, weights He-normal (truncated, seeded), the loss is the mean
 * cross-entropy; {@code error} is logged and evaluated, and the best checkpoint has the lowest {@code eval_error}.
 */
final class TabularJobs {
  private TabularJobs() {}

  static TrainingJob create(TrainConfig config, ModelSpec.Mlp spec, CsvTable train, CsvTable test) {
    return create(config, spec, train, test, io.github.tftrain.distributed.Replicas.single());
  }

  /** The MLP job of one replica: its slice of every global batch, its optimizer averaging over the replicas. */
  static TrainingJob create(TrainConfig config, ModelSpec.Mlp spec, CsvTable train, CsvTable test,
      io.github.tftrain.distributed.Replicas replicas) {
    if (!test.featureNames().equals(train.featureNames())) {
      throw new IllegalArgumentException(test.source() + ": its feature columns " + test.featureNames() + " differ "
          + "from " + train.source() + "'s " + train.featureNames());
    }
    int classes = train.classes();
    if (classes < 2) {
      throw new IllegalArgumentException(train.source() + ": every label is 0; a classifier needs two classes");
    }
    if (test.classes() > classes) {
      throw new IllegalArgumentException(test.source() + ": label " + (test.classes() - 1) + ", but "
          + train.source() + "'s labels go up to " + (classes - 1));
    }
    if (config.batchSize() > train.count()) {
      throw new IllegalArgumentException("--batch-size " + config.batchSize() + " is larger than the " + train.count()
          + " rows of " + train.source());
    }
    int features = train.featureNames().size();
    float[] mean = new float[features];
    float[] std = new float[features];
    standardisation(train.features(), mean, std);
    ArrayData trainData = ArrayData.builder().features("features", train.features()).labels("label", train.labels())
        .batchSize(config.batchSize()).shuffle(config.seed()).dropLast(true).shard(replicas.rank(), replicas.size())
        .build();
    ArrayData testData = ArrayData.builder().features("features", test.features()).labels("label", test.labels())
        .batchSize(Math.min(1000, test.count())).build();
    Map<String, Object> facts = new LinkedHashMap<>();
    facts.put("train_rows", train.count());
    facts.put("test_rows", test.count());
    facts.put("features", train.featureNames());
    facts.put("classes", classes);
    facts.put("normalization_mean", floats(mean));
    facts.put("normalization_std", floats(std));
    facts.put("train_crc32", train.crc32());
    facts.put("test_crc32", test.crc32());
    return new ModelJob(mlp(spec.hidden(), features, classes, mean, std), trainData, testData,
        Jobs.optimizer(config, trainData.batchesPerEpoch()).withReplicas(replicas).builder(), config.seed(),
        "eval_error", facts);
  }

  /** Mean and standard deviation of each column (a constant column gets std 1). */
  private static void standardisation(float[][] rows, float[] mean, float[] std) {
    for (int j = 0; j < mean.length; j++) {
      double sum = 0;
      for (float[] row : rows) {
        sum += row[j];
      }
      double m = sum / rows.length;
      double squares = 0;
      for (float[] row : rows) {
        squares += (row[j] - m) * (row[j] - m);
      }
      double s = Math.sqrt(squares / rows.length);
      mean[j] = (float) m;
      std[j] = s > 0 ? (float) s : 1f;
    }
  }

  private static List<Double> floats(float[] values) {
    List<Double> out = new ArrayList<>();
    for (float v : values) {
      out.add((double) v);
    }
    return out;
  }

  static Model mlp(List<Integer> hidden, int features, int classes, float[] mean, float[] std) {
    return ctx -> {
      Ops tf = ctx.tf();
      Operand<TFloat32> x = ctx.input("features", TFloat32.class);
      Operand<TInt32> labels = ctx.input("label", TInt32.class);
      Operand<TFloat32> h = tf.math.div(
          tf.math.sub(x, tf.constant(Shape.of(features), DataBuffers.of(mean))),
          tf.constant(Shape.of(features), DataBuffers.of(std)));
      int in = features;
      for (int layer = 0; layer < hidden.size(); layer++) {
        h = tf.nn.relu(dense(tf.withSubScope("dense" + layer), h, in, hidden.get(layer), ctx.seed() + layer));
        in = hidden.get(layer);
      }
      Operand<TFloat32> logits = dense(tf.withSubScope("classifier"), h, in, classes, ctx.seed() + hidden.size());
      Operand<TFloat32> loss = tf.math.mean(
          tf.nn.sparseSoftmaxCrossEntropyWithLogits(logits, labels).loss(), tf.constant(0));
      Operand<TFloat32> wrong = tf.dtypes.cast(
          tf.math.notEqual(tf.math.argMax(logits, tf.constant(1), TInt32.class), labels), TFloat32.class);
      return ModelOutputs.loss(loss)
          .metric("error", tf.math.mean(wrong, tf.constant(0)))
          .prediction("logits", logits)
          .prediction("probabilities", tf.nn.softmax(logits))
          .servingInputs("features");
    };
  }

  private static Operand<TFloat32> dense(Ops tf, Operand<TFloat32> x, int in, int out, long seed) {
    Variable<TFloat32> w = tf.withName("kernel").variable(tf.withInitScope().math.mul(
        tf.withInitScope().random.truncatedNormal(tf.constant(new long[] {in, out}), TFloat32.class,
            TruncatedNormal.seed(seed).seed2(7L)),
        tf.constant((float) Math.sqrt(2.0 / in))));
    Variable<TFloat32> b = tf.withName("bias").variable(tf.withInitScope().zeros(tf.constant(new long[] {out}),
        TFloat32.class));
    return tf.math.add(tf.linalg.matMul(x, tf.identity(w)), tf.identity(b));
  }
}
