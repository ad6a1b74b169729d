package io.github.tftrain.optimizers;

import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TType;

/**
 * NAdam, Adam with Nesterov momentum and a momentum schedule (Dozat, 2016), with the semantics of
 * {@code torch.optim.NAdam} 1.13: per element, with t the 1-based step and ψ the momentum decay,
 *
 * <pre>
 * g     = g + wd x                                (the base's L2 weight decay)
 * μ_t   = β1 (1 - ½ 0.96^(t ψ));   μ_t+1 = β1 (1 - ½ 0.96^((t + 1) ψ))
 * μprod = μprod μ_t                               (a scalar, 1 before the first step)
 * m     = β1 m + (1 - β1) g
 * v     = β2 v + (1 - β2) g²
 * denom = sqrt(v / (1 - β2^t)) + eps
 * x     = x - lr (1 - μ_t) / (1 - μprod) g / denom
 * x     = x - lr μ_t+1 / (1 - μprod μ_t+1) m / denom
 * </pre>
 *
 * <p>The slots are {@code m} and {@code v} (torch's {@code exp_avg} and {@code exp_avg_sq}), starting at zero. μprod
 * is one float64 scalar state variable, {@code <scope>/mu_product}, updated once per step for all variables (torch
 * keeps one per parameter, all equal; its 1.13 version holds it as a float32 tensor, where this keeps float64).
 *
 * <p>The update runs as graph ops or as one fused native pass over the variable and its slots
 * ({@code kernel=auto|native|graph}); the step's scalars (μprod among them) stay float64 graph ops.
 *
 * <p>Defaults: lr 2e-3, β1 0.9, β2 0.999, eps 1e-8, momentum decay 4e-3, weight decay 0 (L2).
 */
public final class NAdam extends LossAwareOptimizer {
  /** ψ: how fast the momentum schedule μ_t rises towards β1. */
  public static final Hyperparameter<Double> MOMENTUM_DECAY =
      Hyperparameter.real(
          "momentumDecay", 4e-3, Range.atLeast(0), "ψ in the momentum schedule μ_t = β1 (1 - ½ 0.96^(t ψ))");

  /** native, graph or auto. */
  public static final Hyperparameter<UpdateKernel> KERNEL = UpdateKernel.hyperparameter();

  /** The declaration: nadam, torch defaults, L2 weight decay 0. */
  public static final OptimizerSpec SPEC =
      OptimizerSpec.builder("nadam")
          .summary("NAdam: Adam with Nesterov momentum and a momentum schedule, torch.optim.NAdam semantics")
          .source("Dozat, Incorporating Nesterov Momentum into Adam, ICLR 2016 workshop; torch.optim.NAdam 1.13")
          .learningRate(2e-3)
          .weightDecay(WeightDecayMode.L2, 0.0)
          .hyperparameters(Adam.BETA1, Adam.BETA2, Adam.EPS, MOMENTUM_DECAY, KERNEL)
          .factory(NAdam::new)
          .build();

  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double momentumDecay;
  private final UpdateKernel kernel;
  private Variable<TFloat64> muProduct;

  /** NAdam with the default configuration. */
  public NAdam(Graph graph) {
    this(graph, builder().validate());
  }

  private NAdam(Graph graph, OptimizerConfig config) {
    super(graph, config);
    this.beta1 = config.get(Adam.BETA1);
    this.beta2 = config.get(Adam.BETA2);
    this.eps = config.get(Adam.EPS);
    this.momentumDecay = config.get(MOMENTUM_DECAY);
    this.kernel = config.get(KERNEL).resolve(config.spec().name());
  }

  /** A builder with the documented defaults. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  protected void build(List<Layer<?>> layers) {
    muProduct = createScalar("mu_product", 1.0);
    for (Layer<?> layer : layers) {
      createZeroSlot(layer, "m");
      createZeroSlot(layer, "v");
    }
  }

  @Override
  protected void update(UpdateStep step) {
    Ops tf = step.tf();
    Operand<TFloat64> t = step.count();
    Operand<TFloat64> one = tf.constant(1.0);
    Operand<TFloat64> mu = momentum(tf, t);
    Operand<TFloat64> muNext = momentum(tf, tf.math.add(t, one));
    Operand<TFloat64> product = tf.math.mul(step.read(muProduct), mu);
    Operand<TFloat64> productNext = tf.math.mul(product, muNext);
    Operand<TFloat64> lr = step.learningRate();
    // The coefficients of g / denom and m / denom.
    Operand<TFloat64> gradientRate = tf.math.div(tf.math.mul(lr, tf.math.sub(one, mu)), tf.math.sub(one, product));
    Operand<TFloat64> momentumRate = tf.math.div(tf.math.mul(lr, muNext), tf.math.sub(one, productNext));
    Operand<TFloat64> bc2 = tf.math.sub(one, tf.math.pow(tf.constant(beta2), t));
    step.assign(muProduct, product);
    for (Layer<?> layer : step.layers()) {
      updateLayer(step, layer, gradientRate, momentumRate, bc2);
    }
  }

  /** μ at step {@code t}: β1 (1 - ½ 0.96^(t ψ)). */
  private Operand<TFloat64> momentum(Ops tf, Operand<TFloat64> t) {
    Operand<TFloat64> power = tf.math.pow(tf.constant(0.96), tf.math.mul(t, tf.constant(momentumDecay)));
    return tf.math.mul(tf.constant(beta1), tf.math.sub(tf.constant(1.0), tf.math.mul(tf.constant(0.5), power)));
  }

  private <T extends TType> void updateLayer(
      UpdateStep step,
      Layer<T> layer,
      Operand<TFloat64> gradientRate,
      Operand<TFloat64> momentumRate,
      Operand<TFloat64> bc2) {
    ElementwiseUpdate<T> e = ElementwiseUpdate.of(step, layer, kernel);
    Variable<T> mSlot = slot(layer, "m");
    Variable<T> vSlot = slot(layer, "v");
    ElementwiseUpdate<T>.Value g = e.gradient();
    ElementwiseUpdate<T>.Value m = e.ema(e.read(mSlot), g, beta1); // m = β1 m + (1 - β1) g
    ElementwiseUpdate<T>.Value v = e.ema(e.read(vSlot), e.square(g), beta2); // v = β2 v + (1 - β2) g²
    // denom = sqrt(v / (1 - β2^t)) + eps
    ElementwiseUpdate<T>.Value denom = e.add(e.sqrt(e.div(v, e.scalar(bc2))), e.constant(eps));
    ElementwiseUpdate<T>.Value start = e.decayedVariable();
    ElementwiseUpdate<T>.Value afterGradient = e.sub(start, e.mul(e.scalar(gradientRate), e.div(g, denom)));
    ElementwiseUpdate<T>.Value afterMomentum =
        e.sub(afterGradient, e.mul(e.scalar(momentumRate), e.div(m, denom)));
    e.write(mSlot, m);
    e.write(vSlot, v);
    e.writeVariable(afterMomentum);
    e.apply();
  }

  /** Builds {@link NAdam}. */
  public static final class Builder extends OptimizerBuilder<Builder, NAdam>
      implements BuilderKeys.Betas<Builder>, BuilderKeys.Eps<Builder>, BuilderKeys.Kernel<Builder> {
    private Builder() {
      super(SPEC, NAdam.class);
    }

    /** ψ &gt;= 0 (default 4e-3): the momentum schedule's decay. */
    public Builder momentumDecay(double value) {
      return set(MOMENTUM_DECAY, value);
    }
  }
}
