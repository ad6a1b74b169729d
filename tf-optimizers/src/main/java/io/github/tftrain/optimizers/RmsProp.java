package io.github.tftrain.optimizers;

import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.family.TType;

/**
 * RMSprop (Hinton, 2012) with the semantics of {@code torch.optim.RMSprop} 1.13, per element:
 *
 * <pre>
 * g = g + wd x                                    (the base's L2 weight decay)
 * v = α v + (1 - α) g²
 * centered:  gAvg = α gAvg + (1 - α) g;  avg = sqrt(v - gAvg²) + eps
 * else:      avg = sqrt(v) + eps
 * momentum &gt; 0:  b = μ b + g / avg;  x = x - lr b
 * else:          x = x - lr g / avg
 * </pre>
 *
 * <p>The slots are {@code v}, {@code g_avg} (when centered) and {@code momentum} (b, when momentum &gt; 0, as
 * {@link Sgd}'s); torch's {@code square_avg}, {@code grad_avg} and {@code momentum_buffer}; all start at zero. Unlike
 * TF's {@code ApplyRMSProp}, eps is added after the square root, as torch does.
 *
 * <p>The update runs as graph ops or as one fused native pass over the variable and its slots
 * (kernel=auto|native|graph, see {@link UpdateKernel}); both compute the same operations in the same order.
 *
 * <p>Defaults: lr 1e-2, α 0.99, eps 1e-8, momentum 0, centered false, weight decay 0 (L2).
 */
public final class RmsProp extends LossAwareOptimizer {
  /** α: decay of the mean square. */
  public static final Hyperparameter<Double> ALPHA =
      Hyperparameter.real("alpha", 0.99, Range.unitInterval(), "decay of the mean square of the gradients");
  /** Momentum μ &gt;= 0. */
  public static final Hyperparameter<Double> MOMENTUM =
      Hyperparameter.real("momentum", 0.0, Range.atLeast(0), "momentum μ on the scaled step (0 = none)");
  /** Centered: divide by the estimated standard deviation instead of the root mean square. */
  public static final Hyperparameter<Boolean> CENTERED =
      Hyperparameter.flag("centered", false, "divide by sqrt(v - gAvg²), the gradients' estimated deviation");

  /** native, graph or auto. */
  public static final Hyperparameter<UpdateKernel> KERNEL = UpdateKernel.hyperparameter();

  /** The declaration: rmsprop, torch defaults, L2 weight decay 0. */
  public static final OptimizerSpec SPEC =
      OptimizerSpec.builder("rmsprop")
          .summary("RMSprop: steps scaled by the root mean square of recent gradients, torch.optim.RMSprop semantics")
          .source("Hinton, Neural Networks for Machine Learning, lecture 6e, 2012; Graves 2013 (centered);"
              + " torch.optim.RMSprop 1.13")
          .learningRate(1e-2)
          .weightDecay(WeightDecayMode.L2, 0.0)
          .hyperparameters(ALPHA, Adam.EPS, MOMENTUM, CENTERED, KERNEL)
          .factory(RmsProp::new)
          .build();

  private final double alpha;
  private final double eps;
  private final double momentum;
  private final boolean centered;
  private final UpdateKernel kernel;

  /** RMSprop with the default configuration. */
  public RmsProp(Graph graph) {
    this(graph, builder().validate());
  }

  private RmsProp(Graph graph, OptimizerConfig config) {
    super(graph, config);
    this.alpha = config.get(ALPHA);
    this.eps = config.get(Adam.EPS);
    this.momentum = config.get(MOMENTUM);
    this.centered = config.get(CENTERED);
    this.kernel = config.get(KERNEL).resolve(config.spec().name());
  }

  /** A builder with the documented defaults. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  protected void build(List<Layer<?>> layers) {
    for (Layer<?> layer : layers) {
      createZeroSlot(layer, "v");
      if (centered) {
        createZeroSlot(layer, "g_avg");
      }
      if (momentum > 0) {
        createZeroSlot(layer, "momentum");
      }
    }
  }

  @Override
  protected void update(UpdateStep step) {
    for (Layer<?> layer : step.layers()) {
      updateLayer(step, layer);
    }
  }

  private <T extends TType> void updateLayer(UpdateStep step, Layer<T> layer) {
    ElementwiseUpdate<T> u = ElementwiseUpdate.of(step, layer, kernel);
    ElementwiseUpdate<T>.Value g = u.gradient();
    Variable<T> vSlot = slot(layer, "v");
    ElementwiseUpdate<T>.Value v = u.ema(u.read(vSlot), u.square(g), alpha); // v = α v + (1 - α) g²
    u.write(vSlot, v);
    ElementwiseUpdate<T>.Value variance = v;
    if (centered) {
      Variable<T> gAvgSlot = slot(layer, "g_avg");
      ElementwiseUpdate<T>.Value gAvg = u.ema(u.read(gAvgSlot), g, alpha); // gAvg = α gAvg + (1 - α) g
      u.write(gAvgSlot, gAvg);
      variance = u.sub(v, u.square(gAvg));
    }
    ElementwiseUpdate<T>.Value avg = u.add(u.sqrt(variance), u.constant(eps));
    ElementwiseUpdate<T>.Value scaled = u.div(g, avg);
    if (momentum > 0) {
      Variable<T> bSlot = slot(layer, "momentum");
      ElementwiseUpdate<T>.Value b = u.add(u.mul(u.constant(momentum), u.read(bSlot)), scaled); // b = μ b + g / avg
      u.write(bSlot, b);
      u.descend(b);
    } else {
      u.descend(scaled);
    }
    u.apply();
  }

  /** Builds {@link RmsProp}. */
  public static final class Builder extends OptimizerBuilder<Builder, RmsProp>
      implements BuilderKeys.Eps<Builder>, BuilderKeys.Kernel<Builder> {
    private Builder() {
      super(SPEC, RmsProp.class);
    }

    /** α in [0, 1) (default 0.99). */
    public Builder alpha(double value) {
      return set(ALPHA, value);
    }

    /** Momentum μ &gt;= 0 (default 0). */
    public Builder momentum(double value) {
      return set(MOMENTUM, value);
    }

    /** Centered RMSprop (default false). */
    public Builder centered(boolean value) {
      return set(CENTERED, value);
    }
  }
}
