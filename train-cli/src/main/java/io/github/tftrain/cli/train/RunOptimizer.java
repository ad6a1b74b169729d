package io.github.tftrain.cli.train;

import io.github.tftrain.cli.models.OptimizerFactory;
import io.github.tftrain.optimizers.LossAwareOptimizer;
import io.github.tftrain.optimizers.OptimizerBuilder;
import io.github.tftrain.optimizers.Optimizers;
import java.util.LinkedHashMap;
import java.util.Map;
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
    try (Graph probe = new Graph()) {
      builder().build(probe);
    }
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

  private OptimizerBuilder<?, ?> builder() {
    OptimizerBuilder<?, ?> builder = Optimizers.builder(optimizer);
    settings.forEach(builder::set);
    builder.lr(schedule.toSchedule(builder.baseLearningRate(), stepsPerEpoch, totalSteps));
    return builder.checkFinite(true);
  }

  @Override
  public LossAwareOptimizer create(Graph graph, String name) {
    return builder().name(name).build(graph);
  }
}
