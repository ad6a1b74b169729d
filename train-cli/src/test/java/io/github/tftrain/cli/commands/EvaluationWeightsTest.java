package io.github.tftrain.cli.commands;

import io.github.tftrain.trainer.Checkpoints;
import io.github.tftrain.trainer.Json;

import static io.github.tftrain.cli.commands.TrainRuns.metrics;
import static io.github.tftrain.cli.commands.TrainRuns.stepName;
import static io.github.tftrain.cli.commands.TrainRuns.testdata;
import static io.github.tftrain.cli.commands.TrainRuns.train;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.tftrain.cli.app.Tftrain;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.train.Restore;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TType;

/**
 * The trainer evaluates and exports the optimizers' evaluation weights and trains on the training weights. For a
 * run with {@code emaDecay} and one with KaFiStO Dynamics, the values the SavedModel holds are recomputed from the
 * final checkpoint read by TensorFlow's RestoreV2 in a fresh graph (the EMA slots; x̂ − v̂/α from the variables and
 * the velocity slots), the final evaluation row is recomputed from the SavedModel's logits (and differs from what
 * the training weights give), {@code tftrain eval} and {@code export} of a checkpoint written mid-run swap to its
 * evaluation weights, and a run resumed from the checkpoint written right after an evaluation ends bitwise where the
 * uninterrupted run ends.
 */
class EvaluationWeightsTest {
  /** 2,000 training images / 64 = 31 steps per epoch: an evaluation (and its checkpoint) at 31, the end at 36. */
  private static final long EPOCH_END = 31;
  private static final long STEPS = 36;

  @Test
  void emaIsEvaluatedAndExportedAndAResumedRunStaysBitwise(@TempDir Path tmp) throws Exception {
    Path run = tmp.resolve("ema");
    TrainRuns.Cli cli = train("--model", "wrn-10-1", "--data", "testdata/fashion-mnist", "--optimizer", "adam",
        "--set", "emaDecay=0.9", "--steps", Long.toString(STEPS), "--batch-size", "64", "--log-every", "12",
        "--seed", "5", "--threads", "2", "--quiet", "--run-dir", run.toString());
    assertEquals(0, cli.exitCode(), cli::toString);
    TrainRuns.Metrics metrics = metrics(run);
    assertEquals(List.of(12L, 24L, EPOCH_END, STEPS), metrics.steps());
    assertFalse(metrics.cell(2, "test_error").isEmpty(), "evaluated at the end of epoch 1");
    // A copy of the run as it stood after epoch 1's evaluation and checkpoint, before the last 5 steps.
    Path resumed = tmp.resolve("resumed");
    copyTree(run, resumed);
    Checkpoints.deleteTree(resumed.resolve("checkpoints").resolve(stepName(STEPS)));

    // (a) the SavedModel holds the EMA of the final checkpoint, which is not its training weights
    String last = checkpoint(run, STEPS);
    try (SavedModelBundle bundle = SavedModelBundle.load(run.resolve("saved_model").toString(), "serve")) {
      Map<String, float[]> exported = variables(bundle);
      List<String> trained = withSlot(exported, "ema");
      assertTrue(trained.size() >= 10, "the model's trained variables have EMA slots: " + trained);
      Map<String, float[]> checkpoint = readCheckpoint(last, names(trained, "ema"));
      double moved = 0;
      for (String v : trained) {
        float[] average = checkpoint.get(slot(v, "ema"));
        assertArrayEquals(average, exported.get(v), v + ": the SavedModel holds the EMA");
        moved = Math.max(moved, maxAbsDifference(checkpoint.get(v), average));
      }
      assertTrue(moved > 1e-4, "the training weights differ from their average: " + moved);
      assertNotTrainedUnchanged(exported, last, trained);

      // (b) the final evaluation row is the SavedModel's evaluation; the training weights would give another one
      assertFinalEvaluationFromSavedModel(run, bundle, metrics);
    }

    // eval of the last checkpoint repeats the final row; export of the mid-run checkpoint holds its EMA
    Cli eval = cli("eval", "--run", run.toString());
    assertEquals(0, eval.code, eval.err);
    Map<String, Object> result = TrainRuns.lastEvaluation(run);
    for (String column : List.of("test_loss", "test_error", "test_top5_error")) {
      assertEquals(metrics.number(3, column), ((Number) result.get(column)).doubleValue(), 1e-7, column);
    }
    Path exportedMidRun = tmp.resolve("exported-31");
    Cli export = cli("export", "--run", run.toString(), "--checkpoint", Long.toString(EPOCH_END), "--out",
        exportedMidRun.toString());
    assertEquals(0, export.code, export.err);
    try (SavedModelBundle bundle = SavedModelBundle.load(exportedMidRun.toString(), "serve")) {
      Map<String, float[]> exported = variables(bundle);
      List<String> trained = withSlot(exported, "ema");
      Map<String, float[]> checkpoint = readCheckpoint(checkpoint(run, EPOCH_END), names(trained, "ema"));
      double moved = 0;
      for (String v : trained) {
        assertArrayEquals(checkpoint.get(slot(v, "ema")), exported.get(v), v + " at step " + EPOCH_END);
        moved = Math.max(moved, maxAbsDifference(checkpoint.get(v), checkpoint.get(slot(v, "ema"))));
      }
      assertTrue(moved > 1e-4, "the mid-run checkpoint's variables are not its EMA: " + moved);
    }

    // resume from the checkpoint written right after epoch 1's evaluation: it must hold the training weights
    TrainRuns.Cli resume = train("--resume", "--run-dir", resumed.toString(), "--threads", "2", "--quiet");
    assertEquals(0, resume.exitCode(), resume::toString);
    assertTrue(resume.out().contains("resuming " + resumed + " at step " + EPOCH_END), resume::toString);
    TrainResumeTest.assertSameRun(run, resumed);
  }

