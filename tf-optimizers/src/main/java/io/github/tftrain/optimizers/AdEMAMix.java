package io.github.tftrain.optimizers;

import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TType;

/**
 * AdEMAMix (Pagliardini et al. 2024): Adam whose numerator mixes the usual fast EMA of the gradient with a much slower
 * one, weighted by α; α and the slow decay β3 can be warmed up.
 *
 * <pre>
 * t = t + 1;  bc_i = 1 - β_i^t
 * α(t)  = Tα &gt; 0 ? min(t α / Tα, α) : α
 * β3(t) = T &gt; 0 ? min(exp(ln β1 ln β3 / ((1 - t/T) ln β3 + (t/T) ln β1)), β3) : β3
 * m1 = β1 m1 + (1 - β1) g
 * m2 = β3(t) m2 + (1 - β3(t)) g
 * ν  = β2 ν + (1 - β2) g²
 * x  = x - lr ((m1 / bc1 + α(t) m2) / (sqrt(ν / bc2) + eps) + wd x)     (the base's decoupled weight decay)
 * </pre>
 *
 * <p>β3(t) interpolates the half-life of the slow EMA linearly from β1's to β3's over T steps (the paper's f_β3); the
 * slow EMA is not bias-corrected. With a warmup of β3, β1 must be &gt; 0 (its logarithm) and β3 &gt;= β1 (beyond T the
 * min caps the schedule at β3 only when it rises). The authors' code computes the same β3(t) through half-lives, with
 * 1e-8 added to β inside its logarithm.
 *
 * <p>The update runs as graph ops or as one fused native pass over x, m1, m2 and ν (kernel=auto|native|graph).
 *
 * <p>Defaults: lr 1e-3, β1 0.9, β2 0.999, β3 0.9999, α 5, eps 1e-8, weight decay 0 (decoupled), no warmups. Source:
 * Pagliardini et al., The AdEMAMix Optimizer: Better, Faster, Older, 2024 (Algorithm 1); apple/ml-ademamix.
 */
public final class AdEMAMix extends LossAwareOptimizer {
  /** β3: decay of the slow EMA (its final value with a warmup). */
  public static final Hyperparameter<Double> BETA3 =
      Hyperparameter.real("beta3", 0.9999, Range.unitInterval(), "decay of the slow EMA m2 (after its warmup)");
  /** α: weight of the slow EMA. */
  public static final Hyperparameter<Double> ALPHA =
      Hyperparameter.real("alpha", 5.0, Range.atLeast(0), "weight α of the slow EMA (after its warmup)");
  /** Tα: steps of the linear warmup of α. */
  public static final Hyperparameter<Long> ALPHA_WARMUP =
      Hyperparameter.integer(
          "alphaWarmup", 0, Range.atLeast(0), "steps Tα of α's linear warmup, α(t) = min(tα/Tα, α) (0 = none)");
  /** T: steps of the warmup of β3. */
  public static final Hyperparameter<Long> BETA3_WARMUP =
      Hyperparameter.integer(
          "beta3Warmup", 0, Range.atLeast(0),
          "steps T of β3's warmup from β1, linear in the EMA's half-life (0 = none; needs 0 < β1 <= β3)");
  /** native, graph or auto. */
  public static final Hyperparameter<UpdateKernel> KERNEL = UpdateKernel.hyperparameter();

  /** The declaration: name, source, the paper's defaults. */
  public static final OptimizerSpec SPEC =
      OptimizerSpec.builder("ademamix")
          .summary("AdEMAMix: Adam with a mixture of a fast and a slow EMA of the gradient")
          .source("Pagliardini et al., The AdEMAMix Optimizer: Better, Faster, Older, 2024; apple/ml-ademamix")
          .learningRate(1e-3)
          .weightDecay(WeightDecayMode.DECOUPLED, 0.0)
          .hyperparameters(Adam.BETA1, Adam.BETA2, BETA3, ALPHA, Adam.EPS, ALPHA_WARMUP, BETA3_WARMUP, KERNEL)
          .check(
              c -> {
                if (c.get(BETA3_WARMUP) > 0) {
                  if (c.get(Adam.BETA1) == 0) {
                    throw Hyperparameters.invalid(
                        "ademamix", "beta1", "> 0 with beta3Warmup > 0 (β3's warmup starts at β1)", c.get(Adam.BETA1));
                  }
                  if (c.get(BETA3) < c.get(Adam.BETA1)) {
                    throw Hyperparameters.invalid(
                        "ademamix", "beta3",
                        ">= beta1 = " + c.get(Adam.BETA1) + " with beta3Warmup > 0 (the warmup raises β3 from β1)",
                        c.get(BETA3));
                  }
                }
              })
          .factory(AdEMAMix::new)
          .build();

  private final double beta1;
  private final double beta2;
  private final double beta3;
  private final double alpha;
  private final double eps;
  private final long alphaWarmup;
  private final long beta3Warmup;
  private final UpdateKernel kernel;

  /** AdEMAMix with the default configuration. */
  public AdEMAMix(Graph graph) {
    this(graph, builder().validate());
  }

