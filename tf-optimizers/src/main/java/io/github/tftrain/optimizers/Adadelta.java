package io.github.tftrain.optimizers;

import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
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
 * <p>Defaults: lr 1.0, ρ 0.9, eps 1e-6, weight decay 0 (L2).
 */
public final class Adadelta extends LossAwareOptimizer {
  /** ρ: decay of both running averages. */
  public static final Hyperparameter<Double> RHO =
      Hyperparameter.real("rho", 0.9, Range.unitInterval(), "decay of the mean squares of gradients and steps");
  /** eps: inside both square roots. */
  public static final Hyperparameter<Double> EPS =
      Hyperparameter.real("eps", 1e-6, Range.above(0), "added inside both square roots (sets the first steps' size)");

  /** The declaration: adadelta, torch defaults, L2 weight decay 0. */
  public static final OptimizerSpec SPEC =
      OptimizerSpec.builder("adadelta")
          .summary("Adadelta: steps scaled by the ratio of the RMS of past steps to the RMS of gradients,"
              + " torch.optim.Adadelta semantics")
          .source("Zeiler, ADADELTA: An Adaptive Learning Rate Method, arXiv:1212.5701, 2012;"
              + " torch.optim.Adadelta 1.13")
          .learningRate(1.0)
          .weightDecay(WeightDecayMode.L2, 0.0)
          .hyperparameters(RHO, EPS)
          .factory(Adadelta::new)
          .build();

  private final double rho;
  private final double eps;

  /** Adadelta with the default configuration. */
  public Adadelta(Graph graph) {
    this(graph, builder().validate());
  }

  private Adadelta(Graph graph, OptimizerConfig config) {
    super(graph, config);
    this.rho = config.get(RHO);
    this.eps = config.get(EPS);
  }

  /** A builder with the documented defaults. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  protected void build(List<Layer<?>> layers) {
    for (Layer<?> layer : layers) {
      createZeroSlot(layer, "v");
      createZeroSlot(layer, "u");
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
    Operand<T> r = step.scalar(rho, type);
    Operand<T> oneMinusR = step.scalar(1 - rho, type);
    Operand<T> e = step.scalar(eps, type);
    Variable<T> vSlot = slot(layer, "v");
    Variable<T> uSlot = slot(layer, "u");
    Operand<T> v =
        Tensors.add(tf, Tensors.mul(tf, r, step.read(vSlot)), Tensors.mul(tf, oneMinusR, Tensors.square(tf, g)));
    Operand<T> std = Tensors.sqrt(tf, Tensors.add(tf, v, e));
    Operand<T> delta =
        Tensors.mul(tf, Tensors.div(tf, Tensors.sqrt(tf, Tensors.add(tf, step.read(uSlot), e)), std), g);
    Operand<T> u =
        Tensors.add(
            tf, Tensors.mul(tf, r, step.read(uSlot)), Tensors.mul(tf, oneMinusR, Tensors.square(tf, delta)));
    step.assign(vSlot, v);
    step.assign(uSlot, u);
    step.descend(layer, delta);
  }

  /** Builds {@link Adadelta}. */
  public static final class Builder extends OptimizerBuilder<Builder, Adadelta> {
    private Builder() {
      super(SPEC, Adadelta.class);
    }

    /** ρ in [0, 1) (default 0.9). */
    public Builder rho(double value) {
      return set(RHO, value);
    }

    /** eps &gt; 0 (default 1e-6). */
    public Builder eps(double value) {
      return set(EPS, value);
    }
  }
}
