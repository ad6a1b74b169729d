package io.github.tftrain.optimizers;

import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TType;

/**
 * Adam (Kingma &amp; Ba) with the semantics of {@code torch.optim.Adam} (L2 weight decay added to the gradient), or,
 * as {@link AdamW}, with decoupled weight decay ({@code torch.optim.AdamW}):
 *
 * <pre>
 * (Adam)  g = g + wd x                 (AdamW)  x = x - lr wd x           (the base's weight decay)
 * t = t + 1
 * m = β1 m + (1 - β1) g;   v = β2 v + (1 - β2) g²
 * amsgrad: v̂max = max(v̂max, v), used for v below
 * x = x - lr (m / (1 - β1^t)) / (sqrt(v / (1 - β2^t)) + eps)
 * </pre>
 *
 * <p>Without amsgrad it runs on TF's fused {@code ApplyAdam} kernel, which computes
 * {@code x -= lr sqrt(1 - β2^t) / (1 - β1^t) m / (sqrt(v) + ε')}; passing {@code ε' = eps sqrt(1 - β2^t)} makes
 * that the torch update exactly. The bias-correction powers are computed from the global step inside the step, so
 * there is no separate power state to race with the update (the framework's {@code Adam.finish()} updates its
 * beta-power variables without a dependency on {@code ApplyAdam}). With amsgrad (no fused kernel) the update is
 * built from graph ops as torch writes it: {@code x -= (lr / bc1) m / (sqrt(v̂max) / sqrt(bc2) + eps)}.
 *
 * <p>Defaults: lr 1e-3, β1 0.9, β2 0.999, eps 1e-8, weight decay 0 (AdamW: 0.01), amsgrad false.
 */
public class Adam extends LossAwareOptimizer {
  /** β1: decay of the first moment. */
  public static final Hyperparameter<Double> BETA1 =
      Hyperparameter.real("beta1", 0.9, Range.unitInterval(), "decay of the first moment");
  /** β2: decay of the second moment. */
  public static final Hyperparameter<Double> BETA2 =
      Hyperparameter.real("beta2", 0.999, Range.unitInterval(), "decay of the second moment");
  /** eps: added to the denominator. */
  public static final Hyperparameter<Double> EPS =
      Hyperparameter.real("eps", 1e-8, Range.atLeast(0), "added to the denominator");
  /** AMSGrad: the running maximum of the second moment. */
  public static final Hyperparameter<Boolean> AMSGRAD =
      Hyperparameter.flag("amsgrad", false, "AMSGrad (Reddi et al. 2018): use the running max of v");

  /** The declaration: Adam, L2 weight decay 0. */
  public static final OptimizerSpec SPEC = spec("adam", WeightDecayMode.L2, 0.0, Adam::new);

  static OptimizerSpec spec(String name, WeightDecayMode mode, double weightDecay, OptimizerSpec.Factory factory) {
    return OptimizerSpec.builder(name)
        .summary(
            mode == WeightDecayMode.L2
                ? "Adam, torch.optim.Adam semantics (L2 weight decay)"
                : "Adam with decoupled weight decay, torch.optim.AdamW semantics")
        .source(
            mode == WeightDecayMode.L2
                ? "Kingma & Ba, Adam, ICLR 2015; torch.optim.Adam 1.13"
                : "Loshchilov & Hutter, Decoupled Weight Decay Regularization, ICLR 2019; torch.optim.AdamW 1.13")
        .learningRate(1e-3)
        .weightDecay(mode, weightDecay)
        .hyperparameters(BETA1, BETA2, EPS, AMSGRAD)
        .factory(factory)
        .build();
  }

  private final double beta1;
  private final double beta2;
  private final double eps;
  private final boolean amsgrad;

  /** Adam with the default configuration. */
  public Adam(Graph graph) {
    this(graph, builder().validate());
  }

  Adam(Graph graph, OptimizerConfig config) {
    super(graph, config);
    this.beta1 = config.get(BETA1);
    this.beta2 = config.get(BETA2);
    this.eps = config.get(EPS);
    this.amsgrad = config.get(AMSGRAD);
  }

