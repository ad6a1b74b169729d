package io.github.tftrain.cli.commands;

import io.github.tftrain.cli.settings.ScheduleSpec;
import io.github.tftrain.cli.jobs.RunOptimizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.tftrain.optimizers.LossAwareOptimizer;
import io.github.tftrain.optimizers.schedule.Schedule;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;

/**
 * With {@code accumulate = N} the optimizer makes one update per N steps of the run, and its schedule counts updates:
 * a cosine over a 100-step run with accumulate 4 ends at update 25 (a schedule over 100 would stop a quarter of the
 * way down).
 */
class AccumulationScheduleTest {

  @Test
  void schedulesCountUpdates() {
    RunOptimizer plain = new RunOptimizer("sgd", Map.of("lr", "0.1"), new ScheduleSpec("cosine"), 10, 100);
    RunOptimizer accumulating =
        new RunOptimizer("sgd", Map.of("lr", "0.1", "accumulate", "4"), new ScheduleSpec("cosine"), 10, 100);
    try (Graph graph = new Graph()) {
      Schedule everyStep = plain.create(graph, "plain").learningRateSchedule();
      LossAwareOptimizer optimizer = accumulating.create(graph, "accumulating");
      Schedule everyFourth = optimizer.learningRateSchedule();
      // 48% of the way: step 48 of 100, update 12 of 25.
      assertEquals(everyStep.valueAt(48), everyFourth.valueAt(12), 1e-12);
      assertEquals(0.1 * (1 + Math.cos(Math.PI * 12 / 25)) / 2, everyFourth.valueAt(12), 1e-12);
      assertEquals(everyStep.valueAt(100), everyFourth.valueAt(25), 1e-12, "both end at the minimum");
      assertEquals(0.1, everyFourth.valueAt(0), 1e-12);
    }
  }
}