  @Test
  void kafistoDynamicsEvaluatesAndExportsItsPosterior(@TempDir Path tmp) throws Exception {
    Path run = tmp.resolve("kafisto");
    TrainRuns.Cli cli = train("--model", "wrn-10-1", "--data", "testdata/fashion-mnist", "--optimizer", "kafisto",
        "--steps", "8", "--batch-size", "32", "--seed", "5", "--threads", "2", "--quiet", "--run-dir",
        run.toString());
    assertEquals(0, cli.exitCode(), cli::toString);
    float inverseAlpha = (float) (1 / 0.9); // the default α, as the optimizer casts 1/α to float32
    try (SavedModelBundle bundle = SavedModelBundle.load(run.resolve("saved_model").toString(), "serve")) {
      Map<String, float[]> exported = variables(bundle);
      List<String> trained = withSlot(exported, "velocity");
      assertTrue(trained.size() >= 10, "the trained variables have velocities: " + trained);
      String last = checkpoint(run, 8);
      Map<String, float[]> checkpoint = readCheckpoint(last, names(trained, "velocity"));
      double moved = 0;
      for (String v : trained) {
        float[] x = checkpoint.get(v);
        float[] velocity = checkpoint.get(slot(v, "velocity"));
        float[] got = exported.get(v);
        for (int i = 0; i < x.length; i++) {
          float posterior = x[i] - inverseAlpha * velocity[i];
          float tolerance = 2 * (Math.ulp(Math.abs(x[i])) + Math.ulp(Math.abs(inverseAlpha * velocity[i])));
          if (Math.abs(posterior - got[i]) > tolerance) {
            throw new AssertionError(v + "[" + i + "]: SavedModel " + got[i] + ", checkpoint's x̂ − v̂/α "
                + posterior + " (x̂ " + x[i] + ", v̂ " + velocity[i] + ")");
          }
        }
        moved = Math.max(moved, maxAbsDifference(x, got));
      }
      assertTrue(moved > 1e-6, "the posterior differs from the predicted weights: " + moved);
      assertNotTrainedUnchanged(exported, last, trained);
      assertFinalEvaluationFromSavedModel(run, bundle, metrics(run));
    }
  }

  // ---------------------------------------------------------------------------------------------------------------

  record Cli(int code, String out, String err) {}

