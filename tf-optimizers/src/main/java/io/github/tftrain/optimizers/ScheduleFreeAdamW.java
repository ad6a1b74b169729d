package io.github.tftrain.optimizers;

import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TType;

/**
 * Schedule-Free AdamW (Defazio et al., The Road Less Scheduled, 2024), in the form of the authors'
 * {@code AdamWScheduleFree}: the model variables hold y, the point where gradients are taken; the optimizer keeps z
 * (the base sequence, starting at the variable's initial value x₀) and the second moment v (zeros), and two float64
 * scalars shared by all variables, lr_max and the weight sum W (both 0 at the start). With t the 1-based step,
 * k = t − 1 and bc2 = 1 − β2^t:
 *
 * <pre>
 * sched = k &lt; warmup ? (k + 1) / warmup : 1
 * lr_k  = lr(k) · sched                           (lr(k): the schedule's value; constant lr is the method's intent)
 * lr_max = max(lr_max, lr_k)
 * w = (k + 1)^r · lr_max^weightLrPower;   W = W + w;   c = w / W   (0 while W = 0)
 * v = β2 v + (1 − β2) g²
 * ĝ = g / (sqrt(v / bc2) + eps) + wd · y          (weight decay at y, inside the normalised gradient)
 * y = (1 − c) y + c z                             (the old z)
 * y = y + lr_k (β1 (1 − c) − 1) ĝ
 * z = z − lr_k ĝ
 * </pre>
 *
 * <p>The averaged point to evaluate and export is x = (y − (1 − β1) z) / β1 ({@link #evaluationWeights()}, a pure
 * read of y and z; {@link EvaluationSwap} puts it into the variables for evaluation). In the paper's terms,
 * x_{t+1} = (1 − c) x_t + c z_{t+1} and y = (1 − β1) z + β1 x.
 *
 * <p>Differences from the authors' code, where this class follows the catalogue's equations: the authors fold the
 * bias correction into the step size, {@code lr_k = lr·sched·sqrt(bc2)} with {@code ĝ = g / (sqrt(v) + eps) + wd·y},
 * so their eps is effectively eps/sqrt(bc2) here, their weight decay is scaled by sqrt(bc2), and their lr_max and the
 * average's weights grow with sqrt(bc2) during the first ~1/(1 − β2) steps; here lr_k has no sqrt(bc2) and v is
 * bias-corrected inside the root. The order of the y and z updates is the authors'.
 *
 * <p>Weight decay is the optimizer's own {@code weightDecay} (not the base's L2 or decoupled modes). Defaults: lr
 * 2.5e-3, β1 0.9, β2 0.999, eps 1e-8, weight decay 0, warmup 0, r 0, weightLrPower 2.
 *
 * <p>The per-element update of y, z and v runs as graph ops or as one fused native pass (kernel=auto|native|graph);
 * lr_max, W and the coefficients are float64 graph scalars, and the averaged point x stays graph ops.
 */
public final class ScheduleFreeAdamW extends LossAwareOptimizer {
  /** β1: the interpolation between z and x at which gradients are taken. */
  public static final Hyperparameter<Double> BETA1 =
      Hyperparameter.real(
          "beta1", 0.9, Range.of("in (0, 1]", v -> v > 0 && v <= 1),
          "gradients are taken at y = (1 − β1) z + β1 x (the momentum of the method)");
  /** The weight decay wd·y added to the normalised gradient. */
  public static final Hyperparameter<Double> WEIGHT_DECAY =
      Hyperparameter.real(
          "weightDecay", 0.0, Range.atLeast(0), "weight decay: wd·y is added to the normalised gradient ĝ");
  /** Linear warmup of the step size, in steps. */
  public static final Hyperparameter<Long> WARMUP =
      Hyperparameter.integer(
          "warmup", 0, Range.atLeast(0), "linear warmup: step t uses lr·min(1, t/warmup) (0 = off)");
  /** The power r of the polynomial weights of the average. */
  public static final Hyperparameter<Double> R =
      Hyperparameter.real("r", 0.0, Range.atLeast(0), "polynomial weighting of the average: weight t^r");
  /** The power of lr_max in the weights of the average. */
  public static final Hyperparameter<Double> WEIGHT_LR_POWER =
      Hyperparameter.real(
          "weightLrPower", 2.0, Range.atLeast(0),
          "the average's weights are t^r·lr_max^weightLrPower (0 = not weighted by the step size)");
  /** native, graph or auto. */
  public static final Hyperparameter<UpdateKernel> KERNEL = UpdateKernel.hyperparameter();

