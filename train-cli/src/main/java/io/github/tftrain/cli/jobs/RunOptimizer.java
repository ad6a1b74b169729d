package io.github.tftrain.cli.jobs;

import io.github.tftrain.cli.settings.ScheduleSpec;

import io.github.tftrain.cli.OptimizerSettings;
import io.github.tftrain.cli.models.OptimizerFactory;
import io.github.tftrain.distributed.Replicas;
import io.github.tftrain.optimizers.Apollo;
import io.github.tftrain.optimizers.CommonHyperparameters;
import io.github.tftrain.optimizers.LossAwareOptimizer;
import io.github.tftrain.optimizers.OptimizerBuilder;
import io.github.tftrain.optimizers.OptimizerConfig;
import io.github.tftrain.optimizers.Optimizers;
import io.github.tftrain.optimizers.VariableGroup;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.tensorflow.Graph;

/**
 * The run's optimizer: a registered optimizer, its hyperparameters as text (validated when this is made), and the
 * learning-rate schedule over the run's steps. Every optimizer checks each step's loss and gradients for
 * non-finite values before writing ({@code checkFinite}).
 */
public final class RunOptimizer implements OptimizerFactory {
  private final String optimizer;
  private final Map<String, String> settings;
  private final ScheduleSpec schedule;
  private final long stepsPerEpoch;
  private final long totalSteps;
  /** Updates of the optimizer's own warmup (Apollo's {@code warmup}), 0 for none. */
  private final long warmup;
  /** Batches per update ({@code accumulate}). */
  private final long accumulate;
  /** The replicas each step's gradients and loss statistics are averaged over. */
  private Replicas replicas = Replicas.single();
  /** Whether each step's update norm is measured ({@code --log-step-size}). */
  private boolean trackUpdateNorm;

  /**
   * @throws IllegalArgumentException for an unknown optimizer, key or value (named in the message)
   */
  public RunOptimizer(String optimizer, Map<String, String> settings, ScheduleSpec schedule, long stepsPerEpoch,
      long totalSteps) {
    this.optimizer = optimizer;
    this.settings = new LinkedHashMap<>(settings);
    this.schedule = schedule;
    this.stepsPerEpoch = stepsPerEpoch;
    this.totalSteps = totalSteps;
    // the builder checks keys (group[SELECTOR].KEY included), values and cross-checks without building anything
    OptimizerConfig config = builder().validate();
    this.warmup = warmupSteps(config);
    this.accumulate = config.get(CommonHyperparameters.ACCUMULATE);
  }

  /**
   * The updates of an optimizer's built-in warmup, which runs before (and instead of) the schedule; 0 for none.
   * Warmups count the optimizer's updates (its global step), as schedules do.
   */
  static long warmupSteps(OptimizerConfig config) {
    return config.spec() == Apollo.SPEC ? config.get(Apollo.WARMUP) : 0;
  }

  /** A one-line warning when the optimizer's own warmup covers the whole run; empty otherwise. */
  public Optional<String> warmupWarning() {
    return warmupWarning(optimizer, warmup, totalSteps, accumulate);
  }

  /**
   * The warning for a warmup of {@code warmup} updates over a run of {@code totalSteps} batches with
   * {@code accumulate} batches per update: the run makes totalSteps / accumulate updates and never leaves the warmup
   * when it is at least that long (the last update has t = updates - 1), so it never reaches the learning rate and
   * never uses the schedule.
   */
  public static Optional<String> warmupWarning(String optimizer, long warmup, long totalSteps, long accumulate) {
    long updates = totalSteps / accumulate;
    if (warmup <= 0 || warmup < updates) {
      return Optional.empty();
    }
    String run = accumulate == 1
        ? updates + " steps"
        : updates + " updates (" + totalSteps + " steps, accumulate=" + accumulate + ")";
    return Optional.of(String.format(Locale.ROOT, "warning: %s's warmup of %d updates covers the whole run of %s, "
        + "so the learning rate never reaches its target and the schedule is never used; shorten it with --set "
        + "warmup=N (e.g. --set warmup=%d, a tenth of the run; in a preset: set.%s.warmup = N)", optimizer, warmup,
        run, Math.max(1, updates / 10), optimizer));
  }

