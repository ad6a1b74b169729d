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
 * <p>The update runs as graph ops or as one fused native pass over the variable and its slots
 * ({@code kernel=auto|native|graph}).
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

  /** native, graph or auto. */
  public static final Hyperparameter<UpdateKernel> KERNEL = UpdateKernel.hyperparameter();

  /** The declaration: adamax, torch defaults, L2 weight decay 0. */
  public static final OptimizerSpec SPEC =
      OptimizerSpec.builder("adamax")
          .summary("Adamax: Adam with the infinity norm of past gradients, torch.optim.Adamax semantics")
          .source("Kingma & Ba, Adam, ICLR 2015 (section 7.1); torch.optim.Adamax 1.13")
          .learningRate(2e-3)
          .weightDecay(WeightDecayMode.L2, 0.0)
          .hyperparameters(Adam.BETA1, BETA2, EPS, KERNEL)
          .factory(Adamax::new)
          .build();

  private final double beta1;
  private final double beta2;
  private final double eps;
  private final UpdateKernel kernel;

  /** Adamax with the default configuration. */
  public Adamax(Graph graph) {
    this(graph, builder().validate());
  }

  private Adamax(Graph graph, OptimizerConfig config) {
    super(graph, config);
    this.beta1 = config.get(Adam.BETA1);
    this.beta2 = config.get(BETA2);
    this.eps = config.get(EPS);
    this.kernel = config.get(KERNEL).resolve(config.spec().name());
  }

  /** A builder with the documented defaults. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  protected void build(List<Layer<?>> layers) {
    createZeroSlots(layers, "m", "u");
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
    ElementwiseUpdate<T> e = ElementwiseUpdate.of(step, layer, kernel);
    Variable<T> mSlot = slot(layer, "m");
    Variable<T> uSlot = slot(layer, "u");
    ElementwiseUpdate<T>.Value g = e.gradient();
    ElementwiseUpdate<T>.Value m = e.ema(e.read(mSlot), g, beta1); // m = β1 m + (1 - β1) g
    // u = max(β2 u, |g| + eps)
    ElementwiseUpdate<T>.Value u =
        e.max(e.mul(e.constant(beta2), e.read(uSlot)), e.add(e.abs(g), e.constant(eps)));
    ElementwiseUpdate<T>.Value start = e.decayedVariable();
    e.write(mSlot, m);
    e.write(uSlot, u);
    // x = x - (lr / (1 - β1^t)) m / u
    e.writeVariable(e.sub(start, e.mul(e.scalar(clr), e.div(m, u))));
    e.apply();
  }

  /** Builds {@link Adamax}. */
  public static final class Builder extends OptimizerBuilder<Builder, Adamax>
      implements BuilderKeys.Betas<Builder>, BuilderKeys.Eps<Builder>, BuilderKeys.Kernel<Builder> {
    private Builder() {
      super(SPEC, Adamax.class);
    }
  }
}
