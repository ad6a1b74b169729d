package io.github.tftrain.cli.models;

import static io.github.tftrain.cli.models.Fixtures.settings;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.tftrain.data.ChannelStats;
import io.github.tftrain.data.ImageBatches;
import io.github.tftrain.models.Init;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/** n_critic: each iteration applies n critic updates and one generator update, with distinct noise per step. */
class GanTaskTest {
  @Test
  void iterationRunsNCriticStepsThenOneGeneratorStep() {
    ImageBatches.Batch batch = Fixtures.imageBatch(4, ChannelStats.minusOneToOne(3));
    try (Graph g = new Graph();
        Session s = new Session(g, SessionConfigs.of(0, false));
        TFloat32 real = batch.imagesTensor()) {
      ModelSpec.Gan small = new ModelSpec.Gan("dcgan-small", "test size", 8);
      GanTask task =
          GanTask.build(g, small, 4, 32, Init.XAVIER_NORMAL, 1, 10, OptimizerFactory.of("adam", settings()));
      s.initialize();
      float[] before = task.samples(s, 0);
      GanTask.Iteration first = task.iterate(s, Collections.nCopies(5, real), 0);
      assertEquals(5, first.criticSteps().size());
      assertEquals(5, step(s, task.criticOptimizer().globalStep()));
      assertEquals(1, step(s, task.generatorOptimizer().globalStep()));
      // the same real batch five times, yet five different losses: the critic moved and the noise differs
      assertEquals(5, first.criticSteps().stream().map(GanTask.CriticStep::loss).distinct().count());
      task.iterate(s, List.of(real), 1);
      assertEquals(6, step(s, task.criticOptimizer().globalStep()));
      assertEquals(2, step(s, task.generatorOptimizer().globalStep()));
      float[] after = task.samples(s, 0);
      assertNotEquals(before[0], after[0], "the generator was updated");
      assertArrayEquals(after, task.samples(s, 0), "samples for a noise key are repeatable");
      assertTrue(Double.isFinite(first.generatorLoss()));
      assertThrows(IllegalArgumentException.class, () -> task.iterate(s, List.of(), 2));
    }
  }

  private static long step(Session s, org.tensorflow.op.core.Variable<TInt64> globalStep) {
    try (Result r = s.runner().fetch(globalStep).run()) {
      return ((TInt64) r.get(0)).getLong();
    }
  }
}
