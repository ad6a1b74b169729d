package io.github.tftrain.optimizers;

import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TType;

/**
 * Adagrad (Duchi, Hazan &amp; Singer, 2011) with the semantics of {@code torch.optim.Adagrad} 1.13: per element, with
 * t the 1-based step,
 *
 * <pre>
 * g   = g + wd x                                  (the base's L2 weight decay)
 * clr = lr / (1 + (t - 1) lrDecay)
 * sum = sum + g²                                  (sum starts at initialAccumulator)
 * x   = x - clr g / (sqrt(sum) + eps)
 * </pre>
 *
 * <p>The slot {@code sum} holds {@code sum - initialAccumulator}, i.e. Σ g² (zero-initialised like every slot);
 * the step adds the constant back when it reads it. With the default initialAccumulator 0 that is torch's
 * {@code state_sum} exactly; otherwise the sum is rounded in a different order (Σ g² first, then the constant),
 * which changes nothing but the last bit.
 *
 * <p>The update runs as graph ops or as one fused native pass over the variable and its slot (kernel=auto|native|graph,
 * see {@link UpdateKernel}); both compute the same operations in the same order.
 *
 * <p>Defaults: lr 1e-2, lrDecay 0, initialAccumulator 0, eps 1e-10, weight decay 0 (L2; with
 * {@code weightDecayMode=decoupled} the base applies {@code x = x - lr wd x} with the undecayed lr).
 */
public final class Adagrad extends LossAwareOptimizer {
  /** The learning-rate decay: clr = lr / (1 + (t - 1) lrDecay). */
  public static final Hyperparameter<Double> LR_DECAY =
      Hyperparameter.real("lrDecay", 0.0, Range.atLeast(0), "step t uses lr / (1 + (t - 1) lrDecay)");
  /** The starting value of every element of the accumulator. */
  public static final Hyperparameter<Double> INITIAL_ACCUMULATOR =
      Hyperparameter.real(
          "initialAccumulator", 0.0, Range.atLeast(0), "starting value of the sum of squared gradients");
  /** eps: added to sqrt(sum). */
  public static final Hyperparameter<Double> EPS =
      Hyperparameter.real("eps", 1e-10, Range.atLeast(0), "added to the denominator");

  /** native, graph or auto. */
  public static final Hyperparameter<UpdateKernel> KERNEL = UpdateKernel.hyperparameter();

  /** The declaration: adagrad, torch defaults, L2 weight decay 0. */
  public static final OptimizerSpec SPEC =
      OptimizerSpec.builder("adagrad")
          .summary("Adagrad: steps scaled by the root of the sum of squared gradients, torch.optim.Adagrad semantics")
          .source("Duchi, Hazan & Singer, Adaptive Subgradient Methods, JMLR 2011; torch.optim.Adagrad 1.13")
          .learningRate(1e-2)
          .weightDecay(WeightDecayMode.L2, 0.0)
          .hyperparameters(LR_DECAY, INITIAL_ACCUMULATOR, EPS, KERNEL)
          .factory(Adagrad::new)
          .build();

  private final double lrDecay;
  private final double initialAccumulator;
  private final double eps;
  private final UpdateKernel kernel;

  /** Adagrad with the default configuration. */
  public Adagrad(Graph graph) {
    this(graph, builder().validate());
  }

  private Adagrad(Graph graph, OptimizerConfig config) {
    super(graph, config);
    this.lrDecay = config.get(LR_DECAY);
    this.initialAccumulator = config.get(INITIAL_ACCUMULATOR);
    this.eps = config.get(EPS);
    this.kernel = config.get(KERNEL).resolve(config.spec().name());
  }

  /** A builder with the documented defaults. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  protected void build(List<Layer<?>> layers) {
    createZeroSlots(layers, "sum");
  }

  @Override
  protected void update(UpdateStep step) {
    Ops tf = step.tf();
    // clr = lr / (1 + (t - 1) lrDecay)
    Operand<TFloat64> decay =
        tf.math.add(
            tf.constant(1.0), tf.math.mul(tf.math.sub(step.count(), tf.constant(1.0)), tf.constant(lrDecay)));
    Operand<TFloat64> clr = tf.math.div(step.learningRate(), decay);
    for (Layer<?> layer : step.layers()) {
      updateLayer(step, layer, clr);
    }
  }

  private <T extends TType> void updateLayer(UpdateStep step, Layer<T> layer, Operand<TFloat64> clr) {
    ElementwiseUpdate<T> u = ElementwiseUpdate.of(step, layer, kernel);
    Variable<T> sumSlot = slot(layer, "sum");
    ElementwiseUpdate<T>.Value g = u.gradient();
    // The slot holds sum - initialAccumulator.
    ElementwiseUpdate<T>.Value squares = u.add(u.read(sumSlot), u.square(g));
    ElementwiseUpdate<T>.Value sum = initialAccumulator == 0 ? squares : u.add(squares, u.constant(initialAccumulator));
    ElementwiseUpdate<T>.Value std = u.add(u.sqrt(sum), u.constant(eps));
    // x = decayed(x) - clr g / std: the step's lr is clr, the decoupled decay's the undecayed lr.
    u.writeVariable(u.sub(u.decayedVariable(), u.mul(u.scalar(clr), u.div(g, std))));
    u.write(sumSlot, squares);
    u.apply();
  }

  /** Builds {@link Adagrad}. */
  public static final class Builder extends OptimizerBuilder<Builder, Adagrad>
      implements BuilderKeys.Eps<Builder>, BuilderKeys.Kernel<Builder> {
    private Builder() {
      super(SPEC, Adagrad.class);
    }

    /** lrDecay &gt;= 0 (default 0): step t uses lr / (1 + (t - 1) lrDecay). */
    public Builder lrDecay(double value) {
      return set(LR_DECAY, value);
    }

    /** initialAccumulator &gt;= 0 (default 0): the starting value of the sum of squared gradients. */
    public Builder initialAccumulator(double value) {
      return set(INITIAL_ACCUMULATOR, value);
    }
  }
}
