package io.github.tftrain.optimizers;

import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TType;

/**
 * MARS-AdamW (Yuan et al. 2024), the approximate variant: AdamW driven by a variance-reduced gradient built from the
 * previous step's gradient. Per variable x with gradient g (t the 1-based step, ‖·‖ the variable's Frobenius norm):
 *
 * <pre>
 * x = x - lr wd x                                   (the base's decoupled weight decay)
 * c = g + γ β1 / (1 - β1) (g - g_prev)              (g_prev = 0 at t = 1; a slot, then g_prev = g)
 * if ‖c‖ &gt; 1:  c = c / ‖c‖
 * m = β1 m + (1 - β1) c
 * v = β2 v + (1 - β2) c²
 * x = x - lr (m / (1 - β1^t)) / (sqrt(v / (1 - β2^t)) + eps)
 * </pre>
 *
 * <p>The whole step reads {@code x} before the decay: {@code x ← x(1 − lr·wd) − lr·update}. The clip's divisor
 * {@code max(‖c‖, 1)} is formed in float64 and cast back, so float64 variables compute everything in float64. The
 * bias corrections are float64 scalars. With {@code kernel=native} the update is a read-only pass summing ‖c‖² (in
 * float64), then one fused element-wise pass that also stores g as the next g_prev; with {@code kernel=graph} stock
 * ops, ‖c‖² one {@code L2Loss} (see {@link ElementwiseUpdate#sumsOfSquares}).
 *
 * <p>Differences from the authors' {@code MARS/optimizers/mars.py}: there, with the default
 * {@code optimize_1d=False}, variables that are not 2-D are updated by plain AdamW with their own betas (0.9, 0.95),
 * learning rate and weight decay; here every variable gets the MARS update above. Their denominator
 * {@code (sqrt(v)/sqrt(bc2) + eps)·bc1} is the same quantity as the one above up to round-off.
 *
 * <p>Defaults: lr 3e-3, β1 0.95, β2 0.99, γ 0.025, eps 1e-8, decoupled weight decay 0.
 */
public final class Mars extends LossAwareOptimizer {
  /** β1: decay of the first moment; also scales the correction, γ·β1/(1 − β1). */
  public static final Hyperparameter<Double> BETA1 =
      Hyperparameter.real(
          "beta1", 0.95, Range.unitInterval(), "decay of the first moment (the correction is scaled by γ·β1/(1 − β1))");
  /** β2: decay of the second moment. */
  public static final Hyperparameter<Double> BETA2 =
      Hyperparameter.real("beta2", 0.99, Range.unitInterval(), "decay of the second moment of c");
  /** γ: scale of the variance-reduction correction. */
  public static final Hyperparameter<Double> GAMMA =
      Hyperparameter.real(
          "gamma", 0.025, Range.atLeast(0),
          "scale γ of the correction c = g + γ·β1/(1 − β1)·(g − g_prev) (0 = AdamW on the norm-clipped gradient)");
  /** eps: added to the denominator. */
  public static final Hyperparameter<Double> EPS =
      Hyperparameter.real("eps", 1e-8, Range.atLeast(0), "added to the denominator");

  /** native, graph or auto: the norm's pass and the element-wise step. */
  public static final Hyperparameter<UpdateKernel> KERNEL = UpdateKernel.hyperparameter();

  /** The declaration: the paper's MARS-AdamW defaults, decoupled weight decay 0. */
  public static final OptimizerSpec SPEC =
      OptimizerSpec.builder("mars")
          .summary("MARS-AdamW: AdamW on a variance-reduced gradient c = g + γβ1/(1−β1)(g − g_prev), clipped to norm 1")
          .source(
              "Yuan et al., MARS: Unleashing the Power of Variance Reduction for Training Large Models, 2024;"
                  + " approximate MARS-AdamW (previous step's gradient) on every variable")
          .learningRate(3e-3)
          .weightDecay(WeightDecayMode.DECOUPLED, 0.0)
          .hyperparameters(BETA1, BETA2, GAMMA, EPS, KERNEL)
          .factory(Mars::new)
          .build();

  private final double beta1;
  private final double beta2;
  private final double gamma;
  private final double eps;
  private final UpdateKernel kernel;

  /** MARS with the default configuration. */
  public Mars(Graph graph) {
    this(graph, builder().validate());
  }

  private Mars(Graph graph, OptimizerConfig config) {
    super(graph, config);
    this.beta1 = config.get(BETA1);
    this.beta2 = config.get(BETA2);
    this.gamma = config.get(GAMMA);
    this.eps = config.get(EPS);
    this.kernel = config.get(KERNEL).resolve(config.spec().name());
  }

  /** A builder with the documented defaults. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  protected void build(List<Layer<?>> layers) {
    createZeroSlots(layers, "m", "v", "g_prev");
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
    Variable<T> mSlot = slot(layer, "m");
    Variable<T> vSlot = slot(layer, "v");
    Variable<T> gPrevSlot = slot(layer, "g_prev");
    ElementwiseUpdate<T> u = ElementwiseUpdate.of(step, layer, kernel);
    ElementwiseUpdate<T>.Value g = u.gradient();
    // c before the clip; its norm is a reduction over the whole tensor (a read-only pass first, when native).
    ElementwiseUpdate<T>.Value rawC =
        u.add(g, u.mul(u.constant(gamma * (beta1 / (1 - beta1))), u.sub(g, u.read(gPrevSlot))));
    Operand<TFloat64> cNorm = tf.math.sqrt(u.sumsOfSquares(List.of(rawC)).get(0));
    // if ‖c‖ > 1: c = c / ‖c‖  ⇔  c = c / max(‖c‖, 1) (a division by exactly 1 otherwise)
    ElementwiseUpdate<T>.Value c = u.div(rawC, u.scalar(tf.math.maximum(cNorm, tf.constant(1.0))));
    ElementwiseUpdate<T>.Value m = u.ema(u.read(mSlot), c, beta1);
    ElementwiseUpdate<T>.Value v = u.ema(u.read(vSlot), u.square(c), beta2);
    ElementwiseUpdate<T>.Value denominator = u.add(u.sqrt(u.div(v, u.scalar(bc2))), u.constant(eps));
    u.write(gPrevSlot, g);
    u.write(mSlot, m);
    u.write(vSlot, v);
    u.descend(u.div(u.div(m, u.scalar(bc1)), denominator));
    u.apply();
  }

  /** Builds {@link Mars}. */
  public static final class Builder extends OptimizerBuilder<Builder, Mars>
      implements BuilderKeys.Betas<Builder>, BuilderKeys.Eps<Builder>, BuilderKeys.Kernel<Builder> {
    private Builder() {
      super(SPEC, Mars.class);
    }

    /** γ &gt;= 0, the correction's scale (default 0.025). */
    public Builder gamma(double value) {
      return set(GAMMA, value);
    }
  }
}
