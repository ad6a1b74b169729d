package io.github.tftrain.optimizers;

import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TType;

/**
 * AdaBound (Luo et al. 2019): Adam whose per-element step size is clamped between bounds that start at 0 and ∞ and
 * both converge to {@code finalLr}, so the method moves from Adam towards SGD. Per variable (t the 1-based step):
 *
 * <pre>
 * g = g + wd x                                      (the base's L2 weight decay)
 * m = β1 m + (1 - β1) g
 * v = β2 v + (1 - β2) g²
 * step = lr sqrt(1 - β2^t) / (1 - β1^t)
 * lower = finalLr (1 - 1 / (γ t + 1));   upper = finalLr (1 + 1 / (γ t))
 * x = x - clamp(step / (sqrt(v) + eps), lower, upper) m
 * </pre>
 *
 * <p>{@code finalLr} is used as given. The authors' code ({@code Luolc/AdaBound}, {@code adabound.py}) scales it by
 * {@code lr / base_lr} so that a torch scheduler that changes lr also moves the bounds; here the schedule changes
 * only {@code step} and the bounds stay at {@code finalLr}, as the task's equations write them.
 *
 * <p>Weight decay: the base's L2 by default, which is exactly the authors' {@code AdaBound} ({@code grad + wd·p}
 * before the moments). With {@code weightDecayMode=decoupled} the base's decay applies instead:
 * {@code x ← x(1 − lr·wd) − clamp(…)·m}; note that this is not the authors' {@code AdaBoundW}, which subtracts
 * {@code wd·x} without the learning rate. step and the bounds are float64 scalars cast to the variable's dtype. The
 * update runs as graph ops or as one fused native pass over x, m and v (kernel=auto|native|graph).
 *
 * <p>γ is in (0, 1): the authors' check admits 0, but their upper bound then divides by zero.
 *
 * <p>Defaults: lr 1e-3, finalLr 0.1, γ 1e-3, β1 0.9, β2 0.999, eps 1e-8, L2 weight decay 0.
 */
public final class AdaBound extends LossAwareOptimizer {
  /** The SGD rate both bounds converge to. */
  public static final Hyperparameter<Double> FINAL_LR =
      Hyperparameter.real(
          "finalLr", 0.1, Range.atLeast(0), "the SGD rate both bounds converge to (not scaled by the lr schedule)");
  /** γ: how fast the bounds converge. */
  public static final Hyperparameter<Double> GAMMA =
      Hyperparameter.real(
          "gamma", 1e-3, Range.of("in (0, 1)", value -> value > 0 && value < 1),
          "convergence speed γ of the bounds finalLr(1 − 1/(γt+1)) and finalLr(1 + 1/(γt))");
  /** β1: decay of the first moment (the same declaration as Adam's). */
  public static final Hyperparameter<Double> BETA1 = Adam.BETA1;
  /** β2: decay of the second moment (the same declaration as Adam's). */
  public static final Hyperparameter<Double> BETA2 = Adam.BETA2;
  /** eps: added to the denominator (the same declaration as Adam's). */
  public static final Hyperparameter<Double> EPS = Adam.EPS;
  /** native, graph or auto. */
  public static final Hyperparameter<UpdateKernel> KERNEL = UpdateKernel.hyperparameter();

  /** The declaration: the authors' defaults, L2 weight decay 0 (theirs). */
  public static final OptimizerSpec SPEC =
      OptimizerSpec.builder("adabound")
          .summary("AdaBound: Adam with per-element step sizes clamped to bounds that converge to finalLr")
          .source(
              "Luo et al., Adaptive Gradient Methods with Dynamic Bound of Learning Rate, ICLR 2019;"
                  + " Luolc/AdaBound adabound.py, with finalLr not rescaled by the lr schedule")
          .learningRate(1e-3)
          .weightDecay(WeightDecayMode.L2, 0.0)
          .hyperparameters(FINAL_LR, GAMMA, BETA1, BETA2, EPS, KERNEL)
          .factory(AdaBound::new)
          .build();

