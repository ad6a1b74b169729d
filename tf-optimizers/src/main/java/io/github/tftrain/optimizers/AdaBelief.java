package io.github.tftrain.optimizers;

import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TType;

/**
 * AdaBelief (Zhuang et al. 2020): Adam whose denominator is the moving variance of the gradient around its moving
 * mean (the "belief" in the observed gradient) instead of its raw second moment. Per variable (t the 1-based step):
 *
 * <pre>
 * x = x - lr wd x                                   (the base's decoupled weight decay)
 * m = β1 m + (1 - β1) g
 * s = β2 s + (1 - β2) (g - m)² + eps                (with the new m, as in the authors' code)
 * x = x - lr (m / (1 - β1^t)) / (sqrt(s) / sqrt(1 - β2^t) + eps)
 * </pre>
 *
 * <p>The whole step reads {@code x} before the decay: {@code x ← x(1 − lr·wd) − lr·update}. The bias corrections
 * are float64 scalars cast to the variable's dtype. The update runs as graph ops or as one fused native pass over x,
 * m and s (kernel=auto|native|graph).
 *
 * <p>This is the authors' {@code adabelief-pytorch} 0.2 update with {@code rectify=False},
 * {@code weight_decouple=True}, {@code fixed_decay=False} and {@code amsgrad=False}; their default
 * {@code rectify=True} (the RAdam-style rectification) is not part of this optimizer. eps enters twice, as there: it
 * accumulates into s every step, and is added to the denominator.
 *
 * <p>Defaults: lr 1e-3, β1 0.9, β2 0.999, eps 1e-16, decoupled weight decay 0.
 */
public final class AdaBelief extends LossAwareOptimizer {
  /** β1: decay of the first moment (the same declaration as Adam's). */
  public static final Hyperparameter<Double> BETA1 = Adam.BETA1;
  /** β2: decay of s, the moving variance of g around m. */
  public static final Hyperparameter<Double> BETA2 =
      Hyperparameter.real("beta2", 0.999, Range.unitInterval(), "decay of s, the moving variance of g around m");
  /** eps: added to s every step and to the denominator. */
  public static final Hyperparameter<Double> EPS =
      Hyperparameter.real("eps", 1e-16, Range.atLeast(0), "added to s every step and to the denominator");
  /** native, graph or auto. */
  public static final Hyperparameter<UpdateKernel> KERNEL = UpdateKernel.hyperparameter();

  /** The declaration: the authors' defaults (eps 1e-16 as in adabelief-pytorch 0.2), decoupled weight decay 0. */
  public static final OptimizerSpec SPEC =
      OptimizerSpec.builder("adabelief")
          .summary("AdaBelief: Adam with the moving variance of g around m, (g − m)², as the second moment")
          .source(
              "Zhuang et al., AdaBelief Optimizer: Adapting Stepsizes by the Belief in Observed Gradients,"
                  + " NeurIPS 2020; adabelief-pytorch 0.2 with rectify=False")
          .learningRate(1e-3)
          .weightDecay(WeightDecayMode.DECOUPLED, 0.0)
          .hyperparameters(BETA1, BETA2, EPS, KERNEL)
          .factory(AdaBelief::new)
          .build();

  private final double beta1;
  private final double beta2;
  private final double eps;
  private final UpdateKernel kernel;

  /** AdaBelief with the default configuration. */
  public AdaBelief(Graph graph) {
    this(graph, builder().validate());
  }

  private AdaBelief(Graph graph, OptimizerConfig config) {
    super(graph, config);
    this.beta1 = config.get(BETA1);
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
    createZeroSlots(layers, "m", "s");
  }

  @Override
  protected void update(UpdateStep step) {
    Ops tf = step.tf();
    Operand<TFloat64> bc1 = step.biasCorrection(beta1);
    Operand<TFloat64> bc2Sqrt =
        tf.math.sqrt(step.biasCorrection(beta2));
    for (Layer<?> layer : step.layers()) {
      updateLayer(step, layer, bc1, bc2Sqrt);
    }
  }

  private <T extends TType> void updateLayer(
      UpdateStep step, Layer<T> layer, Operand<TFloat64> bc1, Operand<TFloat64> bc2Sqrt) {
    ElementwiseUpdate<T> u = ElementwiseUpdate.of(step, layer, kernel);
    Variable<T> mSlot = slot(layer, "m");
    Variable<T> sSlot = slot(layer, "s");
    ElementwiseUpdate<T>.Value g = u.gradient();
    ElementwiseUpdate<T>.Value epsilon = u.constant(eps);
    ElementwiseUpdate<T>.Value m = u.ema(u.read(mSlot), g, beta1); // m = β1 m + (1 - β1) g
    // s = β2 s + (1 - β2) (g - m)² + eps
    ElementwiseUpdate<T>.Value s = u.add(u.ema(u.read(sSlot), u.square(u.sub(g, m)), beta2), epsilon);
    // sqrt(s) / sqrt(1 - β2^t) + eps
    ElementwiseUpdate<T>.Value denominator = u.add(u.div(u.sqrt(s), u.scalar(bc2Sqrt)), epsilon);
    u.write(mSlot, m);
    u.write(sSlot, s);
    u.descend(u.div(u.div(m, u.scalar(bc1)), denominator)); // x = x (1 - lr wd) - lr (m / bc1) / denominator
    u.apply();
  }

  /** Builds {@link AdaBelief}. */
  public static final class Builder extends OptimizerBuilder<Builder, AdaBelief>
      implements BuilderKeys.Betas<Builder>, BuilderKeys.Eps<Builder>, BuilderKeys.Kernel<Builder> {
    private Builder() {
      super(SPEC, AdaBelief.class);
    }
  }
}
