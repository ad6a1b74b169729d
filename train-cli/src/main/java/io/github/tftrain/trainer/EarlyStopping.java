package io.github.tftrain.trainer;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Stops a run when an evaluation metric has not improved for {@code patience} evaluations (Keras' EarlyStopping):
 * an evaluation improves on the best so far when it is lower by more than {@code minDelta} (higher, for a metric where
 * higher is better). The run then ends as finished; its SavedModel holds the weights of its last step, and best.json
 * names the best checkpoint.
 */
public final class EarlyStopping implements Callback {
  private final String metric;
  private final int patience;
  private final double minDelta;
  private final boolean higherIsBetter;
  private double best = Double.NaN;
  private long bestStep = -1;
  private int waited;

  private EarlyStopping(String metric, int patience, double minDelta, boolean higherIsBetter) {
    if (metric == null || metric.isBlank()) {
      throw new IllegalArgumentException("early stopping needs an evaluation metric");
    }
    if (patience < 1) {
      throw new IllegalArgumentException("early stopping: patience must be >= 1, got " + patience);
    }
    if (!(minDelta >= 0) || Double.isInfinite(minDelta)) {
      throw new IllegalArgumentException("early stopping: minDelta must be a finite number >= 0, got " + minDelta);
    }
    this.metric = metric;
    this.patience = patience;
    this.minDelta = minDelta;
    this.higherIsBetter = higherIsBetter;
  }

  /**
   * Stops when {@code metric} (lower is better) has not improved by more than {@code minDelta} in {@code patience}
   * evaluations.
   */
  public static EarlyStopping onMetric(String metric, int patience, double minDelta) {
    return new EarlyStopping(metric, patience, minDelta, false);
  }

  /** The same for a metric where higher is better (accuracy). */
  public EarlyStopping higherIsBetter() {
    return new EarlyStopping(metric, patience, minDelta, true);
  }

  /**
   * Parses {@code METRIC:PATIENCE[:MIN_DELTA]} (the CLI's {@code --early-stopping}), lower is better.
   *
   * @throws IllegalArgumentException naming what is wrong
   */
  public static EarlyStopping parse(String text) {
    String[] parts = text.split(":");
    if (parts.length < 2 || parts.length > 3) {
      throw new IllegalArgumentException("--early-stopping '" + text + "': expected METRIC:PATIENCE[:MIN_DELTA], e.g."
          + " test_error:3:0.001");
    }
    try {
      return onMetric(parts[0], Integer.parseInt(parts[1].trim()), parts.length == 3
          ? Double.parseDouble(parts[2].trim()) : 0);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--early-stopping '" + text + "': PATIENCE must be a whole number and "
          + "MIN_DELTA a number", e);
    }
  }

  /** The metric watched. */
  public String metric() {
    return metric;
  }

  @Override
  public void onEpochEnd(int epoch, long step, Map<String, Double> evaluation) {
    Double value = evaluation.get(metric);
    if (evaluation.isEmpty()) {
      return; // no evaluation this epoch
    }
    if (value == null) {
      throw new IllegalArgumentException("early stopping watches '" + metric + "', which the evaluation does not "
          + "have; it has " + String.join(", ", evaluation.keySet()));
    }
    boolean improved = Double.isNaN(best)
        || (higherIsBetter ? value > best + minDelta : value < best - minDelta);
    if (improved && !Double.isNaN(value)) {
      best = value;
      bestStep = step;
      waited = 0;
    } else {
      waited++;
    }
  }

  @Override
  public boolean stopRequested() {
    return waited >= patience;
  }

  @Override
  public String stopReason() {
    return String.format(Locale.ROOT, "early stopping: %s has not improved by more than %s in %d evaluations (best "
        + "%.6g at step %d)", metric, minDelta, patience, best, bestStep);
  }

  @Override
  public String name() {
    return "early_stopping";
  }

  @Override
  public Map<String, Object> state() {
    Map<String, Object> state = new LinkedHashMap<>();
    state.put("best", best);
    state.put("best_step", bestStep);
    state.put("waited", waited);
    return state;
  }

  @Override
  public void restore(Map<String, Object> state) {
    Object b = state.get("best");
    best = b instanceof Number n ? n.doubleValue() : Double.parseDouble(String.valueOf(b));
    bestStep = ((Number) state.get("best_step")).longValue();
    waited = ((Number) state.get("waited")).intValue();
  }
}
