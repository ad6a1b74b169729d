package io.github.tftrain.optimizers.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt64;

/** Each schedule's graph and Java values against hand-computed ones. */
class ScheduleTest {

  /** Evaluates the graph form at {@code step}. */
  private static double inGraph(Schedule schedule, long step) {
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Placeholder<TInt64> t = tf.placeholder(TInt64.class);
      Operand<TFloat64> value = schedule.value(tf, t);
      try (TInt64 feed = TInt64.scalarOf(step);
          TFloat64 out = (TFloat64) s.runner().feed(t, feed).fetch(value).run().get(0)) {
        return out.getDouble();
      }
    }
  }

  private static void check(Schedule schedule, long step, double expected) {
    assertEquals(expected, schedule.valueAt(step), 1e-15, schedule + " at " + step + " (Java)");
    assertEquals(expected, inGraph(schedule, step), 1e-15, schedule + " at " + step + " (graph)");
  }

  @Test
  void constant() {
    check(Schedule.constant(0.3), 0, 0.3);
    check(Schedule.constant(0.3), 1_000_000, 0.3);
  }

  @Test
  void stepDecay() {
    Schedule s = Schedule.step(0.1, 30, 0.1);
    check(s, 0, 0.1);
    check(s, 29, 0.1);
    check(s, 30, 0.1 * 0.1);
    check(s, 95, 0.1 * 0.1 * 0.1 * 0.1);
  }

  @Test
  void multiStep() {
    // CIFAR-100 200 epochs: x0.2 at 60, 120, 160
    Schedule s = Schedule.multiStep(0.1, new long[] {60, 120, 160}, 0.2);
    check(s, 59, 0.1);
    check(s, 60, 0.1 * 0.2);
    check(s, 120, 0.1 * 0.2 * 0.2);
    check(s, 10_000, 0.1 * 0.2 * 0.2 * 0.2);
    assertEquals(0.1 * 0.008, s.minimumValue(), 1e-18);
    assertEquals(0.1, s.maximumValue());
  }

  /** 1e-6 to 1e2 over 5 steps: one decade per step by hand (1e-6, 1e-4, 1e-2, 1, 100), then it stays at 100. */
  @Test
  void exponentialRange() {
    Schedule sweep = Schedule.exponential(1e-6, 100, 5);
    double[] byHand = {1e-6, 1e-4, 1e-2, 1, 100, 100};
    for (int step = 0; step < byHand.length; step++) {
      assertEquals(byHand[step], sweep.valueAt(step), 1e-13 * byHand[step], "Java at " + step);
      assertEquals(byHand[step], inGraph(sweep, step), 1e-13 * byHand[step], "graph at " + step);
    }
    assertEquals(1e-6, sweep.minimumValue());
    assertEquals(100, sweep.maximumValue());
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> Schedule.exponential(0, 1, 5));
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> Schedule.exponential(1e-3, 1, 1));
  }

  @Test
  void cosine() {
    Schedule s = Schedule.cosine(1.0, 100, 0.0);
    check(s, 0, 1.0);
    check(s, 50, 0.5);
    check(s, 25, (1 + Math.sqrt(0.5)) / 2);
    check(s, 100, 0.0);
    check(s, 250, 0.0);
  }

  @Test
  void linearWarmupMultipliesAndKeepsMilestones() {
    Schedule s = Schedule.multiStep(0.4, new long[] {6}, 0.5).withLinearWarmup(4, 0.25);
    check(s, 0, 0.4 * 0.25);
    check(s, 2, 0.4 * (0.25 + 0.75 * 0.5));
    check(s, 4, 0.4);
    check(s, 6, 0.2);
    // The bound multiplies the extremes of factor and value: 0.25 x 0.2, below the true infimum 0.1.
    assertEquals(0.05, s.minimumValue(), 1e-15);
    assertEquals(0.4, s.maximumValue(), 1e-15);
  }

  @Test
  void rejectsInvalidArguments() {
    assertThrows(IllegalArgumentException.class, () -> Schedule.step(0.1, 0, 0.1));
    assertThrows(IllegalArgumentException.class, () -> Schedule.multiStep(0.1, new long[] {5, 5}, 0.1));
    assertThrows(IllegalArgumentException.class, () -> Schedule.cosine(0.1, -1, 0));
    assertThrows(IllegalArgumentException.class, () -> Schedule.constant(1).withLinearWarmup(10, 1.5));
    IllegalArgumentException negative =
        assertThrows(IllegalArgumentException.class, () -> Schedule.constant(1).valueAt(-1));
    assertTrue(negative.getMessage().contains("step must be >= 0"));
  }
}
