package io.github.tftrain.trainer;


import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Assign;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * Checkpoints are atomic: a write that fails after the variables were saved (in the job's extra state, or in
 * state.json through the {@link Checkpoints#writeState} hook) leaves the previous checkpoint listed, latest and
 * restorable, and only a {@code .partial-step-*} folder that {@link Checkpoints#removePartials()} deletes. Pruning
 * keeps the latest {@code keep} and the best.
 */
class CheckpointsTest {
  private static final float[] FIRST = {1, 2, 3};
  private static final float[] SECOND = {4, 5, 6};

  /** A graph with one variable and assignments of FIRST and SECOND. */
  private static final class Model implements AutoCloseable {
    final Graph graph = new Graph();
    final Session session;
    final Variable<TFloat32> v;
    final Assign<TFloat32> toSecond;

    Model() {
      Ops tf = Ops.create(graph);
      v = tf.withName("v").variable(tf.constant(FIRST));
      toSecond = tf.assign(v, tf.constant(SECOND));
      session = new Session(graph);
    }

    float[] value() {
      try (Result r = session.runner().fetch(v).run()) {
        TFloat32 t = (TFloat32) r.get(0);
        float[] out = new float[(int) t.shape().size()];
        t.asRawTensor().data().asFloats().read(out);
        return out;
      }
    }

    @Override
    public void close() {
      session.close();
      graph.close();
    }
  }

  @Test
  void aWriteFailingInStateJsonLeavesThePreviousCheckpoint(@TempDir Path tmp) throws Exception {
    Checkpoints failing = new Checkpoints(tmp, 3) {
      @Override
      public void writeState(Path partial, Map<String, Object> state) throws IOException {
        throw new IOException("injected: no space left on device");
      }
    };
    assertFailedWriteKeepsStepOne(tmp, failing, (session, step) -> failing.save(session, step, Map.of("step", step),
        dir -> Map.of()));
  }

  @Test
  void aWriteFailingInTheJobsStateLeavesThePreviousCheckpoint(@TempDir Path tmp) throws Exception {
    Checkpoints checkpoints = new Checkpoints(tmp, 3);
    assertFailedWriteKeepsStepOne(tmp, checkpoints, (session, step) -> checkpoints.save(session, step,
        Map.of("step", step), dir -> {
          Files.writeString(dir.resolve("carried_state.bin"), "half");
          throw new IOException("injected: no space left on device");
        }));
  }

  private interface FailingSave {
    void save(Session session, long step) throws IOException;
  }

  private static void assertFailedWriteKeepsStepOne(Path dir, Checkpoints checkpoints, FailingSave failingSave)
      throws Exception {
    try (Model model = new Model()) {
      model.session.initialize();
      Checkpoints.Saved first =
          new Checkpoints(dir, 3).save(model.session, 1, Map.of("step", 1L), d -> Map.of("note", "first"));
      model.session.runner().addTarget(model.toSecond).run();
      assertArrayEquals(SECOND, model.value());

      IOException e = assertThrows(IOException.class, () -> failingSave.save(model.session, 2));
      assertTrue(e.getMessage().startsWith("injected"), e.getMessage());

      Path partial = dir.resolve(".partial-step-000000002");
      assertTrue(Files.isRegularFile(partial.resolve("variables.index")), "the variables were written first");
      assertFalse(Files.exists(dir.resolve("step-000000002")), "never renamed into place");
      assertEquals(List.of(first), checkpoints.list());
      assertEquals(first, checkpoints.latest().orElseThrow());
      assertEquals(Map.of("step", 1L, "job", Map.of("note", "first")), Checkpoints.readState(first));
    }
    // a fresh session restores the surviving checkpoint's values
    try (Model fresh = new Model()) {
      fresh.session.restore(new Checkpoints(dir, 3).latest().orElseThrow().prefix());
      assertArrayEquals(FIRST, fresh.value());
    }
    new Checkpoints(dir, 3).removePartials();
    assertEquals(List.of("step-000000001"), list(dir));
  }

  @Test
  void pruningKeepsTheLatestAndTheBest(@TempDir Path tmp) throws Exception {
    try (Model model = new Model()) {
      model.session.initialize();
      Checkpoints checkpoints = new Checkpoints(tmp, 2);
      checkpoints.save(model.session, 1, Map.of(), d -> Map.of());
      checkpoints.markBest(1, "test_error", 0.25);
      for (long step = 2; step <= 5; step++) {
        checkpoints.save(model.session, step, Map.of(), d -> Map.of());
      }
      assertEquals(List.of(1L, 4L, 5L), checkpoints.list().stream().map(Checkpoints.Saved::step).toList());
      assertEquals(1L, checkpoints.best().orElseThrow().step());
      Map<String, Object> best =
          Json.parseObject(Files.readString(tmp.resolve("best.json"), StandardCharsets.UTF_8));
      assertEquals(Map.of("step", 1L, "metric", "test_error", "value", 0.25), best);

      // saving a step again replaces it
      model.session.runner().addTarget(model.toSecond).run();
      checkpoints.save(model.session, 5, Map.of("again", true), d -> Map.of());
      assertEquals(Map.of("again", true, "job", Map.of()), Checkpoints.readState(checkpoints.latest().orElseThrow()));
    }
    try (Model fresh = new Model()) {
      fresh.session.restore(new Checkpoints(tmp, 2).latest().orElseThrow().prefix());
      assertArrayEquals(SECOND, fresh.value());
    }
  }

  /**
   * A process killed between a checkpoint and best.json leaves best.json missing (or naming an older step) while the
   * run's state names the new best: rotation keeps the state's best anyway, and repairBest rewrites best.json.
   */
  @Test
  void rotationKeepsTheStatesBestWithoutBestJsonAndRepairRewritesIt(@TempDir Path tmp) throws Exception {
    try (Model model = new Model()) {
      model.session.initialize();
      Checkpoints checkpoints = new Checkpoints(tmp, 1);
      checkpoints.save(model.session, 1, Map.of("best_step", 1L), d -> Map.of());
      // killed here: best.json was never written for step 1
      for (long step = 2; step <= 4; step++) {
        checkpoints.save(model.session, step, Map.of("best_step", 1L), d -> Map.of());
      }
      assertEquals(List.of(1L, 4L), checkpoints.list().stream().map(Checkpoints.Saved::step).toList(),
          "the latest and the state's best");
      assertTrue(checkpoints.best().isEmpty(), "no best.json yet");
      assertTrue(checkpoints.repairBest(1, "test_error", 0.125));
      assertEquals(Map.of("step", 1L, "metric", "test_error", "value", 0.125),
          Json.parseObject(Files.readString(tmp.resolve("best.json"), StandardCharsets.UTF_8)));
      assertFalse(checkpoints.repairBest(1, "test_error", 0.125), "nothing to repair the second time");
      assertFalse(checkpoints.repairBest(3, "test_error", 0.1), "no such checkpoint: best.json is left alone");
      assertFalse(checkpoints.repairBest(-1, "test_error", Double.NaN), "no best yet");
      assertEquals(1L, checkpoints.best().orElseThrow().step());
    }
  }

  @Test
  void keepBelowOneIsRejected(@TempDir Path tmp) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Checkpoints(tmp, 0));
    assertTrue(e.getMessage().contains("--keep-checkpoints"), e.getMessage());
  }

  private static List<String> list(Path dir) throws IOException {
    try (java.util.stream.Stream<Path> entries = Files.list(dir)) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