  /** The declaration: name, source, defaults. */
  public static final OptimizerSpec SPEC =
      OptimizerSpec.builder("adamw-schedulefree")
          .summary("Schedule-Free AdamW: gradients at an interpolation y of z and its average x; evaluate x")
          .source(
              "Defazio et al., The Road Less Scheduled, NeurIPS 2024; facebookresearch/schedule_free"
                  + " AdamWScheduleFree")
          .learningRate(2.5e-3)
          .hyperparameters(BETA1, Adam.BETA2, Adam.EPS, WEIGHT_DECAY, WARMUP, R, WEIGHT_LR_POWER, KERNEL)
          .evaluatesOwnWeights()
          .factory(ScheduleFreeAdamW::new)
          .build();

  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double weightDecay;
  private final long warmup;
  private final double r;
  private final double weightLrPower;
  private final UpdateKernel kernel;
  private Variable<TFloat64> lrMax;
  private Variable<TFloat64> weightSum;

  /** Schedule-Free AdamW with the default configuration. */
  public ScheduleFreeAdamW(Graph graph) {
    this(graph, builder().validate());
  }

  private ScheduleFreeAdamW(Graph graph, OptimizerConfig config) {
    super(graph, config);
    this.beta1 = config.get(BETA1);
    this.beta2 = config.get(Adam.BETA2);
    this.eps = config.get(Adam.EPS);
    this.weightDecay = config.get(WEIGHT_DECAY);
    this.warmup = config.get(WARMUP);
    this.r = config.get(R);
    this.weightLrPower = config.get(WEIGHT_LR_POWER);
    this.kernel = config.get(KERNEL).resolve(config.spec().name());
  }

  /** A builder with the documented defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** The running maximum of lr_k (float64 scalar state). */
  public Variable<TFloat64> lrMax() {
    return lrMax;
  }

  /** The sum W of the average's weights (float64 scalar state). */
  public Variable<TFloat64> weightSum() {
    return weightSum;
  }

  @Override
  protected void build(List<Layer<?>> layers) {
    lrMax = createScalar("lr_max", 0.0);
    weightSum = createScalar("weight_sum", 0.0);
    for (Layer<?> layer : layers) {
      createCopySlot(layer, "z");
      createZeroSlot(layer, "v");
    }
  }

  @Override
  protected void update(UpdateStep step) {
    Ops tf = step.tf();
    Operand<TFloat64> t = step.count(); // k + 1
    Operand<TFloat64> lrK = step.learningRate();
    if (warmup > 0) {
      // (k + 1) / warmup while k < warmup, i.e. while it is <= 1
      lrK = tf.math.mul(lrK, tf.math.minimum(tf.math.div(t, tf.constant((double) warmup)), tf.constant(1.0)));
    }
    Operand<TFloat64> newLrMax = tf.math.maximum(step.read(lrMax), lrK);
    Operand<TFloat64> w = tf.math.pow(newLrMax, tf.constant(weightLrPower));
    if (r != 0) {
      w = tf.math.mul(tf.math.pow(t, tf.constant(r)), w);
    }
    Operand<TFloat64> newWeightSum = tf.math.add(step.read(weightSum), w);
    Operand<TFloat64> c = tf.math.divNoNan(w, newWeightSum);
    Operand<TFloat64> bc2 = step.biasCorrection(beta2);
    // y's step coefficient lr_k (β1 (1 − c) − 1)
    Operand<TFloat64> yStep =
        tf.math.mul(
            lrK, tf.math.sub(tf.math.mul(tf.constant(beta1), tf.math.sub(tf.constant(1.0), c)), tf.constant(1.0)));
    step.assign(lrMax, newLrMax);
    step.assign(weightSum, newWeightSum);
    for (Layer<?> layer : step.layers()) {
      updateLayer(step, layer, lrK, c, bc2, yStep);
    }
  }

