package io.github.tftrain.optimizers;

import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.family.TType;

/**
 * Signum, sign momentum (Bernstein et al. 2018), and signSGD when the momentum is 0: every element moves by exactly lr
 * in the direction of the sign of an exponential moving average of the gradient.
 *
 * <pre>
 * m = β m + (1 - β) g          (m starts at 0; β = 0 gives m = g: signSGD, with no state)
 * x = x - lr sign(m)
 * </pre>
 *
 * <p>The update runs as graph ops or as one fused native pass over x, m and g (kernel=auto|native|graph; see
 * {@link ElementwiseUpdate}).
 *
 * <p>sign(0) = 0. No weight decay of its own (the task lists none). The authors' MXNet {@code Signum} also has
 * {@code wd} (added to the gradient before the average) and {@code wd_lh} (x ← (1 - lr wd_lh) x): those are exactly
 * the base's L2 and decoupled modes, should they be wanted.
 *
 * <p>Defaults: lr 1e-3, momentum 0.9. Source: Bernstein et al., signSGD: Compressed Optimisation for Non-Convex
 * Problems, ICML 2018 (Algorithm 2, Signum); MXNet {@code signum_update}.
 */
public final class Signum extends LossAwareOptimizer {
  /** β: decay of the gradient's moving average; 0 = signSGD. */
  public static final Hyperparameter<Double> MOMENTUM =
      Hyperparameter.real(
          "momentum", 0.9, Range.unitInterval(), "decay β of the gradient's moving average (0 = signSGD)");

  /** native, graph or auto. */
  public static final Hyperparameter<UpdateKernel> KERNEL = UpdateKernel.hyperparameter();

  /** The declaration: name, source, defaults. */
  public static final OptimizerSpec SPEC =
      OptimizerSpec.builder("signum")
          .summary("Signum: the sign of a moving average of the gradient (momentum 0: signSGD)")
          .source("Bernstein et al., signSGD: Compressed Optimisation for Non-Convex Problems, ICML 2018; MXNet Signum")
          .learningRate(1e-3)
          .hyperparameters(MOMENTUM, KERNEL)
          .factory(Signum::new)
          .build();

  private final double momentum;
  private final UpdateKernel kernel;

  /** Signum with the default configuration. */
  public Signum(Graph graph) {
    this(graph, builder().validate());
  }

  private Signum(Graph graph, OptimizerConfig config) {
    super(graph, config);
    this.momentum = config.get(MOMENTUM);
    this.kernel = config.get(KERNEL).resolve(config.spec().name());
  }

  /** A builder with the documented defaults. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  protected void build(List<Layer<?>> layers) {
    if (momentum > 0) {
      for (Layer<?> layer : layers) {
        createZeroSlot(layer, "m");
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
    ElementwiseUpdate<T>.Value m = g;
    if (momentum > 0) {
      // m = β m + (1 - β) g  (with β = 0 there is no slot: the program reads only g and x)
      Variable<T> mSlot = slot(layer, "m");
      m = u.ema(u.read(mSlot), g, momentum);
      u.write(mSlot, m);
    }
    u.descend(u.sign(m)); // x = x - lr sign(m)
    u.apply();
  }

  /** Builds {@link Signum}. */
  public static final class Builder extends OptimizerBuilder<Builder, Signum>
      implements BuilderKeys.Kernel<Builder> {
    private Builder() {
      super(SPEC, Signum.class);
    }

    /** β in [0, 1), the decay of the gradient's average; 0 = signSGD (default 0.9). */
    public Builder momentum(double value) {
      return set(MOMENTUM, value);
    }
  }
}
