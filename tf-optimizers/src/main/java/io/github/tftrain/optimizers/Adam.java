package io.github.tftrain.optimizers;

import io.github.tftrain.optimizers.schedule.Schedule;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TType;

/**
 * Adam (Kingma &amp; Ba) with the semantics of {@code torch.optim.Adam} (L2 weight decay added to the gradient), or,
 * as {@link AdamW}, with decoupled weight decay ({@code torch.optim.AdamW}):
 *
 * <pre>
 * (Adam)  g = g + wd x                 (AdamW)  x = x - lr wd x
 * t = t + 1
 * m = β1 m + (1 - β1) g;   v = β2 v + (1 - β2) g²
 * x = x - lr (m / (1 - β1^t)) / (sqrt(v / (1 - β2^t)) + eps)
 * </pre>
 *
 * <p>It runs on TF's fused {@code ApplyAdam} kernel, which computes
 * {@code x -= lr sqrt(1 - β2^t) / (1 - β1^t) m / (sqrt(v) + ε')}; passing {@code ε' = eps sqrt(1 - β2^t)} makes
 * that the torch update exactly. The bias-correction powers are computed from the global step inside the step, so
 * there is no separate power state to race with the update (the framework's {@code Adam.finish()} updates its
 * beta-power variables without a dependency on {@code ApplyAdam}).
 *
 * <p>Defaults: lr 1e-3, β1 0.9, β2 0.999, eps 1e-8, weight decay 0 (AdamW: 0.01).
 */
public class Adam extends LossAwareOptimizer {
  private final Config config;
  private final boolean decoupled;
  private final Map<String, Moments> moments = new LinkedHashMap<>();

  /** The two moment slots of one variable. */
  private record Moments(Variable<? extends TType> first, Variable<? extends TType> second) {}

  /** Adam with the default configuration. */
  public Adam(Graph graph) {
    this(graph, builder().validate(), false);
  }

  Adam(Graph graph, Config config, boolean decoupled) {
    super(graph, config.name, config.lr, config.clipNorm, config.checkFinite);
    this.config = config;
    this.decoupled = decoupled;
  }

  /** A builder with the documented defaults. */
  public static Builder builder() {
    return new Builder("adam", 0.0);
  }

  /** The configuration this optimizer was built with. */
  public Config config() {
    return config;
  }

  @Override
  protected void build(List<Layer<?>> layers) {
    for (Layer<?> layer : layers) {
      moments.put(layer.name(), new Moments(createZeroSlot(layer, "m"), createZeroSlot(layer, "v")));
    }
  }

  @Override
  protected void update(UpdateStep step) {
    Ops tf = step.tf();
    Operand<TFloat64> t = tf.math.add(step.stepAsDouble(), tf.constant(1.0));
    Operand<TFloat64> beta1Power = tf.math.pow(tf.constant(config.beta1), t);
    Operand<TFloat64> beta2Power = tf.math.pow(tf.constant(config.beta2), t);
    // ε' = eps sqrt(1 - β2^t) turns ApplyAdam's ε placement into torch's.
    Operand<TFloat64> epsilon =
        tf.math.mul(tf.constant(config.eps), tf.math.sqrt(tf.math.sub(tf.constant(1.0), beta2Power)));
    for (Layer<?> layer : step.layers()) {
      updateLayer(step, layer, beta1Power, beta2Power, epsilon);
    }
  }

