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
 * RAdam, Adam with a rectified variance of the adaptive step (Liu et al., 2020), with the semantics of
 * {@code torch.optim.RAdam} 1.13: per element, with t the 1-based step,
 *
 * <pre>
 * g   = g + wd x                                  (the base's L2 weight decay)
 * m   = β1 m + (1 - β1) g
 * v   = β2 v + (1 - β2) g²
 * m̂   = m / (1 - β1^t)
 * ρ∞  = 2 / (1 - β2) - 1;   ρ_t = ρ∞ - 2 t β2^t / (1 - β2^t)
 * ρ_t &gt; 5:  l = sqrt(1 - β2^t) / (sqrt(v) + eps)
 *           r = sqrt((ρ_t - 4) (ρ_t - 2) ρ∞ / ((ρ∞ - 4) (ρ∞ - 2) ρ_t))
 *           x = x - lr m̂ l r
 * else:     x = x - lr m̂                          (SGD with bias-corrected momentum)
 * </pre>
 *
 * <p>ρ_t is a scalar of the step; the graph computes both per-element results and selects one (the rectifier's
 * argument is replaced by 1 on the steps that do not use it, so no NaN is ever computed). The slots are {@code m} and
 * {@code v} (torch's {@code exp_avg} and {@code exp_avg_sq}), starting at zero. With β2 = 0.999 the first 5 steps are
 * unrectified.
 *
 * <p>The update runs as graph ops or as one fused native pass over the variable and its slots
 * ({@code kernel=auto|native|graph}); ρ_t, the rectifier and the choice between the two results stay float64 graph
 * scalars.
 *
 * <p>Defaults: lr 1e-3, β1 0.9, β2 0.999, eps 1e-8, weight decay 0 (L2).
 */
public final class RAdam extends LossAwareOptimizer {
  /** native, graph or auto. */
  public static final Hyperparameter<UpdateKernel> KERNEL = UpdateKernel.hyperparameter();

  /** The declaration: radam, torch defaults, L2 weight decay 0. */
  public static final OptimizerSpec SPEC =
      OptimizerSpec.builder("radam")
          .summary("RAdam: Adam with the variance of the adaptive step rectified, SGD with momentum while it is"
              + " undefined, torch.optim.RAdam semantics")
          .source("Liu et al., On the Variance of the Adaptive Learning Rate and Beyond, ICLR 2020;"
              + " torch.optim.RAdam 1.13")
          .learningRate(1e-3)
          .weightDecay(WeightDecayMode.L2, 0.0)
          .hyperparameters(Adam.BETA1, Adam.BETA2, Adam.EPS, KERNEL)
          .factory(RAdam::new)
          .build();

  private final double beta1;
  private final double beta2;
  private final double eps;
  private final UpdateKernel kernel;

  /** RAdam with the default configuration. */
  public RAdam(Graph graph) {
    this(graph, builder().validate());
  }

  private RAdam(Graph graph, OptimizerConfig config) {
    super(graph, config);
    this.beta1 = config.get(Adam.BETA1);
    this.beta2 = config.get(Adam.BETA2);
    this.eps = config.get(Adam.EPS);
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
    Ops tf = step.tf();
    Operand<TFloat64> t = step.count();
    Operand<TFloat64> one = tf.constant(1.0);
    Operand<TFloat64> beta2Power = tf.math.pow(tf.constant(beta2), t);
    Operand<TFloat64> bc1 = tf.math.sub(one, tf.math.pow(tf.constant(beta1), t));
    Operand<TFloat64> bc2 = tf.math.sub(one, beta2Power);
    double rhoInf = 2 / (1 - beta2) - 1;
    // ρ_t = ρ∞ - 2 t β2^t / (1 - β2^t)
    Operand<TFloat64> rhoT =
        tf.math.sub(
            tf.constant(rhoInf), tf.math.div(tf.math.mul(tf.math.mul(tf.constant(2.0), t), beta2Power), bc2));
    Operand<TBool> rectify = tf.math.greater(rhoT, tf.constant(5.0));
    // r = sqrt((ρ_t - 4)(ρ_t - 2) ρ∞ / ((ρ∞ - 4)(ρ∞ - 2) ρ_t)), its argument 1 where unused
    Operand<TFloat64> rectifierArgument =
        tf.math.div(
            tf.math.mul(
                tf.math.mul(tf.math.sub(rhoT, tf.constant(4.0)), tf.math.sub(rhoT, tf.constant(2.0))),
                tf.constant(rhoInf)),
            tf.math.mul(tf.constant((rhoInf - 4) * (rhoInf - 2)), rhoT));
    Operand<TFloat64> rect = tf.math.sqrt(tf.select(rectify, rectifierArgument, one));
    Operand<TFloat64> bc2Sqrt = tf.math.sqrt(bc2);
    for (Layer<?> layer : step.layers()) {
      updateLayer(step, layer, bc1, bc2Sqrt, rectify, rect);
    }
  }

  private <T extends TType> void updateLayer(
      UpdateStep step,
      Layer<T> layer,
      Operand<TFloat64> bc1,
      Operand<TFloat64> bc2Sqrt,
      Operand<TBool> rectify,
      Operand<TFloat64> rect) {
    ElementwiseUpdate<T> e = ElementwiseUpdate.of(step, layer, kernel);
    Variable<T> mSlot = slot(layer, "m");
    Variable<T> vSlot = slot(layer, "v");
    ElementwiseUpdate<T>.Value g = e.gradient();
    ElementwiseUpdate<T>.Value m = e.ema(e.read(mSlot), g, beta1); // m = β1 m + (1 - β1) g
    ElementwiseUpdate<T>.Value v = e.ema(e.read(vSlot), e.square(g), beta2); // v = β2 v + (1 - β2) g²
    // plain = m̂ lr, adaptive = sqrt(1 - β2^t) / (sqrt(v) + eps), rectified = plain adaptive r
    ElementwiseUpdate<T>.Value plain = e.mul(e.div(m, e.scalar(bc1)), e.scalar(step.learningRate()));
    ElementwiseUpdate<T>.Value adaptive = e.div(e.scalar(bc2Sqrt), e.add(e.sqrt(v), e.constant(eps)));
    ElementwiseUpdate<T>.Value rectified = e.mul(e.mul(plain, adaptive), e.scalar(rect));
    ElementwiseUpdate<T>.Value start = e.decayedVariable();
    e.write(mSlot, m);
    e.write(vSlot, v);
    e.writeVariable(e.sub(start, e.select(rectify, rectified, plain)));
    e.apply();
  }

  /** Builds {@link RAdam}. */
  public static final class Builder extends OptimizerBuilder<Builder, RAdam>
      implements BuilderKeys.Betas<Builder>, BuilderKeys.Eps<Builder>, BuilderKeys.Kernel<Builder> {
    private Builder() {
      super(SPEC, RAdam.class);
    }
  }
}
