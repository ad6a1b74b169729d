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
 * <p>The update runs as graph ops or as one fused native pass over x, m, v, n, g_prev and g (kernel=auto|native|graph;
 * see {@link ElementwiseUpdate}).
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

  /** native, graph or auto. */
  public static final Hyperparameter<UpdateKernel> KERNEL = UpdateKernel.hyperparameter();

  /** The declaration: name, source, the authors' defaults. */
  public static final OptimizerSpec SPEC =
      OptimizerSpec.builder("adan")
          .summary("Adan: adaptive Nesterov momentum, with proximal weight decay")
          .source(
              "Xie et al., Adan: Adaptive Nesterov Momentum Algorithm for Faster Optimizing Deep Models, 2022;"
                  + " sail-sg/Adan adan.py")
          .learningRate(1e-3)
          .hyperparameters(BETA1, BETA2, BETA3, EPS, WEIGHT_DECAY, NO_PROX, KERNEL)
          .factory(Adan::new)
          .build();

  private final double beta1;
  private final double beta2;
  private final double beta3;
  private final double eps;
  private final double weightDecay;
  private final boolean noProx;
  private final UpdateKernel kernel;

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
    this.kernel = config.get(KERNEL).resolve(config.spec().name());
  }

  /** A builder with the documented defaults. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  protected void build(List<Layer<?>> layers) {
    createZeroSlots(layers, "m", "v", "n", "g_prev");
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
    ElementwiseUpdate<T> u = ElementwiseUpdate.of(step, layer, kernel);
    Variable<T> mSlot = slot(layer, "m");
    Variable<T> vSlot = slot(layer, "v");
    Variable<T> nSlot = slot(layer, "n");
    Variable<T> gPrevSlot = slot(layer, "g_prev");
    ElementwiseUpdate<T>.Value g = u.gradient();

    // d = g - g_prev, with g_prev = g on the first step (d = 0 exactly)
    ElementwiseUpdate<T>.Value d = u.sub(g, u.select(first, g, u.read(gPrevSlot)));
    // β2 is one scalar of the native program, shared by v's average, β2 d and β2 v (u.ema would add another).
    ElementwiseUpdate<T>.Value b2 = u.constant(beta2);
    ElementwiseUpdate<T>.Value m = u.ema(u.read(mSlot), g, beta1);
    ElementwiseUpdate<T>.Value v = u.add(u.mul(b2, u.read(vSlot)), u.mul(u.constant(1 - beta2), d));
    ElementwiseUpdate<T>.Value n = u.ema(u.read(nSlot), u.square(u.add(g, u.mul(b2, d))), beta3);

    // u = (m / bc1 + β2 v / bc2) / (sqrt(n) / sqrt(bc3) + eps)
    ElementwiseUpdate<T>.Value numerator =
        u.add(u.div(m, u.scalar(bc1)), u.div(u.mul(b2, v), u.scalar(bc2)));
    ElementwiseUpdate<T>.Value denominator =
        u.add(u.div(u.sqrt(n), u.scalar(bc3Sqrt)), u.constant(eps));
    ElementwiseUpdate<T>.Value direction = u.div(numerator, denominator);

    ElementwiseUpdate<T>.Value lr = u.scalar(step.learningRate());
    ElementwiseUpdate<T>.Value x = u.variable();
    ElementwiseUpdate<T>.Value xNew;
    if (weightDecay == 0) {
      xNew = u.sub(x, u.mul(lr, direction));
    } else if (noProx) {
      // x = x (1 - lr wd) - lr u
      ElementwiseUpdate<T>.Value keep = u.sub(u.constant(1.0), u.mul(lr, u.constant(weightDecay)));
      xNew = u.sub(u.mul(x, keep), u.mul(lr, direction));
    } else {
      // x = (x - lr u) / (1 + lr wd)
      ElementwiseUpdate<T>.Value shrink = u.add(u.constant(1.0), u.mul(lr, u.constant(weightDecay)));
      xNew = u.div(u.sub(x, u.mul(lr, direction)), shrink);
    }

    u.write(mSlot, m);
    u.write(vSlot, v);
    u.write(nSlot, n);
    u.write(gPrevSlot, g);
    u.writeVariable(xNew);
    u.apply();
  }

  /** Builds {@link Adan}. */
  public static final class Builder extends OptimizerBuilder<Builder, Adan>
      implements BuilderKeys.Betas<Builder>, BuilderKeys.Eps<Builder>, BuilderKeys.Kernel<Builder> {
    private Builder() {
      super(SPEC, Adan.class);
    }

    /** β3 in [0, 1), decay of the second moment (default 0.99). */
    public Builder beta3(double value) {
      return set(BETA3, value);
    }

    /** Decoupled (x(1 - lr wd) before the step) instead of proximal weight decay (default false). */
    public Builder noProx(boolean value) {
      return set(NO_PROX, value);
    }
  }
}
