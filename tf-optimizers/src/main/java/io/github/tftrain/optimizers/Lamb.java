package io.github.tftrain.optimizers;

import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TType;

/**
 * LAMB (You et al. 2020): the Adam direction plus weight decay, rescaled per variable by the trust ratio
 * ‖x‖ / ‖r‖. Per variable x (t the 1-based step, ‖·‖ the variable's Frobenius norm):
 *
 * <pre>
 * m = β1 m + (1 - β1) g
 * v = β2 v + (1 - β2) g²
 * r = (m / (1 - β1^t)) / (sqrt(v / (1 - β2^t)) + eps) + wd x
 * ratio = ‖x‖ / ‖r‖,   1 when ‖x‖ = 0 or ‖r‖ = 0
 * x = x - lr ratio r
 * </pre>
 *
 * <p>Weight decay is LAMB's own, inside r (so inside the trust ratio): the spec declares its own
 * {@code weightDecay} and the base applies none. The trust ratio is the paper's with φ the identity (no clamp of
 * ‖x‖). The norms are reduced in the variable's dtype (one {@code L2Loss} each); the square roots, the ratio, its
 * fallback and {@code lr·ratio} are float64 scalars cast back to the variable's dtype, so float64 variables compute
 * everything in float64.
 *
 * <p>Defaults: lr 1e-3, β1 0.9, β2 0.999, eps 1e-6, weight decay 0.
 */
public final class Lamb extends LossAwareOptimizer {
  /** β1: decay of the first moment (the same declaration as Adam's). */
  public static final Hyperparameter<Double> BETA1 = Adam.BETA1;
  /** β2: decay of the second moment (the same declaration as Adam's). */
  public static final Hyperparameter<Double> BETA2 = Adam.BETA2;
  /** eps: added to the denominator. */
  public static final Hyperparameter<Double> EPS =
      Hyperparameter.real("eps", 1e-6, Range.atLeast(0), "added to the denominator");
  /** LAMB's weight decay, added to the direction inside the trust ratio. */
  public static final Hyperparameter<Double> WEIGHT_DECAY =
      Hyperparameter.real(
          "weightDecay", 0.0, Range.atLeast(0), "wd: r = Adam direction + wd·x, inside the trust ratio ‖x‖/‖r‖");

  /** The declaration: the paper's defaults, its own weight decay 0. */
  public static final OptimizerSpec SPEC =
      OptimizerSpec.builder("lamb")
          .summary("LAMB: the Adam direction plus weight decay, scaled per variable by the trust ratio ‖x‖/‖r‖")
          .source("You et al., Large Batch Optimization for Deep Learning: Training BERT in 76 minutes, ICLR 2020")
          .learningRate(1e-3)
          .hyperparameters(BETA1, BETA2, EPS, WEIGHT_DECAY)
          .factory(Lamb::new)
          .build();

  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double weightDecay;

  /** LAMB with the default configuration. */
  public Lamb(Graph graph) {
    this(graph, builder().validate());
  }

  private Lamb(Graph graph, OptimizerConfig config) {
    super(graph, config);
    this.beta1 = config.get(BETA1);
    this.beta2 = config.get(BETA2);
    this.eps = config.get(EPS);
    this.weightDecay = config.get(WEIGHT_DECAY);
  }

  /** A builder with the documented defaults. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  protected void build(List<Layer<?>> layers) {
    createZeroSlots(layers, "m", "v");
  }

  @Override
  protected void update(UpdateStep step) {
    Operand<TFloat64> bc1 = step.biasCorrection(beta1);
    Operand<TFloat64> bc2 = step.biasCorrection(beta2);
    for (Layer<?> layer : step.layers()) {
      updateLayer(step, layer, bc1, bc2);
    }
  }

  private <T extends TType> void updateLayer(
      UpdateStep step, Layer<T> layer, Operand<TFloat64> bc1, Operand<TFloat64> bc2) {
    Ops tf = step.tf();
    Class<T> type = layer.type();
    Variable<T> mSlot = slot(layer, "m");
    Variable<T> vSlot = slot(layer, "v");
    Operand<T> g = layer.gradient();
    Operand<T> x = layer.value();
    Operand<T> m =
        step.ema(step.read(mSlot), g, beta1);
    Operand<T> v =
        step.ema(step.read(vSlot), Tensors.square(tf, g), beta2);
    Operand<T> denominator =
        Tensors.add(tf, Tensors.sqrt(tf, Tensors.div(tf, v, step.cast(bc2, type))), step.scalar(eps, type));
    Operand<T> r = Tensors.div(tf, Tensors.div(tf, m, step.cast(bc1, type)), denominator);
    if (weightDecay != 0) {
      r = Tensors.add(tf, r, Tensors.mul(tf, step.scalar(weightDecay, type), x));
    }
    Operand<TFloat64> ratio = trustRatio(tf, step, x, r);
    Operand<T> rate = step.cast(tf.math.mul(step.learningRate(), ratio), type);
    step.assign(mSlot, m);
    step.assign(vSlot, v);
    step.assign(layer.variable(), Tensors.sub(tf, x, Tensors.mul(tf, rate, r)));
  }

  /** ‖x‖ / ‖r‖ as a float64 scalar, 1 when either norm is 0. */
  private static Operand<TFloat64> trustRatio(Ops tf, UpdateStep step, Operand<?> x, Operand<?> r) {
    Operand<TFloat64> xNorm = tf.math.sqrt(step.squaredNorm(x, true));
    Operand<TFloat64> rNorm = tf.math.sqrt(step.squaredNorm(r, true));
    Operand<TFloat64> zero = tf.constant(0.0);
    Operand<TBool> bothPositive =
        tf.math.logicalAnd(tf.math.greater(xNorm, zero), tf.math.greater(rNorm, zero));
    // The fallback's branch keeps 0/0 out of the selected value.
    Operand<TFloat64> safeR = tf.select(bothPositive, rNorm, tf.constant(1.0));
    return tf.select(bothPositive, tf.math.div(xNorm, safeR), tf.constant(1.0));
  }

  /** Builds {@link Lamb}. */
  public static final class Builder extends OptimizerBuilder<Builder, Lamb> {
    private Builder() {
      super(SPEC, Lamb.class);
    }

    /** β1 in [0, 1) (default 0.9). */
    public Builder beta1(double value) {
      return set(BETA1, value);
    }

    /** β2 in [0, 1) (default 0.999). */
    public Builder beta2(double value) {
      return set(BETA2, value);
    }

    /** eps &gt;= 0 (default 1e-6). */
    public Builder eps(double value) {
      return set(EPS, value);
    }
  }
}
