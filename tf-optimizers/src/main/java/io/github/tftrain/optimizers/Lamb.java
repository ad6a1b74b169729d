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
 * ‖x‖). The square roots of the two sums of squares, the ratio, its fallback and {@code lr·ratio} are float64
 * scalars cast back to the variable's dtype, so float64 variables compute everything in float64. With
 * {@code kernel=native} the update is two passes over memory: a read-only one that sums ‖x‖² and ‖r‖² (in float64),
 * then the fused element-wise step; with {@code kernel=graph} stock ops, the norms one {@code L2Loss} each (see
 * {@link ElementwiseUpdate#sumsOfSquares}).
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
  /** native, graph or auto: the norms' pass and the element-wise step. */
  public static final Hyperparameter<UpdateKernel> KERNEL = UpdateKernel.hyperparameter();

  /** The declaration: the paper's defaults, its own weight decay 0. */
  public static final OptimizerSpec SPEC =
      OptimizerSpec.builder("lamb")
          .summary("LAMB: the Adam direction plus weight decay, scaled per variable by the trust ratio ‖x‖/‖r‖")
          .source("You et al., Large Batch Optimization for Deep Learning: Training BERT in 76 minutes, ICLR 2020")
          .learningRate(1e-3)
          .hyperparameters(BETA1, BETA2, EPS, WEIGHT_DECAY, KERNEL)
          .factory(Lamb::new)
          .build();

  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double weightDecay;
  private final UpdateKernel kernel;

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
    this.kernel = config.get(KERNEL).resolve(config.spec().name());
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
    ElementwiseUpdate<T> u = ElementwiseUpdate.of(step, layer, kernel);
    Variable<T> mSlot = slot(layer, "m");
    Variable<T> vSlot = slot(layer, "v");
    ElementwiseUpdate<T>.Value g = u.gradient();
    ElementwiseUpdate<T>.Value x = u.variable();
    ElementwiseUpdate<T>.Value m = u.ema(u.read(mSlot), g, beta1);
    ElementwiseUpdate<T>.Value v = u.ema(u.read(vSlot), u.square(g), beta2);
    ElementwiseUpdate<T>.Value denominator = u.add(u.sqrt(u.div(v, u.scalar(bc2))), u.constant(eps));
    ElementwiseUpdate<T>.Value r = u.div(u.div(m, u.scalar(bc1)), denominator);
    if (weightDecay != 0) {
      r = u.add(r, u.mul(u.constant(weightDecay), x));
    }
    List<Operand<TFloat64>> sums = u.sumsOfSquares(List.of(x, r));
    Operand<TFloat64> ratio = trustRatio(tf, sums.get(0), sums.get(1));
    ElementwiseUpdate<T>.Value rate = u.scalar(tf.math.mul(step.learningRate(), ratio));
    u.write(mSlot, m);
    u.write(vSlot, v);
    u.writeVariable(u.sub(x, u.mul(rate, r)));
    u.apply();
  }

  /** ‖x‖ / ‖r‖ as a float64 scalar, 1 when either norm is 0. */
  private static Operand<TFloat64> trustRatio(
      Ops tf, Operand<TFloat64> xSquared, Operand<TFloat64> rSquared) {
    Operand<TFloat64> xNorm = tf.math.sqrt(xSquared);
    Operand<TFloat64> rNorm = tf.math.sqrt(rSquared);
    Operand<TFloat64> zero = tf.constant(0.0);
    Operand<TBool> bothPositive =
        tf.math.logicalAnd(tf.math.greater(xNorm, zero), tf.math.greater(rNorm, zero));
    // The fallback's branch keeps 0/0 out of the selected value.
    Operand<TFloat64> safeR = tf.select(bothPositive, rNorm, tf.constant(1.0));
    return tf.select(bothPositive, tf.math.div(xNorm, safeR), tf.constant(1.0));
  }

  /** Builds {@link Lamb}. */
  public static final class Builder extends OptimizerBuilder<Builder, Lamb>
      implements BuilderKeys.Betas<Builder>, BuilderKeys.Eps<Builder>, BuilderKeys.Kernel<Builder> {
    private Builder() {
      super(SPEC, Lamb.class);
    }
  }
}
