package io.github.tftrain.optimizers;

import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.op.train.ApplyMomentum;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.family.TType;

/**
 * Stochastic gradient descent with momentum, Nesterov momentum and L2 weight decay, with the semantics of
 * {@code torch.optim.SGD} (dampening 0):
 *
 * <pre>
 * g = g + wd x                 (the base's L2 weight decay)
 * b = μ b + g                  (b = g on the first step: the buffer starts at 0)
 * g = nesterov ? g + μ b : b   (when μ &gt; 0)
 * x = x - lr g
 * </pre>
 *
 * <p>It runs on TF's fused {@code ApplyMomentum} ({@code ApplyGradientDescent} without momentum), whose arithmetic
 * is exactly the above. Defaults: lr 1e-3, momentum 0, nesterov false, weight decay 0.
 */
public final class Sgd extends LossAwareOptimizer {
  /** Momentum μ &gt;= 0. */
  public static final Hyperparameter<Double> MOMENTUM =
      Hyperparameter.real("momentum", 0.0, Range.atLeast(0), "momentum μ (0 = plain SGD)");
  /** Nesterov momentum. */
  public static final Hyperparameter<Boolean> NESTEROV =
      Hyperparameter.flag("nesterov", false, "Nesterov momentum (needs momentum > 0)");

  /** The declaration: name, source, defaults. */
  public static final OptimizerSpec SPEC =
      OptimizerSpec.builder("sgd")
          .summary("stochastic gradient descent with (Nesterov) momentum, torch.optim.SGD semantics")
          .source("Robbins & Monro 1951; Sutskever et al. 2013 (Nesterov); torch.optim.SGD 1.13")
          .learningRate(1e-3)
          .weightDecay(WeightDecayMode.L2, 0.0)
          .hyperparameters(MOMENTUM, NESTEROV)
          .check(
              c -> {
                if (c.get(NESTEROV) && c.get(MOMENTUM) == 0) {
                  throw Hyperparameters.invalid("sgd", "momentum", "> 0 with nesterov=true", c.get(MOMENTUM));
                }
              })
          .factory(Sgd::new)
          .build();

  private final double momentum;
  private final boolean nesterov;

  /** SGD with the default configuration. */
  public Sgd(Graph graph) {
    this(graph, builder().validate());
  }

  private Sgd(Graph graph, OptimizerConfig config) {
    super(graph, config);
    this.momentum = config.get(MOMENTUM);
    this.nesterov = config.get(NESTEROV);
  }

  /** A builder with the documented defaults. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  protected void build(List<Layer<?>> layers) {
    if (momentum > 0) {
      for (Layer<?> layer : layers) {
        createZeroSlot(layer, "momentum");
      }
    }
  }

  @Override
  protected void update(UpdateStep step) {
    for (Layer<?> layer : step.layers()) {
      updateLayer(step, layer);
    }
  }

  private <T extends TType> void updateLayer(UpdateStep step, Layer<T> layer) {
    Operand<T> lr = step.cast(step.learningRate(), layer.type());
    Operand<T> gradient = layer.gradient();
    if (momentum == 0) {
      step.inPlaceAfterDecay(layer, after -> after.train.applyGradientDescent(layer.variable(), lr, gradient));
      return;
    }
    Variable<T> buffer = slot(layer, "momentum");
    Operand<T> mu = step.scalar(momentum, layer.type());
    step.inPlaceAfterDecay(
        layer,
        after ->
            after.train.applyMomentum(
                layer.variable(), buffer, lr, gradient, mu, ApplyMomentum.useNesterov(nesterov)));
  }

  /** Builds {@link Sgd}. */
  public static final class Builder extends OptimizerBuilder<Builder, Sgd> {
    private Builder() {
      super(SPEC, Sgd.class);
    }

    /** Momentum μ >= 0 (default 0). */
    public Builder momentum(double value) {
      return set(MOMENTUM, value);
    }

    /** Nesterov momentum (needs momentum &gt; 0; default false). */
    public Builder nesterov(boolean value) {
      return set(NESTEROV, value);
    }
  }
}