  static Cli cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Tftrain.execute(new PrintWriter(out), new PrintWriter(err), args);
    return new Cli(code, out.toString(), err.toString());
  }

  private static String checkpoint(Path run, long step) {
    return run.resolve("checkpoints").resolve(stepName(step)).resolve("variables").toString();
  }

  /** The classifier's optimizer slot of a variable, as LossAwareOptimizer names it. */
  private static String slot(String variable, String slot) {
    return "optimizer/" + variable.replace('/', '.') + "-" + slot;
  }

  /** The model variables (not optimizer state, not the swap's backups) that have this slot. */
  private static List<String> withSlot(Map<String, float[]> variables, String slot) {
    List<String> out = new ArrayList<>();
    for (String name : variables.keySet()) {
      if (!name.startsWith("optimizer/") && !name.startsWith("evaluation_swap/")
          && variables.containsKey(slot(name, slot))) {
        out.add(name);
      }
    }
    return out;
  }

  private static List<String> names(List<String> variables, String slot) {
    List<String> out = new ArrayList<>(variables);
    variables.forEach(v -> out.add(slot(v, slot)));
    return out;
  }

  /** The float32 variables of a SavedModel, by name, as its session holds them. */
  private static Map<String, float[]> variables(SavedModelBundle bundle) {
    List<String> names = new ArrayList<>();
    for (Iterator<GraphOperation> it = bundle.graph().operations(); it.hasNext(); ) {
      GraphOperation op = it.next();
      if (op.type().equals(Variable.OP_NAME) && (Object) op.output(0).type() == TFloat32.class) {
        names.add(op.name());
      }
    }
    Map<String, float[]> values = new LinkedHashMap<>();
    Session.Runner runner = bundle.session().runner();
    names.forEach(runner::fetch);
    try (Result result = runner.run()) {
      for (int i = 0; i < names.size(); i++) {
        values.put(names.get(i), floats(result.get(i)));
      }
    }
    return values;
  }

  /** Tensors of a checkpoint read by TensorFlow's RestoreV2 in a fresh graph (float32). */
  private static Map<String, float[]> readCheckpoint(String prefix, List<String> names) {
    try (Graph graph = new Graph();
        Session session = new Session(graph)) {
      Ops tf = Ops.create(graph);
      List<Class<? extends TType>> types = new ArrayList<>();
      names.forEach(n -> types.add(TFloat32.class));
      Restore restore = tf.train.restore(tf.constant(prefix),
          tf.constant(NdArrays.vectorOfObjects(names.toArray(String[]::new))),
          tf.constant(NdArrays.vectorOfObjects(names.stream().map(n -> "").toArray(String[]::new))), types);
      Session.Runner runner = session.runner();
      restore.tensors().forEach(runner::fetch);
      Map<String, float[]> values = new LinkedHashMap<>();
      try (Result result = runner.run()) {
        for (int i = 0; i < names.size(); i++) {
          values.put(names.get(i), floats(result.get(i)));
        }
      }
      return values;
    }
  }

  /** The model's other float variables (batch norm's moving statistics) are exported as the checkpoint has them. */
  private static void assertNotTrainedUnchanged(Map<String, float[]> exported, String checkpoint,
      List<String> trained) {
    List<String> others = exported.keySet().stream()
        .filter(n -> !n.startsWith("optimizer/") && !n.startsWith("evaluation_swap/") && !trained.contains(n))
        .toList();
    assertFalse(others.isEmpty(), "batch norm's moving statistics are variables too");
    Map<String, float[]> saved = readCheckpoint(checkpoint, others);
    for (String n : others) {
      assertArrayEquals(saved.get(n), exported.get(n), n);
    }
  }

  /**
   * The last metrics row's evaluation equals the one computed from the SavedModel's logits on the test images
   * decoded here, and the training weights (the swap's backups in the SavedModel, put back by its to_training op)
   * give a different test loss.
   */
  private static void assertFinalEvaluationFromSavedModel(Path run, SavedModelBundle bundle,
      TrainRuns.Metrics metrics) throws IOException {
    @SuppressWarnings("unchecked")
    Map<String, Object> data = (Map<String, Object>) TrainRuns.config(run).get("data");
    ReferenceData.Images test = ReferenceData.idxPaddedRgb(testdata("fashion-mnist"), "t10k");
    float[] input = ReferenceData.normalise(test, doubles(data.get("normalization_mean")),
        doubles(data.get("normalization_std")));
    ReferenceData.Evaluation evaluation = evaluate(bundle, test, input);
    int last = metrics.rows().size() - 1;
    assertEquals(evaluation.top1Error(), metrics.number(last, "test_error"), 1e-6, "top-1 error");
    assertEquals(evaluation.top5Error(), metrics.number(last, "test_top5_error"), 1e-6, "top-5 error");
    double loss = metrics.number(last, "test_loss");
    assertEquals(evaluation.loss(), loss, 1e-5 * Math.max(1, Math.abs(loss)), "test loss");

    bundle.session().runner().addTarget("evaluation_swap/to_training").run();
    double trainingLoss = evaluate(bundle, test, input).loss();
    assertTrue(Math.abs(trainingLoss - loss) > 1e-4 * Math.max(1, Math.abs(loss)),
        "the training weights' test loss " + trainingLoss + " is not the evaluated " + loss);
  }

  private static ReferenceData.Evaluation evaluate(SavedModelBundle bundle, ReferenceData.Images test,
      float[] input) {
    try (TFloat32 images = TFloat32.tensorOf(Shape.of(test.count(), 32, 32, 3), DataBuffers.of(input, true, false));
        var result = bundle.function("serving_normalized").call(Map.<String, Tensor>of("images", images))) {
      return ReferenceData.evaluate(floats((Tensor) result.get("logits").orElseThrow()), 10, test.labels());
    }
  }

  private static double maxAbsDifference(float[] a, float[] b) {
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }

  private static float[] floats(Tensor tensor) {
    float[] values = new float[(int) tensor.shape().size()];
    tensor.asRawTensor().data().asFloats().read(values);
    return values;
  }

  private static double[] doubles(Object list) {
    return ((List<?>) list).stream().mapToDouble(v -> ((Number) v).doubleValue()).toArray();
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path p : walk.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }
}
