package io.github.tftrain.optimizers;

import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.family.TType;

/**
 * Adadelta (Zeiler, 2012) with the semantics of {@code torch.optim.Adadelta} 1.13, per element:
 *
 * <pre>
 * g     = g + wd x                                (the base's L2 weight decay)
 * v     = ρ v + (1 - ρ) g²
 * delta = sqrt(u + eps) / sqrt(v + eps) g
 * u     = ρ u + (1 - ρ) delta²
 * x     = x - lr delta
 * </pre>
 *
 * <p>The slots are {@code v} and {@code u} (torch's {@code square_avg} and {@code acc_delta}), starting at zero. eps
 * must be &gt; 0 here (torch accepts 0, with which u stays 0 and x never moves).
 *
 * <p>The update runs as graph ops or as one fused native pass over the variable and its slots
 * (kernel=auto|native|graph, see {@link UpdateKernel}); both compute the same operations in the same order (in
 * float32 the graph's 1 / sqrt, Eigen's vectorised rsqrt on large tensors, may differ by 2 ulp).
 *
 * <p>Defaults: lr 1.0, ρ 0.9, eps 1e-6, weight decay 0 (L2).
 */
public final class Adadelta extends LossAwareOptimizer {
  /** ρ: decay of both running averages. */
  public static final Hyperparameter<Double> RHO =
      Hyperparameter.real("rho", 0.9, Range.unitInterval(), "decay of the mean squares of gradients and steps");
  /** eps: inside both square roots. */
  public static final Hyperparameter<Double> EPS =
      Hyperparameter.real("eps", 1e-6, Range.above(0), "added inside both square roots (sets the first steps' size)");

  /** native, graph or auto. */
  public static final Hyperparameter<UpdateKernel> KERNEL = UpdateKernel.hyperparameter();

  /** The declaration: adadelta, torch defaults, L2 weight decay 0. */
  public static final OptimizerSpec SPEC =
      OptimizerSpec.builder("adadelta")
          .summary("Adadelta: steps scaled by the ratio of the RMS of past steps to the RMS of gradients,"
              + " torch.optim.Adadelta semantics")
          .source("Zeiler, ADADELTA: An Adaptive Learning Rate Method, arXiv:1212.5701, 2012;"
              + " torch.optim.Adadelta 1.13")
          .learningRate(1.0)
          .weightDecay(WeightDecayMode.L2, 0.0)
          .hyperparameters(RHO, EPS, KERNEL)
          .factory(Adadelta::new)
          .build();

  private final double rho;
  private final double eps;
  private final UpdateKernel kernel;

  /** Adadelta with the default configuration. */
  public Adadelta(Graph graph) {
    this(graph, builder().validate());
  }

  private Adadelta(Graph graph, OptimizerConfig config) {
    super(graph, config);
    this.rho = config.get(RHO);
    this.eps = config.get(EPS);
    this.kernel = config.get(KERNEL).resolve(config.spec().name());
  }

  /** A builder with the documented defaults. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  protected void build(List<Layer<?>> layers) {
    createZeroSlots(layers, "v", "u");
  }

  @Override
  protected void update(UpdateStep step) {
    for (Layer<?> layer : step.layers()) {
      updateLayer(step, layer);
    }
  }

  private <T extends TType> void updateLayer(UpdateStep step, Layer<T> layer) {
    ElementwiseUpdate<T> u = ElementwiseUpdate.of(step, layer, kernel);
    Variable<T> vSlot = slot(layer, "v");
    Variable<T> uSlot = slot(layer, "u");
    ElementwiseUpdate<T>.Value g = u.gradient();
    ElementwiseUpdate<T>.Value accDelta = u.read(uSlot);
    ElementwiseUpdate<T>.Value v = u.ema(u.read(vSlot), u.square(g), rho); // v = ρ v + (1 - ρ) g²
    ElementwiseUpdate<T>.Value std = u.sqrt(u.add(v, u.constant(eps)));
    // delta = sqrt(u + eps) / sqrt(v + eps) g, written as sqrt(u + eps)·(1 / sqrt(v + eps)) g: TF's graph optimizer
    // (Grappler's SqrtDivToRsqrtMul) runs a / sqrt(b) as a·rsqrt(b) and 1 / sqrt(b) as rsqrt(b), so the graph ops are
    // the same as the plain quotient's, and the native pass computes what they compute (rsqrt is 1 / sqrt in float64;
    // in float32 Eigen's vectorised rsqrt, used on large tensors, is up to 2 ulp from 1 / sqrt).
    ElementwiseUpdate<T>.Value delta =
        u.mul(u.mul(u.sqrt(u.add(accDelta, u.constant(eps))), u.div(u.constant(1), std)), g);
    u.write(vSlot, v);
    u.write(uSlot, u.ema(accDelta, u.square(delta), rho)); // u = ρ u + (1 - ρ) delta²
    u.descend(delta);
    u.apply();
  }

  /** Builds {@link Adadelta}. */
  public static final class Builder extends OptimizerBuilder<Builder, Adadelta>
      implements BuilderKeys.Eps<Builder>, BuilderKeys.Kernel<Builder> {
    private Builder() {
      super(SPEC, Adadelta.class);
    }

    /** ρ in [0, 1) (default 0.9). */
    public Builder rho(double value) {
      return set(RHO, value);
    }
  }
}