  private final double finalLr;
  private final double gamma;
  private final double beta1;
  private final double beta2;
  private final double eps;
  private final UpdateKernel kernel;

  /** AdaBound with the default configuration. */
  public AdaBound(Graph graph) {
    this(graph, builder().validate());
  }

  private AdaBound(Graph graph, OptimizerConfig config) {
    super(graph, config);
    this.finalLr = config.get(FINAL_LR);
    this.gamma = config.get(GAMMA);
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
    createZeroSlots(layers, "m", "v");
  }

  @Override
  protected void update(UpdateStep step) {
    Ops tf = step.tf();
    Operand<TFloat64> t = step.count();
    Operand<TFloat64> one = tf.constant(1.0);
    Operand<TFloat64> bc1 = tf.math.sub(one, tf.math.pow(tf.constant(beta1), t));
    Operand<TFloat64> bc2 = tf.math.sub(one, tf.math.pow(tf.constant(beta2), t));
    Operand<TFloat64> stepSize = tf.math.div(tf.math.mul(step.learningRate(), tf.math.sqrt(bc2)), bc1);
    Operand<TFloat64> gammaT = tf.math.mul(tf.constant(gamma), t);
    Operand<TFloat64> lower =
        tf.math.mul(tf.constant(finalLr), tf.math.sub(one, tf.math.div(one, tf.math.add(gammaT, one))));
    Operand<TFloat64> upper = tf.math.mul(tf.constant(finalLr), tf.math.add(one, tf.math.div(one, gammaT)));
    for (Layer<?> layer : step.layers()) {
      updateLayer(step, layer, stepSize, lower, upper);
    }
  }

  private <T extends TType> void updateLayer(
      UpdateStep step,
      Layer<T> layer,
      Operand<TFloat64> stepSize,
      Operand<TFloat64> lower,
      Operand<TFloat64> upper) {
    ElementwiseUpdate<T> u = ElementwiseUpdate.of(step, layer, kernel);
    Variable<T> mSlot = slot(layer, "m");
    Variable<T> vSlot = slot(layer, "v");
    ElementwiseUpdate<T>.Value g = u.gradient();
    ElementwiseUpdate<T>.Value m = u.ema(u.read(mSlot), g, beta1); // m = β1 m + (1 - β1) g
    ElementwiseUpdate<T>.Value v = u.ema(u.read(vSlot), u.square(g), beta2); // v = β2 v + (1 - β2) g²
    ElementwiseUpdate<T>.Value denominator = u.add(u.sqrt(v), u.constant(eps));
    // clamp(step / (sqrt(v) + eps), lower, upper) as ClipByValue computes it, min with upper, then max with lower
    // (the bound first, so that both kernels pass a NaN through)
    ElementwiseUpdate<T>.Value rate =
        u.max(u.scalar(lower), u.min(u.scalar(upper), u.div(u.scalar(stepSize), denominator)));
    ElementwiseUpdate<T>.Value start = u.decayedVariable();
    u.write(mSlot, m);
    u.write(vSlot, v);
    u.writeVariable(u.sub(start, u.mul(rate, m))); // x = x - clamp(…) m (after the base's decoupled decay, if any)
    u.apply();
  }

  /** Builds {@link AdaBound}. */
  public static final class Builder extends OptimizerBuilder<Builder, AdaBound>
      implements BuilderKeys.Betas<Builder>, BuilderKeys.Eps<Builder>, BuilderKeys.Kernel<Builder> {
    private Builder() {
      super(SPEC, AdaBound.class);
    }

    /** The rate both bounds converge to, &gt;= 0 (default 0.1). */
    public Builder finalLr(double value) {
      return set(FINAL_LR, value);
    }

    /** Convergence speed γ of the bounds, in (0, 1) (default 1e-3). */
    public Builder gamma(double value) {
      return set(GAMMA, value);
    }
  }
}
