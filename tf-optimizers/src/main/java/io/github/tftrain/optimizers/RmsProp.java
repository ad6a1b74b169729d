package io.github.tftrain.optimizers;

import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
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

  /** The declaration: rmsprop, torch defaults, L2 weight decay 0. */
  public static final OptimizerSpec SPEC =
      OptimizerSpec.builder("rmsprop")
          .summary("RMSprop: steps scaled by the root mean square of recent gradients, torch.optim.RMSprop semantics")
          .source("Hinton, Neural Networks for Machine Learning, lecture 6e, 2012; Graves 2013 (centered);"
              + " torch.optim.RMSprop 1.13")
          .learningRate(1e-2)
          .weightDecay(WeightDecayMode.L2, 0.0)
          .hyperparameters(ALPHA, Adam.EPS, MOMENTUM, CENTERED)
          .factory(RmsProp::new)
          .build();

  private final double alpha;
  private final double eps;
  private final double momentum;
  private final boolean centered;

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
    Ops tf = step.tf();
    Class<T> type = layer.type();
    Operand<T> g = layer.gradient();
    Operand<T> a = step.scalar(alpha, type);
    Operand<T> oneMinusA = step.scalar(1 - alpha, type);
    Variable<T> vSlot = slot(layer, "v");
    Operand<T> v =
        Tensors.add(tf, Tensors.mul(tf, a, step.read(vSlot)), Tensors.mul(tf, oneMinusA, Tensors.square(tf, g)));
    step.assign(vSlot, v);
    Operand<T> variance = v;
    if (centered) {
      Variable<T> gAvgSlot = slot(layer, "g_avg");
      Operand<T> gAvg = Tensors.add(tf, Tensors.mul(tf, a, step.read(gAvgSlot)), Tensors.mul(tf, oneMinusA, g));
      step.assign(gAvgSlot, gAvg);
      variance = Tensors.sub(tf, v, Tensors.square(tf, gAvg));
    }
    Operand<T> avg = Tensors.add(tf, Tensors.sqrt(tf, variance), step.scalar(eps, type));
    Operand<T> scaled = Tensors.div(tf, g, avg);
    if (momentum > 0) {
      Variable<T> bSlot = slot(layer, "momentum");
      Operand<T> b = Tensors.add(tf, Tensors.mul(tf, step.scalar(momentum, type), step.read(bSlot)), scaled);
      step.assign(bSlot, b);
      step.descend(layer, b);
    } else {
      step.descend(layer, scaled);
    }
  }

  /** Builds {@link RmsProp}. */
  public static final class Builder extends OptimizerBuilder<Builder, RmsProp> {
    private Builder() {
      super(SPEC, RmsProp.class);
    }

    /** α in [0, 1) (default 0.99). */
    public Builder alpha(double value) {
      return set(ALPHA, value);
    }

    /** eps &gt;= 0 (default 1e-8). */
    public Builder eps(double value) {
      return set(Adam.EPS, value);
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
