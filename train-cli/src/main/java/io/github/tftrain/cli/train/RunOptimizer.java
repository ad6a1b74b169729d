package io.github.tftrain.cli.train;

import io.github.tftrain.cli.OptimizerSettings;
import io.github.tftrain.cli.models.OptimizerFactory;
import io.github.tftrain.optimizers.Apollo;
import io.github.tftrain.optimizers.CommonHyperparameters;
import io.github.tftrain.optimizers.LossAwareOptimizer;
import io.github.tftrain.optimizers.OptimizerBuilder;
import io.github.tftrain.optimizers.OptimizerConfig;
import io.github.tftrain.optimizers.Optimizers;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.tensorflow.Graph;

/**
 * The run's optimizer: a registered optimizer, its hyperparameters as text (validated when this is made), and the
 * learning-rate schedule over the run's steps. Every optimizer checks each step's loss and gradients for
 * non-finite values before writing ({@code checkFinite}).
 */
final class RunOptimizer implements OptimizerFactory {
  private final String optimizer;
  private final Map<String, String> settings;
  private final ScheduleSpec schedule;
  private final long stepsPerEpoch;
  private final long totalSteps;
  /** Steps of the optimizer's own warmup (Apollo's {@code warmup}), 0 for none. */
  private final long warmup;

  /**
   * @throws IllegalArgumentException for an unknown optimizer, key or value (named in the message)
   */
  RunOptimizer(String optimizer, Map<String, String> settings, ScheduleSpec schedule, long stepsPerEpoch,
      long totalSteps) {
    this.optimizer = optimizer;
    this.settings = new LinkedHashMap<>(settings);
    this.schedule = schedule;
    this.stepsPerEpoch = stepsPerEpoch;
    this.totalSteps = totalSteps;
    // the builder checks keys (group[SELECTOR].KEY included), values and cross-checks without building anything
    this.warmup = warmupSteps(builder().validate());
  }

  /** The steps of an optimizer's built-in warmup, which runs before (and instead of) the schedule; 0 for none. */
  static long warmupSteps(OptimizerConfig config) {
    return config.spec() == Apollo.SPEC ? config.get(Apollo.WARMUP) : 0;
  }

  /** A one-line warning when the optimizer's own warmup covers the whole run; empty otherwise. */
  Optional<String> warmupWarning() {
    return warmupWarning(optimizer, warmup, totalSteps);
  }

  /**
   * The warning for a warmup of {@code warmup} steps over a run of {@code totalSteps}: the run never leaves the
   * warmup (its last step has t = totalSteps - 1), so it never reaches the learning rate and never uses the schedule.
   */
  static Optional<String> warmupWarning(String optimizer, long warmup, long totalSteps) {
    if (warmup <= 0 || warmup < totalSteps) {
      return Optional.empty();
    }
    return Optional.of(String.format(Locale.ROOT, "warning: %s's warmup of %d steps covers the whole run of %d steps, "
        + "so the learning rate never reaches its target and the schedule is never used; shorten it with --set "
        + "warmup=N (e.g. --set warmup=%d, a tenth of the run; in a preset: set.%s.warmup = N)", optimizer, warmup,
        totalSteps, Math.max(1, totalSteps / 10), optimizer));
  }

  /** The same optimizer with one more setting, if the optimizer has that key (e.g. kernel=graph for export). */
  RunOptimizer withSetting(String key, String value) {
    if (!Optimizers.builder(optimizer).keys().contains(key)) {
      return this;
    }
    Map<String, String> more = new LinkedHashMap<>(settings);
    more.put(key, value);
    return new RunOptimizer(optimizer, more, schedule, stepsPerEpoch, totalSteps);
  }

  /**
   * The optimizer with the run's schedule. Schedules count the optimizer's updates (its global step): with
   * {@code accumulate = N} a run of S steps makes S / N updates, so epochs and the run's length are counted in updates.
   */
  private OptimizerBuilder<?, ?> builder() {
    OptimizerBuilder<?, ?> builder = OptimizerSettings.builder(optimizer, settings);
    long accumulate = builder.validate().get(CommonHyperparameters.ACCUMULATE);
    builder.lr(schedule.toSchedule(builder.baseLearningRate(), Math.max(1, stepsPerEpoch / accumulate),
        Math.max(1, totalSteps / accumulate)));
    return builder.checkFinite(true);
  }

  @Override
  public LossAwareOptimizer create(Graph graph, String name) {
    return builder().name(name).build(graph);
  }
}
