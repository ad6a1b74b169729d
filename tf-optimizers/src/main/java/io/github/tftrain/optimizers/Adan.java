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
 * Adan, adaptive Nesterov momentum (Xie et al. 2022): Adam-like moments of the gradient, of the gradient's difference
 * and of a Nesterov-corrected gradient, with a proximal weight decay.
 *
 * <pre>
 * t = t + 1;  bc_i = 1 - β_i^t
 * d = g - g_prev                     (g_prev = g at t = 1, so d = 0 on the first step)
 * m = β1 m + (1 - β1) g
 * v = β2 v + (1 - β2) d
 * n = β3 n + (1 - β3) (g + β2 d)²
 * u = (m / bc1 + β2 v / bc2) / (sqrt(n) / sqrt(bc3) + eps)
 * noProx:  x = x (1 - lr wd) - lr u
 * else:    x = (x - lr u) / (1 + lr wd)
 * g_prev = g
 * </pre>
 *
 * <p>The betas are decay rates, as in the authors' code ({@code betas=(0.98, 0.92, 0.99)}, {@code m ← β1 m +
 * (1 - β1) g}); the paper writes their complements (β1 = 0.02, m ← (1 - β1) m + β1 g). Weight decay is Adan's own
 * (the proximal form is not the base's decoupled decay), so the base's {@code weightDecayMode} does not apply; the
 * base's {@code clipNorm} replaces the authors' {@code max_grad_norm}, and g_prev keeps the clipped gradient, as
 * theirs does.
 *
 * <p>Defaults: lr 1e-3, β1 0.98, β2 0.92, β3 0.99, eps 1e-8, weight decay 0, noProx false. Source: Xie et al., Adan:
 * Adaptive Nesterov Momentum Algorithm for Faster Optimizing Deep Models, 2022; sail-sg/Adan adan.py.
 */
public final class Adan extends LossAwareOptimizer {
  /** β1: decay of the gradient's average. */
  public static final Hyperparameter<Double> BETA1 =
      Hyperparameter.real("beta1", 0.98, Range.unitInterval(), "decay of the gradient's average m");
  /** β2: decay of the gradient difference's average, and its weight in the update and in n. */
  public static final Hyperparameter<Double> BETA2 =
      Hyperparameter.real(
          "beta2", 0.92, Range.unitInterval(), "decay of the gradient difference's average v (and its weight)");
  /** β3: decay of the second moment. */
  public static final Hyperparameter<Double> BETA3 =
      Hyperparameter.real("beta3", 0.99, Range.unitInterval(), "decay of the second moment n of g + β2 d");
  /** eps: added to the denominator. */
  public static final Hyperparameter<Double> EPS =
      Hyperparameter.real("eps", 1e-8, Range.atLeast(0), "added to the denominator");
  /** Adan's own weight decay (proximal unless noProx). */
  public static final Hyperparameter<Double> WEIGHT_DECAY =
      Hyperparameter.real(
          "weightDecay", 0.0, Range.atLeast(0),
          "weight decay: x = (x - lr u)/(1 + lr wd), or with noProx x = x(1 - lr wd) - lr u");
  /** Decoupled instead of proximal weight decay. */
  public static final Hyperparameter<Boolean> NO_PROX =
      Hyperparameter.flag(
          "noProx", false, "decay as x(1 - lr wd) before the step instead of dividing by (1 + lr wd) after it");

  /** The declaration: name, source, the authors' defaults. */
  public static final OptimizerSpec SPEC =
      OptimizerSpec.builder("adan")
          .summary("Adan: adaptive Nesterov momentum, with proximal weight decay")
          .source(
              "Xie et al., Adan: Adaptive Nesterov Momentum Algorithm for Faster Optimizing Deep Models, 2022;"
                  + " sail-sg/Adan adan.py")
          .learningRate(1e-3)
          .hyperparameters(BETA1, BETA2, BETA3, EPS, WEIGHT_DECAY, NO_PROX)
          .factory(Adan::new)
          .build();

  private final double beta1;
  private final double beta2;
  private final double beta3;
  private final double eps;
  private final double weightDecay;
  private final boolean noProx;

  /** Adan with the default configuration. */
  public Adan(Graph graph) {
    this(graph, builder().validate());
  }

  private Adan(Graph graph, OptimizerConfig config) {
    super(graph, config);
    this.beta1 = config.get(BETA1);
    this.beta2 = config.get(BETA2);
    this.beta3 = config.get(BETA3);
    this.eps = config.get(EPS);
    this.weightDecay = config.get(WEIGHT_DECAY);
    this.noProx = config.get(NO_PROX);
  }

  /** A builder with the documented defaults. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  protected void build(List<Layer<?>> layers) {
    for (Layer<?> layer : layers) {
      createZeroSlot(layer, "m");
      createZeroSlot(layer, "v");
      createZeroSlot(layer, "n");
      createZeroSlot(layer, "g_prev");
    }
  }

  @Override
  protected void update(UpdateStep step) {
    Ops tf = step.tf();
    Operand<TFloat64> t = step.count();
    Operand<TBool> first = tf.math.equal(t, tf.constant(1.0));
    Operand<TFloat64> one = tf.constant(1.0);
    Operand<TFloat64> bc1 = tf.math.sub(one, tf.math.pow(tf.constant(beta1), t));
    Operand<TFloat64> bc2 = tf.math.sub(one, tf.math.pow(tf.constant(beta2), t));
    Operand<TFloat64> bc3Sqrt = tf.math.sqrt(tf.math.sub(one, tf.math.pow(tf.constant(beta3), t)));
    for (Layer<?> layer : step.layers()) {
      updateLayer(step, layer, first, bc1, bc2, bc3Sqrt);
    }
  }

  private <T extends TType> void updateLayer(
      UpdateStep step,
      Layer<T> layer,
      Operand<TBool> first,
      Operand<TFloat64> bc1,
      Operand<TFloat64> bc2,
      Operand<TFloat64> bc3Sqrt) {
    Ops tf = step.tf();
    Class<T> type = layer.type();
    Operand<T> g = layer.gradient();
    Variable<T> mSlot = slot(layer, "m");
    Variable<T> vSlot = slot(layer, "v");
    Variable<T> nSlot = slot(layer, "n");
    Variable<T> gPrevSlot = slot(layer, "g_prev");

    // d = g - g_prev, with g_prev = g on the first step (d = 0 exactly)
    Operand<T> gPrev = tf.select(first, g, step.read(gPrevSlot));
    Operand<T> d = Tensors.sub(tf, g, gPrev);
    Operand<T> b2 = step.scalar(beta2, type);
    Operand<T> m = ema(step, step.read(mSlot), g, beta1);
    Operand<T> v = ema(step, step.read(vSlot), d, beta2);
    Operand<T> n = ema(step, step.read(nSlot), Tensors.square(tf, Tensors.add(tf, g, Tensors.mul(tf, b2, d))), beta3);

    // u = (m / bc1 + β2 v / bc2) / (sqrt(n) / sqrt(bc3) + eps)
    Operand<T> numerator =
        Tensors.add(
            tf,
            Tensors.div(tf, m, step.cast(bc1, type)),
            Tensors.div(tf, Tensors.mul(tf, b2, v), step.cast(bc2, type)));
    Operand<T> denominator =
        Tensors.add(tf, Tensors.div(tf, Tensors.sqrt(tf, n), step.cast(bc3Sqrt, type)), step.scalar(eps, type));
    Operand<T> u = Tensors.div(tf, numerator, denominator);

    Operand<T> lr = step.cast(step.learningRate(), type);
    Operand<T> x = layer.value();
    Operand<T> xNew;
    if (weightDecay == 0) {
      xNew = Tensors.sub(tf, x, Tensors.mul(tf, lr, u));
    } else if (noProx) {
      // x = x (1 - lr wd) - lr u
      Operand<T> keep = Tensors.sub(tf, step.scalar(1.0, type), Tensors.mul(tf, lr, step.scalar(weightDecay, type)));
      xNew = Tensors.sub(tf, Tensors.mul(tf, x, keep), Tensors.mul(tf, lr, u));
    } else {
      // x = (x - lr u) / (1 + lr wd)
      Operand<T> shrink = Tensors.add(tf, step.scalar(1.0, type), Tensors.mul(tf, lr, step.scalar(weightDecay, type)));
      xNew = Tensors.div(tf, Tensors.sub(tf, x, Tensors.mul(tf, lr, u)), shrink);
    }

    step.assign(mSlot, m);
    step.assign(vSlot, v);
    step.assign(nSlot, n);
    step.assign(gPrevSlot, g);
    step.assign(layer.variable(), xNew);
  }

  /** β a + (1 - β) b. */
  private static <T extends TType> Operand<T> ema(UpdateStep step, Operand<T> a, Operand<T> b, double beta) {
    Ops tf = step.tf();
    Class<T> type = a.type();
    return step.ema(a, b, beta);
  }

  /** Builds {@link Adan}. */
  public static final class Builder extends OptimizerBuilder<Builder, Adan> {
    private Builder() {
      super(SPEC, Adan.class);
    }

    /** β1 in [0, 1), decay of the gradient's average (default 0.98). */
    public Builder beta1(double value) {
      return set(BETA1, value);
    }

    /** β2 in [0, 1), decay of the gradient difference's average (default 0.92). */
    public Builder beta2(double value) {
      return set(BETA2, value);
    }

    /** β3 in [0, 1), decay of the second moment (default 0.99). */
    public Builder beta3(double value) {
      return set(BETA3, value);
    }

    /** eps >= 0 (default 1e-8). */
    public Builder eps(double value) {
      return set(EPS, value);
    }

    /** Decoupled (x(1 - lr wd) before the step) instead of proximal weight decay (default false). */
    public Builder noProx(boolean value) {
      return set(NO_PROX, value);
    }
  }
}
