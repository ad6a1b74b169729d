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
 * LARS (You et al. 2017): momentum SGD with a per-variable ("layer-wise") learning rate proportional to
 * ‖x‖ / ‖g‖. Per variable x (‖·‖ the variable's Frobenius norm):
 *
 * <pre>
 * local = η ‖x‖ / (‖g‖ + wd ‖x‖),   1 when ‖x‖ = 0 or ‖g‖ = 0
 * b = μ b + lr local (g + wd x)      (b starts at 0)
 * x = x - b
 * </pre>
 *
 * <p>Weight decay is LARS's own (in the local rate's denominator and in the step): the spec declares its own
 * {@code weightDecay} and the base applies none. The square roots of the sums of squares, the local rate, its
 * fallback and {@code lr·local} are float64 scalars cast back to the variable's dtype, so float64 variables compute
 * everything in float64. With {@code kernel=native} the update is a read-only pass summing ‖x‖² and ‖g‖² (in
 * float64), then one fused element-wise pass; with {@code kernel=graph} stock ops (see
 * {@link ElementwiseUpdate#sumsOfSquares}).
 *
 * <p>Defaults: lr 0.1, μ 0.9, η (trustCoefficient) 1e-3, weight decay 0.
 */
public final class Lars extends LossAwareOptimizer {
  /** μ: momentum of the buffer b. */
  public static final Hyperparameter<Double> MOMENTUM =
      Hyperparameter.real("momentum", 0.9, Range.unitInterval(), "momentum μ of the buffer b (0 = no momentum)");
  /** η: the trust coefficient. */
  public static final Hyperparameter<Double> TRUST_COEFFICIENT =
      Hyperparameter.real(
          "trustCoefficient", 1e-3, Range.above(0), "η: the local rate is η‖x‖/(‖g‖ + wd‖x‖) (1 if a norm is 0)");
  /** LARS's weight decay, in the local rate and the step. */
  public static final Hyperparameter<Double> WEIGHT_DECAY =
      Hyperparameter.real(
          "weightDecay", 0.0, Range.atLeast(0), "wd: the step is along g + wd·x, and wd‖x‖ enters the local rate");

  /** native, graph or auto: the norms' pass and the element-wise step. */
  public static final Hyperparameter<UpdateKernel> KERNEL = UpdateKernel.hyperparameter();

  /** The declaration: the paper's η, momentum 0.9, its own weight decay 0. */
  public static final OptimizerSpec SPEC =
      OptimizerSpec.builder("lars")
          .summary("LARS: momentum SGD with a per-variable rate η‖x‖/(‖g‖ + wd‖x‖)")
          .source("You et al., Large Batch Training of Convolutional Networks, 2017 (Algorithm 1)")
          .learningRate(0.1)
          .hyperparameters(MOMENTUM, TRUST_COEFFICIENT, WEIGHT_DECAY, KERNEL)
          .factory(Lars::new)
          .build();

  private final double momentum;
  private final double trustCoefficient;
  private final double weightDecay;
  private final UpdateKernel kernel;

  /** LARS with the default configuration. */
  public Lars(Graph graph) {
    this(graph, builder().validate());
  }

  private Lars(Graph graph, OptimizerConfig config) {
    super(graph, config);
    this.momentum = config.get(MOMENTUM);
    this.trustCoefficient = config.get(TRUST_COEFFICIENT);
    this.weightDecay = config.get(WEIGHT_DECAY);
    this.kernel = config.get(KERNEL).resolve(config.spec().name());
  }

  /** A builder with the documented defaults. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  protected void build(List<Layer<?>> layers) {
    createZeroSlots(layers, "momentum");
  }

  @Override
  protected void update(UpdateStep step) {
    for (Layer<?> layer : step.layers()) {
      updateLayer(step, layer);
    }
  }

  private <T extends TType> void updateLayer(UpdateStep step, Layer<T> layer) {
    Ops tf = step.tf();
    ElementwiseUpdate<T> u = ElementwiseUpdate.of(step, layer, kernel);
    Variable<T> bSlot = slot(layer, "momentum");
    ElementwiseUpdate<T>.Value g = u.gradient();
    ElementwiseUpdate<T>.Value x = u.variable();
    List<Operand<TFloat64>> sums = u.sumsOfSquares(List.of(x, g));
    Operand<TFloat64> rate = tf.math.mul(step.learningRate(), localRate(tf, sums.get(0), sums.get(1)));
    ElementwiseUpdate<T>.Value direction = weightDecay != 0 ? u.add(g, u.mul(u.constant(weightDecay), x)) : g;
    // b = μ b + lr local (g + wd x);  x = x - b
    ElementwiseUpdate<T>.Value b =
        u.add(u.mul(u.constant(momentum), u.read(bSlot)), u.mul(u.scalar(rate), direction));
    u.write(bSlot, b);
    u.writeVariable(u.sub(x, b));
    u.apply();
  }

  /** η‖x‖ / (‖g‖ + wd‖x‖) as a float64 scalar, 1 when ‖x‖ = 0 or ‖g‖ = 0. */
  private Operand<TFloat64> localRate(Ops tf, Operand<TFloat64> xSquared, Operand<TFloat64> gSquared) {
    Operand<TFloat64> xNorm = tf.math.sqrt(xSquared);
    Operand<TFloat64> gNorm = tf.math.sqrt(gSquared);
    Operand<TFloat64> zero = tf.constant(0.0);
    Operand<TBool> bothPositive =
        tf.math.logicalAnd(tf.math.greater(xNorm, zero), tf.math.greater(gNorm, zero));
    Operand<TFloat64> denominator = tf.math.add(gNorm, tf.math.mul(tf.constant(weightDecay), xNorm));
    // The fallback's branch keeps 0/0 out of the selected value.
    Operand<TFloat64> safeDenominator = tf.select(bothPositive, denominator, tf.constant(1.0));
    Operand<TFloat64> local =
        tf.math.div(tf.math.mul(tf.constant(trustCoefficient), xNorm), safeDenominator);
    return tf.select(bothPositive, local, tf.constant(1.0));
  }

  /** Builds {@link Lars}. */
  public static final class Builder extends OptimizerBuilder<Builder, Lars>
      implements BuilderKeys.Kernel<Builder> {
    private Builder() {
      super(SPEC, Lars.class);
    }

    /** Momentum μ in [0, 1) (default 0.9). */
    public Builder momentum(double value) {
      return set(MOMENTUM, value);
    }

    /** Trust coefficient η &gt; 0 (default 1e-3). */
    public Builder trustCoefficient(double value) {
      return set(TRUST_COEFFICIENT, value);
    }
  }
}
