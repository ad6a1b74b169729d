package io.github.tftrain.trainer;

/**
 * How the training loop runs a job: its length, when it logs, evaluates and checkpoints, what it does with a
 * non-finite step, and where its weights start.
 *
 * @param epochs epochs to train (used when {@code steps} is 0)
 * @param steps steps to train, or 0 to train {@code epochs}
 * @param logEvery a metrics row every this many steps (and at each epoch's end)
 * @param evalEvery evaluate every this many epochs (and at the end)
 * @param checkpointEvery also checkpoint every this many steps; 0: at epoch ends only
 * @param keepCheckpoints the latest checkpoints kept (the best is kept besides)
 * @param onNan "stop" (checkpoint the last good state, fail) or "skip" (drop the batch)
 * @param initFrom a run directory whose weights a new run starts from, or empty
 */
public record LoopSettings(
    int epochs,
    long steps,
    int logEvery,
    int evalEvery,
    int checkpointEvery,
    int keepCheckpoints,
    String onNan,
    String initFrom) {

  /** @throws IllegalArgumentException naming the setting that is out of range */
  public LoopSettings {
    if (steps < 0 || (steps == 0 && epochs < 1)) {
      throw new IllegalArgumentException("the run needs steps >= 1 or epochs >= 1, got steps " + steps + ", epochs "
          + epochs);
    }
    if (logEvery < 1 || evalEvery < 1 || checkpointEvery < 0 || keepCheckpoints < 1) {
      throw new IllegalArgumentException("logEvery, evalEvery and keepCheckpoints must be >= 1 and checkpointEvery"
          + " >= 0; got " + logEvery + ", " + evalEvery + ", " + keepCheckpoints + ", " + checkpointEvery);
    }
    if (!onNan.equals("stop") && !onNan.equals("skip")) {
      throw new IllegalArgumentException("onNan must be stop or skip, got '" + onNan + "'");
    }
    initFrom = initFrom == null ? "" : initFrom;
  }

  /** The run's length in steps, given its steps per epoch. */
  public long totalSteps(long stepsPerEpoch) {
    return steps > 0 ? steps : epochs * stepsPerEpoch;
  }
}
