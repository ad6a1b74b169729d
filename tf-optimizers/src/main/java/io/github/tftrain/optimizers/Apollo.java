package io.github.tftrain.optimizers;

import io.github.tftrain.optimizers.schedule.Schedule;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TType;

/**
 * Apollo: an adaptive parameter-wise diagonal quasi-Newton method (Ma, 2020).
 *
 * <p>The paper's Algorithm 1 is an image missing from its text; this follows the authors' code
 * ({@code optim/apollo.py}), which is the exact definition. State per variable: m, B, d (zeros); t is the global
 * step. Per step, for each variable x with gradient g (norms and sums over the elements of that variable):
 *
 * <pre>
 * curLr = t &lt; warmup ? initLr + (lr - initLr) t / warmup : lr(t)       (t before the increment)
 * l2:       g = g + wd x
 * t = t + 1;  α = (1 - β) / (1 - β^t);  Δg = g - m
 * constant: rb = σ,  e = eps / σ         belief: rb = max|Δg|,  e = eps
 * m = m + α Δg
 * den = ‖d‖₄ + e;  d = d / den;  v = d ⊙ d
 * δ = -α Σ((Δg / den) ⊙ d) - Σ(B ⊙ v);   B = B + δ v
 * D = constant: max(|B|, σ)              belief: max(|B|, rb) + e / α
 * d = m / D
 * decoupled: d = d + wd x                stable: d = d + (wd / mean(D)) x
 * x = x - curLr d
 * </pre>
 *
 * <p>The warmup interpolates towards the schedule's value at step 0 (the base lr); after warmup the schedule
 * replaces lr, as torch schedulers do with the authors' code. {@link #learningRate()} is curLr, the rate the step
 * applies (the warmup's during warmup).
 *
 * <p>Defaults: lr 0.01, β 0.9, eps 1e-4, rebound constant, σ 0.01, warmup 500, initLr lr/1000, weight decay 0 of
 * type l2 (constant rebound) or decoupled (belief rebound).
 */
public final class Apollo extends LossAwareOptimizer {

  /** How the curvature estimate is bounded away from zero. */
  public enum Rebound {
    /** max(|B|, σ). */
    CONSTANT,
    /** max(|B|, max|Δg|) + eps/α. */
    BELIEF
  }

  /** Where weight decay enters. */
  public enum WeightDecayType {
    /** Added to the gradient before the update. */
    L2,
    /** Added to the update direction. */
    DECOUPLED,
    /** Added to the direction, scaled by 1 / mean(D). */
    STABLE
  }

  private final Config config;
  private final UpdateKernel kernel;
  private final Map<String, Slots> slots = new LinkedHashMap<>();

  /** Apollo with the default configuration. */
  public Apollo(Graph graph) {
    this(graph, builder().validate());
  }

  private Apollo(Graph graph, OptimizerConfig configuration) {
    super(graph, configuration);
    this.config = new Config(configuration);
    this.kernel = config.kernel.resolve("apollo");
  }

  /** The kernel the update runs on here: NATIVE or GRAPH. */
  public UpdateKernel kernel() {
    return kernel;
  }

  /** A builder with the documented defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** The configuration this optimizer was built with. */
  public Config config() {
    return config;
  }

  @Override
  protected void build(List<Layer<?>> layers) {
    for (Layer<?> layer : layers) {
      slots.put(
          layer.name(),
          new Slots(
              createZeroSlot(layer, "exp_avg_grad"),
              createZeroSlot(layer, "approx_hessian"),
              createZeroSlot(layer, "update")));
    }
  }

  /**
   * curLr: a linear warmup from initLr to the base lr over the first {@code warmup} steps, then the schedule. This is
   * what {@link #learningRate()} reports and what {@link UpdateStep#learningRate()} gives {@link #update}.
   */
  @Override
  protected Operand<TFloat64> stepLearningRate(Ops tf, Operand<TInt64> step, Operand<TFloat64> scheduled) {
    if (config.warmup == 0) {
      return scheduled;
    }
    Operand<TFloat64> t = tf.dtypes.cast(step, TFloat64.class);
    double base = config.lr.initialValue();
    Operand<TFloat64> warm =
        tf.math.add(
            tf.constant(config.initLr),
            tf.math.mul(tf.constant((base - config.initLr) / config.warmup), t));
    return tf.select(tf.math.less(t, tf.constant((double) config.warmup)), warm, scheduled);
  }