  /** A builder with the documented defaults. */
  public static Builder builder() {
    return new Builder(SPEC);
  }

  @Override
  protected void build(List<Layer<?>> layers) {
    for (Layer<?> layer : layers) {
      createZeroSlot(layer, "m");
      createZeroSlot(layer, "v");
      if (amsgrad) {
        createZeroSlot(layer, "v_max");
      }
    }
  }

  @Override
  protected void update(UpdateStep step) {
    Ops tf = step.tf();
    Operand<TFloat64> t = step.count();
    Operand<TFloat64> beta1Power = tf.math.pow(tf.constant(beta1), t);
    Operand<TFloat64> beta2Power = tf.math.pow(tf.constant(beta2), t);
    for (Layer<?> layer : step.layers()) {
      if (amsgrad) {
        amsgradLayer(step, layer, beta1Power, beta2Power);
      } else {
        fusedLayer(step, layer, beta1Power, beta2Power);
      }
    }
  }

  private <T extends TType> void fusedLayer(
      UpdateStep step, Layer<T> layer, Operand<TFloat64> beta1Power, Operand<TFloat64> beta2Power) {
    Ops tf = step.tf();
    Class<T> type = layer.type();
    // ε' = eps sqrt(1 - β2^t) turns ApplyAdam's ε placement into torch's.
    Operand<TFloat64> epsilon =
        tf.math.mul(tf.constant(eps), tf.math.sqrt(tf.math.sub(tf.constant(1.0), beta2Power)));
    Operand<T> lr = step.cast(step.learningRate(), type);
    Operand<T> b1p = step.cast(beta1Power, type);
    Operand<T> b2p = step.cast(beta2Power, type);
    Operand<T> b1 = step.scalar(beta1, type);
    Operand<T> b2 = step.scalar(beta2, type);
    Operand<T> e = step.cast(epsilon, type);
    Variable<T> m = slot(layer, "m");
    Variable<T> v = slot(layer, "v");
    Operand<T> g = layer.gradient();
    step.inPlaceAfterDecay(
        layer, after -> after.train.applyAdam(layer.variable(), m, v, b1p, b2p, lr, b1, b2, e, g));
  }

  private <T extends TType> void amsgradLayer(
      UpdateStep step, Layer<T> layer, Operand<TFloat64> beta1Power, Operand<TFloat64> beta2Power) {
    Ops tf = step.tf();
    Class<T> type = layer.type();
    Operand<T> g = layer.gradient();
    Variable<T> mSlot = slot(layer, "m");
    Variable<T> vSlot = slot(layer, "v");
    Variable<T> vMaxSlot = slot(layer, "v_max");
    Operand<T> m =
        step.ema(step.read(mSlot), g, beta1);
    Operand<T> v =
        step.ema(step.read(vSlot), Tensors.square(tf, g), beta2);
    Operand<T> vMax = Tensors.maximum(tf, step.read(vMaxSlot), v);
    Operand<T> bc1 = step.cast(tf.math.sub(tf.constant(1.0), beta1Power), type);
    Operand<T> bc2Sqrt = step.cast(tf.math.sqrt(tf.math.sub(tf.constant(1.0), beta2Power)), type);
    Operand<T> denominator =
        Tensors.add(tf, Tensors.div(tf, Tensors.sqrt(tf, vMax), bc2Sqrt), step.scalar(eps, type));
    step.assign(mSlot, m);
    step.assign(vSlot, v);
    step.assign(vMaxSlot, vMax);
    step.descend(layer, Tensors.div(tf, Tensors.div(tf, m, bc1), denominator));
  }

  /** Builds {@link Adam} and {@link AdamW}. */
  public static class Builder extends OptimizerBuilder<Builder, Adam>
      implements BuilderKeys.Betas<Builder>, BuilderKeys.Eps<Builder> {
    Builder(OptimizerSpec spec) {
      super(spec, Adam.class);
    }

    /** AMSGrad (default false). */
    public Builder amsgrad(boolean value) {
      return set(AMSGRAD, value);
    }
  }
}