  private <T extends TType> void updateLayer(
      UpdateStep step,
      Layer<T> layer,
      Operand<TFloat64> lrK,
      Operand<TFloat64> c,
      Operand<TFloat64> bc2,
      Operand<TFloat64> yStep) {
    Ops tf = step.tf();
    ElementwiseUpdate<T> u = ElementwiseUpdate.of(step, layer, kernel);
    Variable<T> zSlot = slot(layer, "z");
    Variable<T> vSlot = slot(layer, "v");
    ElementwiseUpdate<T>.Value y = u.variable();
    ElementwiseUpdate<T>.Value g = u.gradient();
    ElementwiseUpdate<T>.Value z = u.read(zSlot);
    ElementwiseUpdate<T>.Value v = u.ema(u.read(vSlot), u.square(g), beta2); // v = β2 v + (1 − β2) g²
    ElementwiseUpdate<T>.Value denominator = u.add(u.sqrt(u.div(v, u.scalar(bc2))), u.constant(eps));
    // ĝ = g / (sqrt(v / bc2) + eps) + wd · y
    ElementwiseUpdate<T>.Value normalized = u.div(g, denominator);
    if (weightDecay != 0) {
      normalized = u.add(normalized, u.mul(u.constant(weightDecay), y));
    }
    ElementwiseUpdate<T>.Value cT = u.scalar(c);
    ElementwiseUpdate<T>.Value oneMinusC = u.scalar(tf.math.sub(tf.constant(1.0), c));
    // y = (1 − c) y + c z + lr_k (β1 (1 − c) − 1) ĝ;  z = z − lr_k ĝ
    ElementwiseUpdate<T>.Value interpolated = u.add(u.mul(oneMinusC, y), u.mul(cT, z));
    ElementwiseUpdate<T>.Value newY = u.add(interpolated, u.mul(u.scalar(yStep), normalized));
    ElementwiseUpdate<T>.Value newZ = u.sub(z, u.mul(u.scalar(lrK), normalized));
    u.write(vSlot, v);
    u.write(zSlot, newZ);
    u.writeVariable(newY);
    u.apply();
  }

  /** x = (y − (1 − β1) z) / β1, from the variable (y) and the slot z. */
  @Override
  protected <T extends TType> Operand<T> evaluationValue(Ops tf, Layer<T> layer) {
    Class<T> type = layer.type();
    Operand<T> y = tf.identity(layer.variable());
    Operand<T> z = tf.identity(slot(layer, "z"));
    Operand<T> shifted = Tensors.sub(tf, y, Tensors.mul(tf, castScalar(tf, tf.constant(1 - beta1), type), z));
    return Tensors.div(tf, shifted, castScalar(tf, tf.constant(beta1), type));
  }

  /** Builds {@link ScheduleFreeAdamW}. */
  public static final class Builder extends OptimizerBuilder<Builder, ScheduleFreeAdamW>
      implements BuilderKeys.Betas<Builder>, BuilderKeys.Eps<Builder>, BuilderKeys.Kernel<Builder> {
    private Builder() {
      super(SPEC, ScheduleFreeAdamW.class);
    }

    /** Linear warmup over this many steps (default 0 = off). */
    public Builder warmup(long steps) {
      return set(WARMUP, steps);
    }

    /** The power r of the average's polynomial weights (default 0). */
    public Builder r(double value) {
      return set(R, value);
    }

    /** The power of lr_max in the average's weights (default 2). */
    public Builder weightLrPower(double value) {
      return set(WEIGHT_LR_POWER, value);
    }
  }
}