  @Override
  protected void update(UpdateStep step) {
    Ops tf = step.tf();
    Operand<TFloat64> learningRate = step.learningRate(); // curLr, warmup included (stepLearningRate)
    Operand<TFloat64> t = step.stepAsDouble();
    // Bias-corrected averaging weight α = (1 - β) / (1 - β^t), t after the increment.
    Operand<TFloat64> tNext = tf.math.add(t, tf.constant(1.0));
    Operand<TFloat64> alpha =
        tf.math.div(
            tf.constant(1 - config.beta),
            tf.math.sub(tf.constant(1.0), tf.math.pow(tf.constant(config.beta), tNext)));
    for (Layer<?> layer : step.layers()) {
      if (kernel == UpdateKernel.NATIVE) {
        nativeUpdate(step, layer, alpha, learningRate);
      } else {
        updateLayer(step, layer, alpha, learningRate);
      }
    }
  }

  /** The same update as {@link #updateLayer}, in the fused kernel: two passes over the variable, in place. */
  private void nativeUpdate(UpdateStep step, Layer<?> layer, Operand<TFloat64> alpha, Operand<TFloat64> lr) {
    Slots s = slots.get(layer.name());
    step.inPlace(
        after ->
            NativeKernels.op(
                after
                    .scope()
                    .opBuilder(NativeKernels.APOLLO, "apollo_update")
                    .addInput(layer.variable())
                    .addInput(s.expAvgGrad.asOutput())
                    .addInput(s.approxHessian.asOutput())
                    .addInput(s.update.asOutput())
                    .addInput(layer.gradient().asOutput())
                    .addInput(lr.asOutput())
                    .addInput(alpha.asOutput())
                    .addInput(after.constant(config.eps).asOutput())
                    .addInput(after.constant(config.sigma).asOutput())
                    .addInput(after.constant(config.weightDecay).asOutput())
                    .setAttr("T", layer.gradient().asOutput().dataType())
                    .setAttr("rebound", config.rebound.name().toLowerCase(java.util.Locale.ROOT))
                    .setAttr("weight_decay_type", config.weightDecayType.name().toLowerCase(java.util.Locale.ROOT))
                    .build()));
  }

