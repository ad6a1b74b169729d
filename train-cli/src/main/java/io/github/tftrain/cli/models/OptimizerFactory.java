package io.github.tftrain.cli.models;

import io.github.tftrain.optimizers.LossAwareOptimizer;
import io.github.tftrain.optimizers.OptimizerBuilder;
import io.github.tftrain.optimizers.Optimizers;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tensorflow.Graph;

/**
 * Makes an optimizer in a graph under a given name scope. A GAN calls it twice ("critic_optimizer",
 * "generator_optimizer"), so each network gets its own optimizer state.
 */
@FunctionalInterface
public interface OptimizerFactory {
  /**
   * @param graph the graph
   * @param name the name scope of the optimizer's ops and state
   */
  LossAwareOptimizer create(Graph graph, String name);

  /**
   * A registered optimizer with hyperparameters given as text (the CLI's {@code --set key=value}). The settings are
   * validated once here, so a bad key or value fails before any graph is built. The optimizers check that every
   * step's loss and gradients are finite before writing ({@code checkFinite}), so a diverging step changes nothing.
   *
   * @param optimizer a name from {@link Optimizers#names()}
   * @param settings hyperparameter names and values, applied in order
   * @throws IllegalArgumentException for an unknown optimizer, key or value
   */
  static OptimizerFactory of(String optimizer, Map<String, String> settings) {
    Map<String, String> copy = new LinkedHashMap<>(settings);
    configured(optimizer, copy).validate();
    return (graph, name) -> configured(optimizer, copy).name(name).checkFinite(true).build(graph);
  }

  private static OptimizerBuilder<?, ?> configured(String optimizer, Map<String, String> settings) {
    OptimizerBuilder<?, ?> builder = Optimizers.builder(optimizer);
    settings.forEach(builder::set);
    return builder;
  }
}