  private <T extends TType> void updateLayer(
      UpdateStep step,
      Layer<T> layer,
      Operand<TFloat64> beta1Power,
      Operand<TFloat64> beta2Power,
      Operand<TFloat64> epsilon) {
    Ops tf = step.tf();
    Class<T> type = layer.type();
    Operand<T> lr = step.cast(step.learningRate(), type);
    Operand<T> b1p = step.cast(beta1Power, type);
    Operand<T> b2p = step.cast(beta2Power, type);
    Operand<T> b1 = step.cast(tf.constant(config.beta1), type);
    Operand<T> b2 = step.cast(tf.constant(config.beta2), type);
    Operand<T> eps = step.cast(epsilon, type);
    for (Operand<T> input : List.of(lr, b1p, b2p, eps)) {
      step.dependOn(input);
    }
    Operand<T> g = layer.gradient();
    boolean decay = config.weightDecay != 0;
    Operand<T> decayRate = null;
    if (decay && !decoupled) {
      g = Tensors.add(tf, g, Tensors.mul(tf, step.cast(tf.constant(config.weightDecay), type), layer.value()));
      step.dependOn(g);
    } else if (decay) {
      decayRate = Tensors.mul(tf, lr, step.cast(tf.constant(config.weightDecay), type));
      step.dependOn(decayRate);
    }
    @SuppressWarnings("unchecked")
    Variable<T> m = (Variable<T>) moments.get(layer.name()).first();
    @SuppressWarnings("unchecked")
    Variable<T> v = (Variable<T>) moments.get(layer.name()).second();
    Operand<T> gradient = g;
    Operand<T> rate = decayRate;
    step.inPlace(
        after -> {
          Ops adam = after;
          if (rate != null) {
            // AdamW: x -= lr wd x, in place and before the Adam step. The delta input is a read of the variable
            // itself; the kernel reads each element before it writes it.
            adam =
                after.withControlDependencies(
                    List.of(after.train.applyGradientDescent(layer.variable(), rate, after.identity(layer.variable()))));
          }
          return adam.train.applyAdam(layer.variable(), m, v, b1p, b2p, lr, b1, b2, eps, gradient);
        });
  }

  /** The validated, immutable hyperparameters. */
  public static final class Config {
    public final Schedule lr;
    public final double beta1;
    public final double beta2;
    public final double eps;
    public final double weightDecay;
    public final double clipNorm;
    /** Whether a step with a non-finite loss or gradient fails before writing anything. */
    public final boolean checkFinite;
    public final String name;

    private Config(Builder b) {
      String opt = b.optimizerName();
      this.lr = b.learningRateSchedule();
      this.clipNorm = b.clipNormValue();
      this.checkFinite = b.checkFiniteValue();
      this.name = b.nameValue();
      this.beta1 = Hyperparameters.unitInterval(opt, "beta1", b.beta1);
      this.beta2 = Hyperparameters.unitInterval(opt, "beta2", b.beta2);
      this.eps = Hyperparameters.nonNegative(opt, "eps", b.eps);
      this.weightDecay = Hyperparameters.nonNegative(opt, "weightDecay", b.weightDecay);
    }

    @Override
    public String toString() {
      return name + "(lr=" + lr + ", beta1=" + beta1 + ", beta2=" + beta2 + ", eps=" + eps + ", weightDecay="
          + weightDecay + ", clipNorm=" + clipNorm + ")";
    }
  }

  /** Builds {@link Adam} (and, through {@link AdamW#builder()}, AdamW). */
  public static class Builder extends OptimizerBuilder<Builder, Adam> {
    private double beta1 = 0.9;
    private double beta2 = 0.999;
    private double eps = 1e-8;
    private double weightDecay;

    Builder(String name, double defaultWeightDecay) {
      super(name, 1e-3);
      this.weightDecay = defaultWeightDecay;
      key("beta1", v -> beta1(number("beta1", v)));
      key("beta2", v -> beta2(number("beta2", v)));
      key("eps", v -> eps(number("eps", v)));
      key("weightDecay", v -> weightDecay(number("weightDecay", v)));
    }

    /** β1 in [0, 1) (default 0.9). */
    public Builder beta1(double value) {
      this.beta1 = value;
      return this;
    }

    /** β2 in [0, 1) (default 0.999). */
    public Builder beta2(double value) {
      this.beta2 = value;
      return this;
    }

    /** eps >= 0 (default 1e-8). */
    public Builder eps(double value) {
      this.eps = value;
      return this;
    }

    /** Weight decay >= 0: L2 for Adam (default 0), decoupled for AdamW (default 0.01). */
    public Builder weightDecay(double value) {
      this.weightDecay = value;
      return this;
    }

    Config validate() {
      return new Config(this);
    }

    @Override
    public Adam build(Graph graph) {
      return new Adam(graph, validate(), false);
    }
  }
}