  private <T extends TType> void updateLayer(
      UpdateStep step, Layer<T> layer, Operand<TFloat64> alphaDouble, Operand<TFloat64> lrDouble) {
    Ops tf = step.tf();
    Class<T> type = layer.type();
    @SuppressWarnings("unchecked")
    Slots s = slots.get(layer.name());
    Variable<T> mSlot = s.typed(s.expAvgGrad);
    Variable<T> bSlot = s.typed(s.approxHessian);
    Variable<T> dSlot = s.typed(s.update);
    Operand<T> x = layer.value();
    Operand<T> m = tf.identity(mSlot);
    Operand<T> b = tf.identity(bSlot);
    Operand<T> d = tf.identity(dSlot);
    Operand<T> alpha = step.cast(alphaDouble, type);
    Operand<T> wd = step.cast(tf.constant(config.weightDecay), type);

    Operand<T> g = layer.gradient();
    if (config.weightDecay != 0 && config.weightDecayType == WeightDecayType.L2) {
      g = Tensors.add(tf, g, Tensors.mul(tf, wd, x));
    }
    Operand<T> deltaGrad = Tensors.sub(tf, g, m);

    Operand<T> rebound;
    Operand<T> e;
    if (config.rebound == Rebound.CONSTANT) {
      rebound = step.cast(tf.constant(config.sigma), type);
      e = step.cast(tf.constant(config.eps / config.sigma), type);
    } else {
      rebound = Tensors.max(tf, Tensors.abs(tf, deltaGrad));
      e = step.cast(tf.constant(config.eps), type);
    }

    Operand<T> mNew = Tensors.add(tf, m, Tensors.mul(tf, alpha, deltaGrad));

    // den = ‖d‖₄ + e;  d = d / den;  v = d ⊙ d
    Operand<T> dSquared = Tensors.square(tf, d);
    Operand<T> norm4 = Tensors.sqrt(tf, Tensors.sqrt(tf, Tensors.sum(tf, Tensors.square(tf, dSquared))));
    Operand<T> den = Tensors.add(tf, norm4, e);
    Operand<T> dScaled = Tensors.div(tf, d, den);
    Operand<T> v = Tensors.square(tf, dScaled);

    // δ = -α Σ((Δg / den) ⊙ d) - Σ(B ⊙ v);  B = B + δ v
    Operand<T> projected = Tensors.sum(tf, Tensors.mul(tf, Tensors.div(tf, deltaGrad, den), dScaled));
    Operand<T> curvature = Tensors.sum(tf, Tensors.mul(tf, b, v));
    Operand<T> delta = Tensors.sub(tf, Tensors.neg(tf, Tensors.mul(tf, alpha, projected)), curvature);
    Operand<T> bNew = Tensors.add(tf, b, Tensors.mul(tf, delta, v));

    // D and the direction d = m / D
    Operand<T> denominator;
    if (config.rebound == Rebound.CONSTANT) {
      denominator = Tensors.maximum(tf, Tensors.abs(tf, bNew), rebound);
    } else {
      denominator =
          Tensors.add(tf, Tensors.maximum(tf, Tensors.abs(tf, bNew), rebound), Tensors.div(tf, e, alpha));
    }
    Operand<T> direction = Tensors.div(tf, mNew, denominator);
    if (config.weightDecay != 0 && config.weightDecayType == WeightDecayType.DECOUPLED) {
      direction = Tensors.add(tf, direction, Tensors.mul(tf, wd, x));
    } else if (config.weightDecay != 0 && config.weightDecayType == WeightDecayType.STABLE) {
      Operand<T> scaled = Tensors.div(tf, wd, Tensors.mean(tf, denominator));
      direction = Tensors.add(tf, direction, Tensors.mul(tf, scaled, x));
    }
    Operand<T> xNew = Tensors.sub(tf, x, Tensors.mul(tf, step.cast(lrDouble, type), direction));

    step.assign(mSlot, mNew);
    step.assign(bSlot, bNew);
    step.assign(dSlot, direction);
    step.assign(layer.variable(), xNew);
  }

  /** The three per-variable state tensors. */
  private static final class Slots {
    final Variable<? extends TType> expAvgGrad;
    final Variable<? extends TType> approxHessian;
    final Variable<? extends TType> update;

    Slots(Variable<? extends TType> m, Variable<? extends TType> b, Variable<? extends TType> d) {
      this.expAvgGrad = m;
      this.approxHessian = b;
      this.update = d;
    }

    @SuppressWarnings("unchecked")
    <T extends TType> Variable<T> typed(Variable<? extends TType> v) {
      return (Variable<T>) v;
    }
  }

  /** β. */
  public static final Hyperparameter<Double> BETA =
      Hyperparameter.real("beta", 0.9, Range.unitInterval(), "averaging of the gradient");
  /** eps. */
  public static final Hyperparameter<Double> EPS =
      Hyperparameter.real(
          "eps", 1e-4, Range.above(0), "> 0 (the authors allow 0, which divides 0 by 0 on the first step)");
  /** The rebound. */
  public static final Hyperparameter<Rebound> REBOUND =
      Hyperparameter.choice(
          "rebound", Rebound.class, Rebound.CONSTANT,
          "constant (max(|B|, σ)) or belief (max(|B|, max|Δg|) + eps/α)");
  /** σ. */
  public static final Hyperparameter<Double> SIGMA =
      Hyperparameter.real(
          "sigma", 0.01, Range.above(0), "σ of the constant rebound (the authors' code fixes it at 0.01)");
  /** Warmup steps. */
  public static final Hyperparameter<Long> WARMUP =
      Hyperparameter.integer("warmup", 500, Range.atLeast(0), "linear warmup from initLr to lr over these steps");
  /** The warmup's starting rate. */
  public static final Hyperparameter<Double> INIT_LR =
      Hyperparameter.real("initLr", 0.0, Range.atLeast(0), "learning rate at step 0 of the warmup, in [0, lr]")
          .withDerivedDefault("lr/1000");
  /** Weight decay. */
  public static final Hyperparameter<Double> WEIGHT_DECAY =
      Hyperparameter.real("weightDecay", 0.0, Range.atLeast(0), "weight decay (see weightDecayType)");
  /** Where weight decay enters. */
  public static final Hyperparameter<WeightDecayType> WEIGHT_DECAY_TYPE =
      Hyperparameter.choice(
              "weightDecayType", WeightDecayType.class, WeightDecayType.L2,
              "l2, decoupled or stable (default: l2 with constant rebound, decoupled with belief)")
          .withDerivedDefault("l2 (constant), decoupled (belief)");
  /** The update kernel. */
  public static final Hyperparameter<UpdateKernel> KERNEL =
      Hyperparameter.choice("kernel", UpdateKernel.class, UpdateKernel.AUTO, "native, graph or auto");

