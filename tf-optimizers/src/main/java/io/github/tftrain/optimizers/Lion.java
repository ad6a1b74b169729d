package io.github.tftrain.optimizers;

import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.family.TType;

/**
 * Lion, EvoLved Sign Momentum (Chen et al. 2023): the step is the sign of an interpolation between the momentum and
 * the gradient, so every element moves by exactly lr (plus decay); the momentum is then updated with a second, slower
 * coefficient.
 *
 * <pre>
 * c = β1 m + (1 - β1) g
 * x = x (1 - lr wd) - lr sign(c)          (the base's decoupled weight decay, as in the paper)
 * m = β2 m + (1 - β2) g
 * </pre>
 *
 * <p>sign(0) = 0. Because |sign(c)| = 1, Lion's lr is typically 3-10x smaller than AdamW's and its weight decay 3-10x
 * larger (the paper's advice), so that lr·wd stays comparable.
 *
 * <p>Defaults: lr 1e-4, β1 0.9, β2 0.99, weight decay 0 (decoupled). Source: Chen et al., Symbolic Discovery of
 * Optimization Algorithms, 2023 (Program 1); google/automl lion.
 */
public final class Lion extends LossAwareOptimizer {
  /** β1: the weight of the momentum in the update's interpolation. */
  public static final Hyperparameter<Double> BETA1 =
      Hyperparameter.real(
          "beta1", 0.9, Range.unitInterval(), "interpolation of momentum and gradient inside sign() (the update)");
  /** β2: decay of the momentum. */
  public static final Hyperparameter<Double> BETA2 =
      Hyperparameter.real("beta2", 0.99, Range.unitInterval(), "decay of the momentum (tracked after the update)");

  /** native, graph or auto. */
  public static final Hyperparameter<UpdateKernel> KERNEL = UpdateKernel.hyperparameter();

  /** The declaration: name, source, defaults. */
  public static final OptimizerSpec SPEC =
      OptimizerSpec.builder("lion")
          .summary("Lion: the sign of an interpolation of momentum and gradient, decoupled weight decay")
          .source("Chen et al., Symbolic Discovery of Optimization Algorithms, 2023; google/automl lion")
          .learningRate(1e-4)
          .weightDecay(WeightDecayMode.DECOUPLED, 0.0)
          .hyperparameters(BETA1, BETA2, KERNEL)
          .factory(Lion::new)
          .build();

  private final double beta1;
  private final double beta2;
  private final UpdateKernel kernel;

  /** Lion with the default configuration. */
  public Lion(Graph graph) {
    this(graph, builder().validate());
  }

  private Lion(Graph graph, OptimizerConfig config) {
    super(graph, config);
    this.beta1 = config.get(BETA1);
    this.beta2 = config.get(BETA2);
    this.kernel = config.get(KERNEL).resolve(config.spec().name());
  }

  /** A builder with the documented defaults. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  protected void build(List<Layer<?>> layers) {
    createZeroSlots(layers, "m");
  }

  @Override
  protected void update(UpdateStep step) {
    for (Layer<?> layer : step.layers()) {
      updateLayer(step, layer);
    }
  }

  private <T extends TType> void updateLayer(UpdateStep step, Layer<T> layer) {
    ElementwiseUpdate<T> u = ElementwiseUpdate.of(step, layer, kernel);
    Variable<T> mSlot = slot(layer, "m");
    ElementwiseUpdate<T>.Value g = u.gradient();
    ElementwiseUpdate<T>.Value m = u.read(mSlot);
    u.descend(u.sign(u.ema(m, g, beta1))); // x = x (1 - lr wd) - lr sign(β1 m + (1 - β1) g)
    u.write(mSlot, u.ema(m, g, beta2)); // m = β2 m + (1 - β2) g
    u.apply();
  }

  /** Builds {@link Lion}. */
  public static final class Builder extends OptimizerBuilder<Builder, Lion>
      implements BuilderKeys.Betas<Builder>, BuilderKeys.Kernel<Builder> {
    private Builder() {
      super(SPEC, Lion.class);
    }
  }
}