  private AdEMAMix(Graph graph, OptimizerConfig config) {
    super(graph, config);
    this.beta1 = config.get(Adam.BETA1);
    this.beta2 = config.get(Adam.BETA2);
    this.beta3 = config.get(BETA3);
    this.alpha = config.get(ALPHA);
    this.eps = config.get(Adam.EPS);
    this.alphaWarmup = config.get(ALPHA_WARMUP);
    this.beta3Warmup = config.get(BETA3_WARMUP);
    this.kernel = config.get(KERNEL).resolve(config.spec().name());
  }

  /** A builder with the documented defaults. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  protected void build(List<Layer<?>> layers) {
    createZeroSlots(layers, "m1", "m2", "nu");
  }

  @Override
  protected void update(UpdateStep step) {
    Ops tf = step.tf();
    Operand<TFloat64> t = step.count();
    Operand<TFloat64> one = tf.constant(1.0);
    Operand<TFloat64> bc1 = tf.math.sub(one, tf.math.pow(tf.constant(beta1), t));
    Operand<TFloat64> bc2 = tf.math.sub(one, tf.math.pow(tf.constant(beta2), t));
    // α(t) = min(t α / Tα, α)
    Operand<TFloat64> alphaT = tf.constant(alpha);
    if (alphaWarmup > 0) {
      alphaT = tf.math.minimum(tf.math.mul(t, tf.constant(alpha / alphaWarmup)), alphaT);
    }
    // β3(t) = min(exp(ln β1 ln β3 / ((1 - t/T) ln β3 + (t/T) ln β1)), β3)
    Operand<TFloat64> beta3T = tf.constant(beta3);
    if (beta3Warmup > 0) {
      double lnBeta1 = Math.log(beta1);
      double lnBeta3 = Math.log(beta3);
      Operand<TFloat64> a = tf.math.div(t, tf.constant((double) beta3Warmup));
      Operand<TFloat64> mixed =
          tf.math.add(
              tf.math.mul(tf.math.sub(one, a), tf.constant(lnBeta3)), tf.math.mul(a, tf.constant(lnBeta1)));
      beta3T = tf.math.minimum(tf.math.exp(tf.math.div(tf.constant(lnBeta1 * lnBeta3), mixed)), beta3T);
    }
    Operand<TFloat64> oneMinusBeta3T = tf.math.sub(one, beta3T);
    for (Layer<?> layer : step.layers()) {
      updateLayer(step, layer, bc1, bc2, alphaT, beta3T, oneMinusBeta3T);
    }
  }

  private <T extends TType> void updateLayer(
      UpdateStep step,
      Layer<T> layer,
      Operand<TFloat64> bc1,
      Operand<TFloat64> bc2,
      Operand<TFloat64> alphaT,
      Operand<TFloat64> beta3T,
      Operand<TFloat64> oneMinusBeta3T) {
    ElementwiseUpdate<T> u = ElementwiseUpdate.of(step, layer, kernel);
    Variable<T> m1Slot = slot(layer, "m1");
    Variable<T> m2Slot = slot(layer, "m2");
    Variable<T> nuSlot = slot(layer, "nu");
    ElementwiseUpdate<T>.Value g = u.gradient();
    ElementwiseUpdate<T>.Value m1 = u.ema(u.read(m1Slot), g, beta1); // m1 = β1 m1 + (1 - β1) g
    // m2 = β3(t) m2 + (1 - β3(t)) g
    ElementwiseUpdate<T>.Value m2 =
        u.add(u.mul(u.scalar(beta3T), u.read(m2Slot)), u.mul(u.scalar(oneMinusBeta3T), g));
    ElementwiseUpdate<T>.Value nu = u.ema(u.read(nuSlot), u.square(g), beta2); // ν = β2 ν + (1 - β2) g²
    // (m1 / bc1 + α(t) m2) / (sqrt(ν / bc2) + eps)
    ElementwiseUpdate<T>.Value numerator = u.add(u.div(m1, u.scalar(bc1)), u.mul(u.scalar(alphaT), m2));
    ElementwiseUpdate<T>.Value denominator = u.add(u.sqrt(u.div(nu, u.scalar(bc2))), u.constant(eps));
    u.write(m1Slot, m1);
    u.write(m2Slot, m2);
    u.write(nuSlot, nu);
    u.descend(u.div(numerator, denominator)); // x = x (1 - lr wd) - lr direction (the base's decoupled decay)
    u.apply();
  }

  /** Builds {@link AdEMAMix}. */
  public static final class Builder extends OptimizerBuilder<Builder, AdEMAMix>
      implements BuilderKeys.Betas<Builder>, BuilderKeys.Eps<Builder>, BuilderKeys.Kernel<Builder> {
    private Builder() {
      super(SPEC, AdEMAMix.class);
    }

    /** β3 in [0, 1), decay of the slow EMA (default 0.9999). */
    public Builder beta3(double value) {
      return set(BETA3, value);
    }

    /** α >= 0, weight of the slow EMA (default 5). */
    public Builder alpha(double value) {
      return set(ALPHA, value);
    }

    /** Steps of α's linear warmup, 0 = none (default 0). */
    public Builder alphaWarmup(long value) {
      return set(ALPHA_WARMUP, value);
    }

    /** Steps of β3's warmup from β1, 0 = none (default 0). */
    public Builder beta3Warmup(long value) {
      return set(BETA3_WARMUP, value);
    }
  }
}
