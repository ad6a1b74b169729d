package io.github.tftrain.optimizers;

import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TType;

/**
 * Adamax, Adam's infinity-norm variant (Kingma &amp; Ba, 2015, section 7.1), with the semantics of
 * {@code torch.optim.Adamax} 1.13: per element, with t the 1-based step,
 *
 * <pre>
 * g = g + wd x                                    (the base's L2 weight decay)
 * m = β1 m + (1 - β1) g
 * u = max(β2 u, |g| + eps)
 * x = x - (lr / (1 - β1^t)) m / u
 * </pre>
 *
 * <p>The slots are {@code m} and {@code u} (torch's {@code exp_avg} and {@code exp_inf}), starting at zero. As in torch,
 * eps enters the maximum (TF's {@code ApplyAdaMax} adds it to the denominator instead).
 *
 * <p>Defaults: lr 2e-3, β1 0.9, β2 0.999, eps 1e-8, weight decay 0 (L2).
 */
public final class Adamax extends LossAwareOptimizer {
  /** β2: decay of the infinity norm. */
  public static final Hyperparameter<Double> BETA2 =
      Hyperparameter.real("beta2", 0.999, Range.unitInterval(), "decay of the infinity norm u");
  /** eps: added to |g| inside the maximum. */
  public static final Hyperparameter<Double> EPS =
      Hyperparameter.real("eps", 1e-8, Range.atLeast(0), "added to |g| inside the maximum");

  /** The declaration: adamax, torch defaults, L2 weight decay 0. */
  public static final OptimizerSpec SPEC =
      OptimizerSpec.builder("adamax")
          .summary("Adamax: Adam with the infinity norm of past gradients, torch.optim.Adamax semantics")
          .source("Kingma & Ba, Adam, ICLR 2015 (section 7.1); torch.optim.Adamax 1.13")
          .learningRate(2e-3)
          .weightDecay(WeightDecayMode.L2, 0.0)
          .hyperparameters(Adam.BETA1, BETA2, EPS)
          .factory(Adamax::new)
          .build();

  private final double beta1;
  private final double beta2;
  private final double eps;

  /** Adamax with the default configuration. */
  public Adamax(Graph graph) {
    this(graph, builder().validate());
  }

  private Adamax(Graph graph, OptimizerConfig config) {
    super(graph, config);
    this.beta1 = config.get(Adam.BETA1);
    this.beta2 = config.get(BETA2);
    this.eps = config.get(EPS);
  }

  /** A builder with the documented defaults. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  protected void build(List<Layer<?>> layers) {
    for (Layer<?> layer : layers) {
      createZeroSlot(layer, "m");
      createZeroSlot(layer, "u");
    }
  }

  @Override
  protected void update(UpdateStep step) {
    Ops tf = step.tf();
    // clr = lr / (1 - β1^t)
    Operand<TFloat64> clr =
        tf.math.div(
            step.learningRate(), step.biasCorrection(beta1));
    for (Layer<?> layer : step.layers()) {
      updateLayer(step, layer, clr);
    }
  }

  private <T extends TType> void updateLayer(UpdateStep step, Layer<T> layer, Operand<TFloat64> clr) {
    Ops tf = step.tf();
    Class<T> type = layer.type();
    Operand<T> g = layer.gradient();
    Variable<T> mSlot = slot(layer, "m");
    Variable<T> uSlot = slot(layer, "u");
    Operand<T> m =
        step.ema(step.read(mSlot), g, beta1);
    Operand<T> u =
        Tensors.maximum(
            tf, Tensors.mul(tf, step.scalar(beta2, type), step.read(uSlot)),
            Tensors.add(tf, Tensors.abs(tf, g), step.scalar(eps, type)));
    Operand<T> start = step.decayedValue(layer, step.cast(step.learningRate(), type));
    step.assign(mSlot, m);
    step.assign(uSlot, u);
    Operand<T> newX = Tensors.sub(tf, start, Tensors.mul(tf, step.cast(clr, type), Tensors.div(tf, m, u)));
    step.assign(layer.variable(), newX);
  }

  /** Builds {@link Adamax}. */
  public static final class Builder extends OptimizerBuilder<Builder, Adamax> {
    private Builder() {
      super(SPEC, Adamax.class);
    }

    /** β1 in [0, 1) (default 0.9). */
    public Builder beta1(double value) {
      return set(Adam.BETA1, value);
    }

    /** β2 in [0, 1) (default 0.999). */
    public Builder beta2(double value) {
      return set(BETA2, value);
    }

    /** eps &gt;= 0 (default 1e-8). */
    public Builder eps(double value) {
      return set(EPS, value);
    }
  }
}