  /** The same optimizer with one more setting, if the optimizer has that key (e.g. kernel=graph for export). */
  RunOptimizer withSetting(String key, String value) {
    if (!Optimizers.builder(optimizer).keys().contains(key)) {
      return this;
    }
    Map<String, String> more = new LinkedHashMap<>(settings);
    more.put(key, value);
    return new RunOptimizer(optimizer, more, schedule, stepsPerEpoch, totalSteps).withReplicas(replicas)
        .withUpdateNorm(trackUpdateNorm);
  }

  /**
   * The optimizer with the run's schedule. Schedules count the optimizer's updates (its global step): with
   * {@code accumulate = N} a run of S steps makes S / N updates, so epochs and the run's length are counted in updates.
   */
  OptimizerBuilder<?, ?> builder() {
    OptimizerBuilder<?, ?> builder = OptimizerSettings.builder(optimizer, settings);
    long accumulate = builder.validate().get(CommonHyperparameters.ACCUMULATE);
    builder.lr(schedule.toSchedule(builder.baseLearningRate(), Math.max(1, stepsPerEpoch / accumulate),
        Math.max(1, totalSteps / accumulate)));
    return builder.checkFinite(true).replicas(replicas).trackUpdateNorm(trackUpdateNorm);
  }

  /** This optimizer averaging over {@code value} (data parallelism). */
  public RunOptimizer withReplicas(Replicas value) {
    RunOptimizer copy = new RunOptimizer(optimizer, settings, schedule, stepsPerEpoch, totalSteps);
    copy.replicas = value;
    copy.trackUpdateNorm = trackUpdateNorm;
    return copy;
  }

  /** This optimizer measuring each step's update norm, or not ({@link OptimizerBuilder#trackUpdateNorm}). */
  public RunOptimizer withUpdateNorm(boolean value) {
    RunOptimizer copy = withReplicas(replicas);
    copy.trackUpdateNorm = value;
    return copy;
  }

  /**
   * Fails when a variable group of the settings ({@code group[SELECTOR].KEY}) matched no trainable variable of any
   * of the run's optimizers (for a GAN, neither network's): a selector with a typo would otherwise change nothing.
   *
   * @throws IllegalArgumentException naming the selectors and the model's variables
   */
  static void requireGroupsMatched(List<LossAwareOptimizer> optimizers) {
    Set<String> matchedSomewhere = new HashSet<>();
    List<VariableGroup> unmatched = new ArrayList<>();
    List<String> variables = new ArrayList<>();
    for (LossAwareOptimizer optimizer : optimizers) {
      variables.addAll(optimizer.variableNames());
      Set<String> missed = new HashSet<>();
      optimizer.unmatchedGroups().forEach(g -> missed.add(g.selector()));
      for (VariableGroup group : optimizer.configuration().groups()) {
        if (!missed.contains(group.selector())) {
          matchedSomewhere.add(group.selector());
        }
      }
    }
    Set<String> reported = new HashSet<>();
    for (LossAwareOptimizer optimizer : optimizers) {
      for (VariableGroup group : optimizer.unmatchedGroups()) {
        if (!matchedSomewhere.contains(group.selector()) && reported.add(group.selector())) {
          unmatched.add(group);
        }
      }
    }
    if (!unmatched.isEmpty()) {
      throw new IllegalArgumentException("--set " + LossAwareOptimizer.describeUnmatched(unmatched, variables)
          + " of the model: fix the regular expression (it must match a whole variable name) or the rank condition");
    }
  }

  @Override
  public LossAwareOptimizer create(Graph graph, String name) {
    return builder().name(name).build(graph);
  }
}
