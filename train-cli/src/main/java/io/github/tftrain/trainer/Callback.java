package io.github.tftrain.trainer;

import java.util.Map;

/**
 * Code that runs with the training loop (Keras' and Lightning's callbacks): after every step, and at every epoch's
 * end after the evaluation. A callback may ask the run to stop ({@link #stopRequested()}, e.g. {@link EarlyStopping});
 * the run then ends as finished, with its SavedModel. A callback with state of its own returns it from
 * {@link #state()} and takes it back in {@link #restore}: it is saved with every checkpoint, so a resumed run decides
 * as an uninterrupted one would.
 */
public interface Callback {
  /**
   * After each training step.
   *
   * @param step the steps taken so far (1 after the first)
   * @param values the step's training columns by name (loss, lr, ...); empty for a skipped (non-finite) step
   */
  default void onStep(long step, Map<String, Double> values) {}

  /**
   * At the end of each epoch (and of the run), after the evaluation if there was one.
   *
   * @param epoch the epoch that ended (0-based)
   * @param step the steps taken so far
   * @param evaluation the evaluation columns by name, or empty when this epoch did not evaluate
   */
  default void onEpochEnd(int epoch, long step, Map<String, Double> evaluation) {}

  /** Whether the run should stop now (asked after {@link #onEpochEnd}); the reason is {@link #stopReason()}. */
  default boolean stopRequested() {
    return false;
  }

  /** Why the run stops, for the run's output; asked only when {@link #stopRequested()} is true. */
  default String stopReason() {
    return name() + " asked to stop";
  }

  /** The name under which the state is saved; unique among a run's callbacks. */
  default String name() {
    return getClass().getSimpleName();
  }

  /** The callback's state (JSON values: numbers, strings, booleans, lists, maps), saved with each checkpoint. */
  default Map<String, Object> state() {
    return Map.of();
  }

  /** Takes back a state {@link #state()} returned, when a run resumes. */
  default void restore(Map<String, Object> state) {}
}