  /** The declaration: the authors' defaults. */
  public static final OptimizerSpec SPEC =
      OptimizerSpec.builder("apollo")
          .summary("Apollo: an adaptive parameter-wise diagonal quasi-Newton method")
          .source("Ma, Apollo, 2020; Algorithm 1 as in the authors' optim/apollo.py")
          .learningRate(0.01, "learning rate after warmup (a schedule replaces it after warmup)")
          .hyperparameters(BETA, EPS, REBOUND, SIGMA, WARMUP, INIT_LR, WEIGHT_DECAY, WEIGHT_DECAY_TYPE, KERNEL)
          .check(Config::new)
          .factory(Apollo::new)
          .build();

  /** The validated hyperparameters, with the derived defaults resolved. */
  public static final class Config {
    public final io.github.tftrain.optimizers.schedule.Schedule lr;
    public final double beta;
    public final double eps;
    public final Rebound rebound;
    public final double sigma;
    /** Warmup steps: the first {@code warmup} steps apply the warmup's rate instead of the schedule's. */
    public final long warmup;
    public final double initLr;
    public final double weightDecay;
    public final WeightDecayType weightDecayType;
    /** The requested update kernel (see {@link UpdateKernel}). */
    public final UpdateKernel kernel;

    Config(OptimizerConfig c) {
      String opt = "apollo";
      this.kernel = c.get(KERNEL);
      this.lr = c.learningRate();
      double base = lr.initialValue();
      if (!(base > 0)) {
        throw Hyperparameters.invalid(opt, "lr", "> 0 at step 0 (the warmup's target)", base);
      }
      this.beta = c.get(BETA);
      this.eps = c.get(EPS);
      this.rebound = c.get(REBOUND);
      this.sigma = c.get(SIGMA);
      this.warmup = c.get(WARMUP);
      double init = c.get(INIT_LR, base / 1000);
      if (!(init >= 0 && init <= base)) {
        throw Hyperparameters.invalid(opt, "initLr", "in [0, lr] = [0, " + base + "]", init);
      }
      this.initLr = init;
      this.weightDecay = c.get(WEIGHT_DECAY);
      this.weightDecayType =
          c.get(WEIGHT_DECAY_TYPE, rebound == Rebound.CONSTANT ? WeightDecayType.L2 : WeightDecayType.DECOUPLED);
    }
  }

  /** Builds {@link Apollo}. */
  public static final class Builder extends OptimizerBuilder<Builder, Apollo>
      implements BuilderKeys.Eps<Builder>, BuilderKeys.Kernel<Builder> {
    private Builder() {
      super(SPEC, Apollo.class);
    }

    /** Averaging coefficient β in [0, 1) (default 0.9). */
    public Builder beta(double value) {
      return set(BETA, value);
    }

    /** constant (default) or belief. */
    public Builder rebound(Rebound value) {
      return set(REBOUND, value);
    }

    /** σ > 0, the constant rebound (default 0.01). */
    public Builder sigma(double value) {
      return set(SIGMA, value);
    }

    /** Number of warmup steps >= 0 (default 500): the first steps apply initLr + (lr - initLr) t / warmup. */
    public Builder warmup(long value) {
      return set(WARMUP, value);
    }

    /** Learning rate at step 0 of the warmup, in [0, lr] (default lr/1000). */
    public Builder initLr(double value) {
      return set(INIT_LR, value);
    }

    /** l2, decoupled or stable (default: l2 with constant rebound, decoupled with belief). */
    public Builder weightDecayType(WeightDecayType value) {
      return set(WEIGHT_DECAY_TYPE, value);
    }

    /** The typed configuration this builder would build with (validated, no graph needed). */
    public Config config() {
      return new Config(validate());
    }
  }
}
