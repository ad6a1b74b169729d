package io.github.tftrain.optimizers;

import org.tensorflow.Graph;

/**
 * Adam with decoupled weight decay ({@code torch.optim.AdamW}): {@code x = x - lr wd x} before the Adam step, with
 * no decay term in the gradient or the moments. See {@link Adam} for the update. Defaults: lr 1e-3, β1 0.9, β2 0.999,
 * eps 1e-8, weight decay 0.01.
 */
public final class AdamW extends Adam {

  /** AdamW with the default configuration. */
  public AdamW(Graph graph) {
    super(graph, builder().validate(), true);
  }

  private AdamW(Graph graph, Config config) {
    super(graph, config, true);
  }

  /** A builder with the documented defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds {@link AdamW}. */
  public static final class Builder extends Adam.Builder {
    private Builder() {
      super("adamw", 0.01);
    }

    @Override
    public AdamW build(Graph graph) {
      return new AdamW(graph, validate());
    }
  }
}
