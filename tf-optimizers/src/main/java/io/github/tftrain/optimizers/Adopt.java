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
 * ADOPT (Taniguchi et al. 2024): Adam with the gradient normalised by the second moment of the <em>previous</em>
 * steps, and the momentum taken after the normalisation, which makes it converge for any β2.
 *
 * <pre>
 * t = 1:   v = g²                                       (x and m stay as they are)
 * t ≥ 2:   n = g / max(sqrt(v), eps)
 *          clip: n = clamp(n, -t^¼, t^¼)
 *          m = β1 m + (1 - β1) n
 *          x = x - lr m
 *          v = β2 v + (1 - β2) g²
 * </pre>
 *
 * <p>Weight decay is the base's, with the authors' two modes: {@code l2} (the default, as the authors'
 * {@code decouple=False}) adds wd x to g, so it also enters v at t = 1; {@code decoupled} is x = x (1 - lr wd) before
 * the step on every step that moves x (t ≥ 2), as the authors' {@code decouple=True}; at t = 1 x stays bitwise
 * unchanged in both modes. The first step is selected in the graph on t = 1 (no control flow).
 *
 * <p>The update runs as graph ops or as one fused native pass over x, m, v and g (kernel=auto|native|graph; see
 * {@link ElementwiseUpdate}).
 *
 * <p>Note: the clip bound is t^¼ with t the 1-based step, as the task states it; the authors' code calls its
 * {@code clip_lambda} with the number of steps before this one (t - 1), i.e. (t - 1)^¼.
 *
 * <p>Defaults: lr 1e-3, β1 0.9, β2 0.9999, eps 1e-6, clip true, weight decay 0 (l2). Source: Taniguchi et al.,
 * ADOPT: Modified Adam Can Converge with Any β2 with the Optimal Rate, NeurIPS 2024; iShohei220/adopt.
 */
public final class Adopt extends LossAwareOptimizer {
  /** β1: decay of the momentum of the normalised gradient. */
  public static final Hyperparameter<Double> BETA1 =
      Hyperparameter.real("beta1", 0.9, Range.unitInterval(), "decay of the momentum of the normalised gradient");
  /** β2: decay of the second moment. */
  public static final Hyperparameter<Double> BETA2 =
      Hyperparameter.real("beta2", 0.9999, Range.unitInterval(), "decay of the second moment");
  /** eps: the floor of sqrt(v). */
  public static final Hyperparameter<Double> EPS =
      Hyperparameter.real("eps", 1e-6, Range.atLeast(0), "lower bound of sqrt(v) in the normalisation");
  /** Clip the normalised gradient to ±t^¼. */
  public static final Hyperparameter<Boolean> CLIP =
      Hyperparameter.flag("clip", true, "clip the normalised gradient to [-t^¼, t^¼] (t the 1-based step)");

  /** native, graph or auto. */
  public static final Hyperparameter<UpdateKernel> KERNEL = UpdateKernel.hyperparameter();

  /** The declaration: name, source, the authors' defaults. */
  public static final OptimizerSpec SPEC =
      OptimizerSpec.builder("adopt")
          .summary("ADOPT: Adam normalised by the previous steps' second moment, momentum after normalising")
          .source(
              "Taniguchi et al., ADOPT: Modified Adam Can Converge with Any β2 with the Optimal Rate, NeurIPS 2024;"
                  + " iShohei220/adopt")
          .learningRate(1e-3)
          .weightDecay(WeightDecayMode.L2, 0.0)
          .hyperparameters(BETA1, BETA2, EPS, CLIP, KERNEL)
          .factory(Adopt::new)
          .build();

  private final double beta1;
  private final double beta2;
  private final double eps;
  private final boolean clip;
  private final UpdateKernel kernel;

  /** ADOPT with the default configuration. */
  public Adopt(Graph graph) {
    this(graph, builder().validate());
  }

  private Adopt(Graph graph, OptimizerConfig config) {
    super(graph, config);
    this.beta1 = config.get(BETA1);
    this.beta2 = config.get(BETA2);
    this.eps = config.get(EPS);
    this.clip = config.get(CLIP);
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
    Operand<TBool> first = tf.math.equal(t, tf.constant(1.0));
    Operand<TFloat64> bound = clip ? tf.math.sqrt(tf.math.sqrt(t)) : null;
    for (Layer<?> layer : step.layers()) {
      updateLayer(step, layer, first, bound);
    }
  }

  private <T extends TType> void updateLayer(
      UpdateStep step, Layer<T> layer, Operand<TBool> first, Operand<TFloat64> bound) {
    // With clip and decoupled decay the native program takes 12 scalars, its limit: eps, t^¼, β1, 1 - β1, lr, the
    // decay's lr and wd, β2, 1 - β2 and the three selects' flags.
    ElementwiseUpdate<T> u = ElementwiseUpdate.of(step, layer, kernel);
    Variable<T> mSlot = slot(layer, "m");
    Variable<T> vSlot = slot(layer, "v");
    ElementwiseUpdate<T>.Value g = u.gradient();
    ElementwiseUpdate<T>.Value m = u.read(mSlot);
    ElementwiseUpdate<T>.Value v = u.read(vSlot);
    ElementwiseUpdate<T>.Value g2 = u.square(g);

    // n = g / max(sqrt(v), eps), clipped to ±t^¼
    ElementwiseUpdate<T>.Value n = u.div(g, u.max(u.sqrt(v), u.constant(eps)));
    if (bound != null) {
      ElementwiseUpdate<T>.Value c = u.scalar(bound);
      n = u.min(u.max(n, u.neg(c)), c);
    }
    // m = β1 m + (1 - β1) n;  x = x - lr m  (x after the base's decoupled decay, if any)
    ElementwiseUpdate<T>.Value mNext = u.ema(m, n, beta1);
    ElementwiseUpdate<T>.Value lr = u.scalar(step.learningRate());
    ElementwiseUpdate<T>.Value xNext = u.sub(u.decayedVariable(), u.mul(lr, mNext));
    // v = β2 v + (1 - β2) g²;  at t = 1: v = g²
    ElementwiseUpdate<T>.Value vNext = u.ema(v, g2, beta2);

    // At t = 1 the selects pass the read values through untouched (bitwise), whatever n was.
    u.write(mSlot, u.select(first, m, mNext));
    u.write(vSlot, u.select(first, g2, vNext));
    u.writeVariable(u.select(first, u.variable(), xNext));
    u.apply();
  }

  /** Builds {@link Adopt}. */
  public static final class Builder extends OptimizerBuilder<Builder, Adopt>
      implements BuilderKeys.Betas<Builder>, BuilderKeys.Eps<Builder>, BuilderKeys.Kernel<Builder> {
    private Builder() {
      super(SPEC, Adopt.class);
    }

    /** Clip the normalised gradient to ±t^¼ (default true). */
    public Builder clip(boolean value) {
      return set(CLIP, value);
    }
  }
}
