package io.github.tftrain.optimizers;

import org.tensorflow.Graph;

/**
 * Adam with decoupled weight decay ({@code torch.optim.AdamW}): {@code x = x - lr wd x} before the Adam step, with
 * no decay term in the gradient or the moments. See {@link Adam} for the update. Defaults: lr 1e-3, β1 0.9, β2 0.999,
 * eps 1e-8, weight decay 0.01.
 */
public final class AdamW extends Adam {
  /** The declaration: Adam's hyperparameters, decoupled weight decay 0.01. */
  public static final OptimizerSpec SPEC = Adam.spec("adamw", WeightDecayMode.DECOUPLED, 0.01, AdamW::new);

  /** AdamW with the default configuration. */
  public AdamW(Graph graph) {
    this(graph, builder().validate());
  }

  private AdamW(Graph graph, OptimizerConfig config) {
    super(graph, config);
  }

  /** A builder with the documented defaults. */
  public static Builder builder() {
    return new Builder(SPEC);
  }
}
