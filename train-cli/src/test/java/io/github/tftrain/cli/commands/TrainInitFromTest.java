package io.github.tftrain.cli.commands;

import io.github.tftrain.trainer.WeightImport;

import static io.github.tftrain.cli.commands.TrainRuns.stepName;
import static io.github.tftrain.cli.commands.TrainRuns.train;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * {@code --init-from RUN} starts a new run from RUN's exported weights: checked by value against RUN's SavedModel;
 * a variable of another shape (a new head) or absent there keeps its initialisation and is named; a run of another
 * model or a folder that is no run is refused.
 */
class TrainInitFromTest {
  @Test
  void aNewRunStartsFromTheSourceRunsExportedWeights(@TempDir Path tmp) throws Exception {
    Path source = tmp.resolve("source");
    assertEquals(0, train("--model", "wrn-10-1", "--data", "testdata/fashion-mnist", "--steps", "6", "--batch-size",
        "50", "--run-dir", source.toString()).exitCode());
    Path tuned = tmp.resolve("tuned");
    // plain SGD with lr 0 leaves the weights as they started: x - 0·g = x
    TrainRuns.Cli cli = train("--model", "wrn-10-1", "--data", "testdata/fashion-mnist", "--steps", "1",
        "--batch-size", "50", "--optimizer", "sgd", "--lr", "0", "--init-from", source.toString(), "--run-dir",
        tuned.toString());
    assertEquals(0, cli.exitCode(), cli::toString);
    assertTrue(cli.out().contains("initialised 39 weights from " + source.resolve("saved_model")
        + " (the weights it evaluated and exported)"), cli::toString);
    assertEquals(source.toAbsolutePath().normalize().toString(), TrainRuns.trainSettings(tuned).get("init_from"));
    String exported = source.resolve("saved_model/variables/variables").toString();
    String started = tuned.resolve("checkpoints").resolve(stepName(1)).resolve("variables").toString();
    for (String name : List.of("wrn_10_1/stem/kernel", "wrn_10_1/classifier/kernel", "wrn_10_1/classifier/bias")) {
      assertArrayEquals(read(exported, name), read(started, name), name);
    }

    TrainRuns.Cli other = train("--model", "wrn-10-2", "--data", "testdata/fashion-mnist", "--steps", "1",
        "--batch-size", "50", "--init-from", source.toString(), "--run-dir", tmp.resolve("other").toString());
    assertEquals(1, other.exitCode(), other::toString);
    assertTrue(other.err().contains("--init-from " + source.toAbsolutePath().normalize() + ": none of this model's"),
        other::toString);
    TrainRuns.Cli notARun = train("--model", "wrn-10-1", "--data", "testdata/fashion-mnist", "--steps", "1",
        "--init-from", tmp.toString(), "--run-dir", tmp.resolve("x").toString());
    assertEquals(2, notARun.exitCode(), notARun::toString);
    assertTrue(notARun.err().contains("not a tftrain run directory (no config.json)"), notARun::toString);
  }

  /** A head of another shape and a variable the source lacks keep their values and are reported. */
  @Test
  void weightsOfAnotherShapeOrMissingStayFresh(@TempDir Path tmp) throws Exception {
    Path source = tmp.resolve("source");
    Files.createDirectories(source.resolve("saved_model/variables"));
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      tf.withName("body").variable(tf.withInitScope().constant(new float[] {1, 2, 3, 4}));
      tf.withName("head").variable(tf.withInitScope().constant(new float[][] {{5, 6, 7}}));
      s.initialize();
      s.save(source.resolve("saved_model/variables/variables").toString());
    }
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Variable<TFloat32> body = tf.withName("body").variable(tf.withInitScope().constant(new float[] {0, 0, 0, 0}));
      Variable<TFloat32> head = tf.withName("head").variable(tf.withInitScope().constant(new float[][] {{9, 9}}));
      Variable<TFloat32> extra = tf.withName("extra").variable(tf.withInitScope().constant(new float[] {8}));
      s.initialize();
      WeightImport.Report report = WeightImport.load(s, g, List.of(), source);
      assertEquals(List.of("body"), report.loaded());
      assertEquals(Map.of("head", "shape [1, 3] there, [1, 2] here", "extra", "not in the source"), report.fresh());
      assertArrayEquals(new float[] {1, 2, 3, 4}, fetch(s, body));
      assertArrayEquals(new float[] {9, 9}, fetch(s, head));
      assertArrayEquals(new float[] {8}, fetch(s, extra));
      assertTrue(WeightImport.describe(report).endsWith("kept fresh: head (shape [1, 3] there, [1, 2] here), extra "
          + "(not in the source)"), WeightImport.describe(report));
    }
    assertFalse(Files.exists(source.resolve("checkpoints")));
  }

  private static float[] fetch(Session s, Variable<TFloat32> v) {
    try (Result r = s.runner().fetch(v).run()) {
      TFloat32 t = (TFloat32) r.get(0);
      float[] out = new float[(int) t.shape().size()];
      t.asRawTensor().data().asFloats().read(out);
      return out;
    }
  }

  /** A tensor of a checkpoint bundle, read with TF's own RestoreV2. */
  private static float[] read(String prefix, String name) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      var restore = tf.train.restore(tf.constant(prefix), tf.constant(NdArrays.vectorOfObjects(name)),
          tf.constant(NdArrays.vectorOfObjects("")), List.of(TFloat32.class));
      try (Result r = s.runner().fetch(restore.tensors().get(0)).run()) {
        TFloat32 t = (TFloat32) r.get(0);
        float[] out = new float[(int) t.shape().size()];
        t.asRawTensor().data().asFloats().read(out);
        return out;
      }
    }
  }
}
