package io.github.tftrain.optimizers;

import io.github.tftrain.optimizers.schedule.Schedule;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.train.ApplyMomentum;
import org.tensorflow.types.family.TType;

/**
 * Stochastic gradient descent with momentum, Nesterov momentum and L2 weight decay, with the semantics of
 * {@code torch.optim.SGD} (dampening 0):
 *
 * <pre>
 * g = g + wd x
 * b = μ b + g                  (b = g on the first step: the buffer starts at 0)
 * g = nesterov ? g + μ b : b   (when μ &gt; 0)
 * x = x - lr g
 * </pre>
 *
 * <p>It runs on TF's fused {@code ApplyMomentum} ({@code ApplyGradientDescent} without momentum), whose arithmetic
 * is exactly the above. Defaults: lr 1e-3, momentum 0, nesterov false, weight decay 0.
 */
public final class Sgd extends LossAwareOptimizer {
  private final Config config;
  private final Map<String, Variable<? extends TType>> momentumBuffers = new LinkedHashMap<>();

  /** SGD with the default configuration. */
  public Sgd(Graph graph) {
    this(graph, builder().validate());
  }

  private Sgd(Graph graph, Config config) {
    super(graph, config.name, config.lr, config.clipNorm, config.checkFinite);
    this.config = config;
  }

  /** A builder with the documented defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** The configuration this optimizer was built with. */
  public Config config() {
    return config;
  }

  @Override
  protected void build(List<Layer<?>> layers) {
    if (config.momentum > 0) {
      for (Layer<?> layer : layers) {
        momentumBuffers.put(layer.name(), createZeroSlot(layer, "momentum"));
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
    Operand<T> lr = step.cast(step.learningRate(), layer.type());
    Operand<T> g = layer.gradient();
    if (config.weightDecay != 0) {
      g = Tensors.add(tf, g, Tensors.mul(tf, step.cast(tf.constant(config.weightDecay), layer.type()), layer.value()));
      step.dependOn(g);
    }
    step.dependOn(lr);
    Operand<T> gradient = g;
    if (config.momentum == 0) {
      step.inPlace(after -> after.train.applyGradientDescent(layer.variable(), lr, gradient));
      return;
    }
    @SuppressWarnings("unchecked")
    Variable<T> buffer = (Variable<T>) momentumBuffers.get(layer.name());
    Operand<T> momentum = step.cast(tf.constant(config.momentum), layer.type());
    step.inPlace(
        after ->
            after.train.applyMomentum(
                layer.variable(), buffer, lr, gradient, momentum, ApplyMomentum.useNesterov(config.nesterov)));
  }

  /** The validated, immutable hyperparameters. */
  public static final class Config {
    public final Schedule lr;
    public final double momentum;
    public final boolean nesterov;
    public final double weightDecay;
    public final double clipNorm;
    /** Whether a step with a non-finite loss or gradient fails before writing anything. */
    public final boolean checkFinite;
    public final String name;

    private Config(Builder b) {
      this.lr = b.learningRateSchedule();
      this.clipNorm = b.clipNormValue();
      this.checkFinite = b.checkFiniteValue();
      this.name = b.nameValue();
      this.momentum = Hyperparameters.nonNegative("sgd", "momentum", b.momentum);
      if (b.nesterov && momentum == 0) {
        throw Hyperparameters.invalid("sgd", "momentum", "> 0 with nesterov=true", momentum);
      }
      this.nesterov = b.nesterov;
      this.weightDecay = Hyperparameters.nonNegative("sgd", "weightDecay", b.weightDecay);
    }

    @Override
    public String toString() {
      return "sgd(lr=" + lr + ", momentum=" + momentum + ", nesterov=" + nesterov + ", weightDecay=" + weightDecay
          + ", clipNorm=" + clipNorm + ")";
    }
  }

  /** Builds {@link Sgd}. */
  public static final class Builder extends OptimizerBuilder<Builder, Sgd> {
    private double momentum = 0;
    private boolean nesterov = false;
    private double weightDecay = 0;

    private Builder() {
      super("sgd", 1e-3);
      key("momentum", v -> momentum(number("momentum", v)));
      key("nesterov", v -> nesterov(bool("nesterov", v)));
      key("weightDecay", v -> weightDecay(number("weightDecay", v)));
    }

    /** Momentum μ >= 0 (default 0). */
    public Builder momentum(double value) {
      this.momentum = value;
      return this;
    }

    /** Nesterov momentum (needs momentum &gt; 0; default false). */
    public Builder nesterov(boolean value) {
      this.nesterov = value;
      return this;
    }

    /** L2 weight decay >= 0 added to the gradient (default 0). */
    public Builder weightDecay(double value) {
      this.weightDecay = value;
      return this;
    }

    Config validate() {
      return new Config(this);
    }

    @Override
    public Sgd build(Graph graph) {
      return new Sgd(graph, validate());
    }
  }
}
