package io.github.tftrain.optimizers;

import io.github.tftrain.optimizers.schedule.Schedule;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TType;

/**
 * KaFiStO: Kalman filtering for stochastic optimization (Davtyan et al.; the authors' code calls it KOALA).
 *
 * <p>The loss is a noisy measurement of its target, {@code L_min = L(x) + v}, {@code v ~ N(0, R)}; a Kalman filter
 * estimates the weights x from these scalar measurements. The covariance is approximated by a scaled identity
 * (Vanilla) or by a 2x2 matrix of scalars coupling weights and velocities (Dynamics), so the state costs a handful
 * of scalars plus, for Dynamics, one velocity per weight. Per step, with layer i = one variable x_i, its gradient g_i
 * and the minibatch loss L:
 *
 * <pre>
 * Predict (Vanilla, eqs 11-12)   x̂ = x,            P̂ = P + q
 * Predict (Dynamics, eqs 17-22)  x̂ = x + v,  v̂ = α v,  P̂ = F P Fᵀ + Q,  F = [[1, 1], [0, α]],  Q = diag(qX, qP)
 *   (loss and gradients are evaluated at x̂)
 * R (eq 23)        R = βR R + (1 - βR) m2,  m2 = mean of squared per-example losses (L² for a scalar loss),
 *                  or a fixed r
 * Target           L_min = lossTarget, or L - lossOffset (unbounded losses, §5.2)
 * Weight decay     g_i = g_i + wd x̂_i,  L_i = L + ½ wd ‖x̂_i‖²   (as in the authors' code)
 * Update (eq 13)   S_i = P̂xx ‖g_i‖² + R
 *                  x_i = x̂_i - lr P̂xx (L_i - L_min) / S_i g_i
 *                  v_i = v̂_i - lr P̂vx (L_i - L_min) / S_i g_i               (Dynamics)
 * Covariance (eq 26, layer-wise)   h = max_i ‖g_i‖² / S_i
 *                  Vanilla P = P̂ - h P̂²;   Dynamics P = P̂ - h (P̂ e₁)(P̂ e₁)ᵀ
 * Adaptive Q (eqs 24-25, Dynamics)  x_avg_i = βx x_avg_i + (1 - βx) x_i;  qX = (1/n) Σ_i ‖x_i - x_avg_i‖²
 *   qEstimate=authors (the authors' koala.py instead):  qX = 0.9 qX + 0.1 √(Σ_i ‖x_i - x_avg_i‖²) / n
 * </pre>
 *
 * <p>{@code lr} is the gain multiplier of §3.4 (scaling L - L_min), schedulable like a learning rate. With
 * {@code layerwise=false} all variables form one layer (one S from the global ‖g‖²). Layers with no gradient, or with
 * ‖g_i‖ &lt; 1e-9 (the raw gradient, before weight decay, as in the authors' code), are skipped: no update, and no
 * term in h. The filter's scalar state is float64.
 *
 * <p><b>One session run is one step.</b> The predict of step k+1 is folded into the end of step k, so between steps
 * the state holds predicted quantities: the model variables hold x̂ (where the next loss is evaluated), the
 * {@code velocity} slot holds v̂, and {@code p_xx, p_xv, p_vv} (Vanilla: {@code p}) hold P̂. The {@code average} slot
 * holds x_avg after the last update, {@code r} the last R and, with adaptive Q, {@code state_noise} the qX in P̂xx.
 * Before the first step, x̂ = x₀, v̂ = 0 and
 * P̂ = F P₀ Fᵀ + diag(q, qP) with P₀ = [[sigmaX, sigmaC], [sigmaC, sigmaP]] (Vanilla: P̂ = sigmaX + q): the first
 * predict uses the starting value of qX, and adaptive Q takes over from the second.
 *
 * <p>Defaults are the paper's "KaFiStO" configuration (§4): Dynamics, α = 0.9, σx² = σp² = 0.1, σc² = 0, adaptive R
 * (βR = 0.9, R₀ = 1), adaptive Q (βx = 0.9, qX₀ = 0.01), qP = 0.01, layer-wise, lr = 1. Vanilla defaults: σ² = 0.1,
 * fixed q = 1 (authors' code).
 *
 * <pre>{@code
 * Kafisto kafisto = Kafisto.builder().weightDecay(5e-4).build(graph);
 * Op train = kafisto.minimize(perExampleLosses);
 * }</pre>
 */
public final class Kafisto extends LossAwareOptimizer {

  /** The filter's state model. */
  public enum Variant {
    /** Constant dynamics, scalar covariance (Algorithm 1). */
    VANILLA,
    /** Weights with velocities, 2x2 covariance (§3.2). */
    DYNAMICS
  }

  /** Which weights Dynamics evaluates and exports. */
  public enum EvaluateAt {
    /** The filter's estimate x = x̂ − v̂/α (the posterior of the last update). */
    ESTIMATE,
    /** The predicted x̂ = x + v the variables hold between steps (where the next loss is measured). */
    PREDICTION
  }

  /** How adaptive Q estimates qX. */
  public enum QEstimate {
    /** Eq 25: qX = (1/n) Σ_i ‖x_i − x_avg_i‖². */
    PAPER,
    /**
     * The authors' koala.py: the norm √(Σ_i ‖x_i − x_avg_i‖²) divided by n, smoothed by a running average of its own
     * (0.9, hard-coded there): qX ← 0.9 qX + 0.1 √(Σ‖x − x_avg‖²) / n, starting from q.
     */
    AUTHORS
  }

  /** Layers whose raw gradient norm is below this are skipped (authors' code). */
  static final double MIN_GRADIENT_NORM = 1e-9;

  private final Config config;
  private final UpdateKernel kernel;

  // Filter state (float64 scalars). Vanilla uses pxx only (named "p").
  private Variable<TFloat64> pxx;
  private Variable<TFloat64> pxv;
  private Variable<TFloat64> pvv;
  private Variable<TFloat64> r;
  /** Adaptive Q only: the qX added into P̂xx by the last predict (the configured q before the first step). */
  private Variable<TFloat64> qX;
  private final Map<String, Variable<? extends TType>> velocity = new LinkedHashMap<>();
  private final Map<String, Variable<? extends TType>> average = new LinkedHashMap<>();

  // Diagnostics of the built step.
  private Operand<TFloat64> sigmaX2;
  private Operand<TFloat64> measurementNoise;
  private Operand<TFloat64> stateNoise;
  private Operand<TFloat64> effectiveStepSize;

  /** KaFiStO with the paper's default configuration. */
  public Kafisto(Graph graph) {
    this(graph, builder().validate());
  }

  private Kafisto(Graph graph, OptimizerConfig configuration) {
    super(graph, configuration);
    this.config = new Config(configuration);
    this.kernel = config.kernel.resolve("kafisto");
  }

  /**
   * Dynamics: the filter's posterior estimate x = x̂ − v̂/α of the weights. Between steps the variables hold the
   * predicted x̂ = x + v (where the next loss is evaluated) and the {@code velocity} slot holds v̂ = α v, so the
   * weights to evaluate and export are x̂ − v̂/α. Vanilla predicts x̂ = x, and with α = 0 the velocity is not
   * recoverable from v̂ = 0: both evaluate the variables themselves, as does {@code evaluateAt=prediction}.
   */
  @Override
  protected <T extends TType> Operand<T> evaluationValue(Ops tf, Layer<T> layer) {
    if (config.variant != Variant.DYNAMICS || config.alpha == 0 || config.evaluateAt == EvaluateAt.PREDICTION) {
      return null;
    }
    @SuppressWarnings("unchecked")
    Variable<T> v = (Variable<T>) velocity.get(layer.name());
    Operand<T> inverseAlpha = LossAwareOptimizer.castScalar(tf, tf.constant(1 / config.alpha), layer.type());
    return Tensors.sub(tf, tf.identity(layer.variable()), Tensors.mul(tf, inverseAlpha, tf.identity(v)));
  }

  /** The kernel the Dynamics update runs on here: NATIVE or GRAPH (Vanilla always uses ApplyGradientDescent). */
  public UpdateKernel kernel() {
    return kernel;
  }

  /** A builder with the documented defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** The resolved configuration this optimizer was built with. */
  public Config config() {
    return config;
  }

  @Override
  protected boolean needsLoss() {
    return true;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // State

  @Override
  protected void build(List<Layer<?>> layers) {
    double alpha = config.alpha;
    if (config.variant == Variant.VANILLA) {
      pxx = createScalar("p", config.sigmaX + config.q); // P̂₁ = P₀ + q (eq 12)
    } else {
      // P̂₁ = F P₀ Fᵀ + diag(q, qP) with F = [[1, 1], [0, α]].
      double sx = config.sigmaX;
      double sc = config.sigmaC;
      double sp = config.sigmaP;
      pxx = createScalar("p_xx", sx + 2 * sc + sp + config.q);
      pxv = createScalar("p_xv", alpha * (sc + sp));
      pvv = createScalar("p_vv", alpha * alpha * sp + config.qP);
      for (Layer<?> layer : layers) {
        velocity.put(layer.name(), createZeroSlot(layer, "velocity"));
        if (config.adaptiveQ) {
          average.put(layer.name(), createZeroSlot(layer, "average"));
        }
      }
      if (config.adaptiveQ) {
        qX = createScalar("state_noise", config.q); // the q in P̂₁ above
      }
    }
    if (config.r == null) {
      r = createScalar("r", config.rInit);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // One step

  @Override
  protected void update(UpdateStep step) {
    Ops tf = step.tf();
    LossStatistics loss = step.loss().orElseThrow();
    Operand<TFloat64> lr = step.learningRate();
    Operand<TFloat64> pHatXX = tf.identity(pxx);
    Operand<TFloat64> pHatXV = config.variant == Variant.DYNAMICS ? tf.identity(pxv) : null;
    // The qX inside P̂xx: written with P̂xx by the previous step (adaptive Q), else the fixed q. A read of state,
    // taken before any write like every other value of the step, so fetching it alone changes nothing. A copy
    // (Snapshot), not an Identity: a read of a legacy variable aliases its buffer, which this step's assign of the
    // next qX overwrites before the fetched value is returned.
    stateNoise = tf.withName("state_noise").snapshot(qX != null ? qX : tf.constant(config.q));

    // R (eq 23): running average of the loss's second moment, updated before use.
    Operand<TFloat64> measurement;
    if (config.r == null) {
      Operand<TFloat64> beta = tf.constant(config.betaR);
      measurement =
          tf.math.add(
              tf.math.mul(beta, tf.identity(r)),
              tf.math.mul(tf.constant(1 - config.betaR), loss.meanSquare()));
      step.assign(r, measurement);
    } else {
      measurement = tf.constant(config.r);
    }

    // Per-layer measurement quantities: ‖g_i‖² with weight decay folded in, L_i, and whether the layer is active.
    List<LayerTerms> terms = new ArrayList<>();
    for (Layer<?> layer : step.layers()) {
      terms.add(LayerTerms.of(step, layer, config.weightDecay, kernel == UpdateKernel.GRAPH));
    }
    Group whole = Group.all(tf, terms);
    List<Group> groups = config.layerwise ? Group.each(tf, terms) : List.of(whole);

    Operand<TFloat64> target = lossMinimum(tf, loss);
    Operand<TFloat64> h = tf.constant(0.0);
    Map<String, Operand<TFloat64>> gainOfLayer = new LinkedHashMap<>();
    for (Group group : groups) {
      // S = P̂xx ‖g‖² + R;  k = lr (L - L_min) / S, zero for skipped layers;  h = max ‖g‖² / S over active groups.
      Operand<TFloat64> innovation = tf.math.add(tf.math.mul(pHatXX, group.squaredGradient), measurement);
      Operand<TFloat64> residual = tf.math.sub(group.loss(tf, loss.mean()), target);
      Operand<TFloat64> gain =
          tf.select(group.active, tf.math.div(tf.math.mul(lr, residual), innovation), tf.constant(0.0));
      Operand<TFloat64> information =
          tf.select(group.active, tf.math.div(group.squaredGradient, innovation), tf.constant(0.0));
      h = tf.math.maximum(h, information);
      for (LayerTerms member : group.members) {
        gainOfLayer.put(member.layer.name(), gain);
      }
    }

    // Posterior covariance (eq 26 with eq 14 / Table 1).
    Operand<TFloat64> posteriorXX = tf.math.sub(pHatXX, tf.math.mul(h, tf.math.square(pHatXX)));

    if (config.variant == Variant.VANILLA) {
      for (LayerTerms layerTerms : terms) {
        updateVanillaLayer(step, layerTerms, gainOfLayer.get(layerTerms.layer.name()), pHatXX);
      }
      step.assign(pxx, tf.math.add(posteriorXX, tf.constant(config.q))); // next predict: P̂ = P + q
    } else {
      Operand<TFloat64> pHatVV = tf.identity(pvv);
      Operand<TFloat64> posteriorXV = tf.math.sub(pHatXV, tf.math.mul(h, tf.math.mul(pHatXX, pHatXV)));
      Operand<TFloat64> posteriorVV = tf.math.sub(pHatVV, tf.math.mul(h, tf.math.square(pHatXV)));
      // Next predict: P̂ = F P Fᵀ + diag(qX, qP) with F = [[1, 1], [0, α]].
      Operand<TFloat64> alpha = tf.constant(config.alpha);
      step.assign(pxv, tf.math.mul(alpha, tf.math.add(posteriorXV, posteriorVV)));
      step.assign(pvv, tf.math.add(tf.math.mul(tf.math.square(alpha), posteriorVV), tf.constant(config.qP)));
      Operand<TFloat64> predictedXX =
          tf.math.add(posteriorXX, tf.math.add(tf.math.mul(tf.constant(2.0), posteriorXV), posteriorVV));
      long parameterCount = terms.stream().mapToLong(t -> t.layer.size()).sum();
      if (kernel == UpdateKernel.NATIVE) {
        List<UpdateStep.PendingKernel> kernels = new ArrayList<>();
        for (LayerTerms layerTerms : terms) {
          kernels.add(
              nativeDynamicsLayer(step, layerTerms.layer, gainOfLayer.get(layerTerms.layer.name()), pHatXX, pHatXV));
        }
        if (!config.adaptiveQ) {
          step.assign(pxx, tf.math.add(predictedXX, nextStateNoise(tf, tf.constant(0.0), parameterCount)));
        } else {
          // qX needs the kernels' deviation sums, so P̂xx and qX are written after them.
          step.lateWrite(
            after -> {
              Operand<TFloat64> deviation = after.constant(0.0);
              for (UpdateStep.PendingKernel k : kernels) {
                deviation = after.math.add(deviation, k.op().op().<TFloat64>output(0));
              }
              Operand<TFloat64> next = nextStateNoise(after, deviation, parameterCount);
              Op writePxx = after.assign(pxx, after.math.add(predictedXX, next));
              Op writeQx = after.assign(qX, next);
              return after.withControlDependencies(List.of(writePxx, writeQx)).noOp();
            });
        }
      } else {
        Operand<TFloat64> deviation = tf.constant(0.0);
        for (LayerTerms layerTerms : terms) {
          Operand<TFloat64> layerDeviation =
              updateDynamicsLayer(step, layerTerms, gainOfLayer.get(layerTerms.layer.name()), pHatXX, pHatXV);
          if (layerDeviation != null) {
            deviation = tf.math.add(deviation, layerDeviation);
          }
        }
        Operand<TFloat64> next = nextStateNoise(tf, deviation, parameterCount);
        step.assign(pxx, tf.math.add(predictedXX, next));
        if (qX != null) {
          step.assign(qX, next);
        }
      }
    }

    // Diagnostics: posterior σx², R and the step size lr P̂xx (L - L_min) / S over all layers as one. They read
    // the filter state, so they join the computations every write waits for (as stateNoise, read above).
    Operand<TFloat64> wholeInnovation = tf.math.add(tf.math.mul(pHatXX, whole.squaredGradient), measurement);
    sigmaX2 = tf.withName("sigma_x2").identity(posteriorXX);
    measurementNoise = tf.withName("measurement_noise").identity(measurement);
    effectiveStepSize =
        tf.withName("effective_step_size")
            .math.div(
                tf.math.mul(tf.math.mul(lr, pHatXX), tf.math.sub(whole.loss(tf, loss.mean()), target)),
                wholeInnovation);
  }

  /** L_min: a fixed target, or L - u for losses unbounded below. */
  private Operand<TFloat64> lossMinimum(Ops tf, LossStatistics loss) {
    if (config.lossOffset != null) {
      return tf.math.sub(loss.mean(), tf.constant(config.lossOffset));
    }
    return tf.constant(config.lossTarget);
  }

  /**
   * qX for the next predict (Dynamics): adaptive (eq 25, (1/n) Σ_i ‖x_i - x_avg_i‖², or with qEstimate=authors
   * 0.9 qX + 0.1 √(Σ_i ‖x_i - x_avg_i‖²) / n from this step's qX) or the fixed q.
   */
  private Operand<TFloat64> nextStateNoise(Ops tf, Operand<TFloat64> deviation, long parameterCount) {
    if (!config.adaptiveQ || parameterCount == 0) {
      return tf.constant(config.q);
    }
    Operand<TFloat64> n = tf.constant((double) parameterCount);
    if (config.qEstimate == QEstimate.AUTHORS) {
      return tf.math.add(tf.math.mul(tf.constant(0.9), stateNoise),
          tf.math.mul(tf.constant(0.1), tf.math.div(tf.math.sqrt(deviation), n)));
    }
    return tf.math.div(deviation, n);
  }

  /**
   * Vanilla (eq 13): x ← x̂ - lr P̂ (L_i - L_min)/S_i g_i, with TF's fused in-place ApplyGradientDescent (its
   * arithmetic is exactly this, on either kernel setting).
   */
  private <T extends TType> void updateVanillaLayer(
      UpdateStep step, LayerTerms terms, Operand<TFloat64> gain, Operand<TFloat64> pHat) {
    @SuppressWarnings("unchecked")
    Layer<T> layer = (Layer<T>) terms.layer;
    @SuppressWarnings("unchecked")
    Operand<T> direction = (Operand<T>) terms.direction;
    Ops tf = step.tf();
    Operand<T> c = step.cast(tf.math.mul(gain, pHat), layer.type());
    step.inPlace(after -> after.train.applyGradientDescent(layer.variable(), c, direction));
  }

  /**
   * Dynamics with the fused kernel: the same per-element update as {@link #updateDynamicsLayer} in one in-place
   * pass (weight decay applied inside); its output is Σ ‖x - x_avg‖² (adaptive Q only).
   */
  private UpdateStep.PendingKernel nativeDynamicsLayer(
      UpdateStep step,
      Layer<?> layer,
      Operand<TFloat64> gain,
      Operand<TFloat64> pHatXX,
      Operand<TFloat64> pHatXV) {
    Ops tf = step.tf();
    Operand<TFloat64> positionGain = tf.math.mul(gain, pHatXX);
    Operand<TFloat64> velocityGain = tf.math.mul(gain, pHatXV);
    String op = config.adaptiveQ ? NativeKernels.KAFISTO_DYNAMICS : NativeKernels.KAFISTO_DYNAMICS_FIXED_Q;
    return step.inPlace(
        after -> {
          var builder = after.scope().opBuilder(op, "kafisto_update").addInput(layer.variable());
          builder.addInput(velocity.get(layer.name()).asOutput());
          if (config.adaptiveQ) {
            builder.addInput(average.get(layer.name()).asOutput());
          }
          return NativeKernels.op(
              builder
                  .addInput(layer.gradient().asOutput())
                  .addInput(positionGain.asOutput())
                  .addInput(velocityGain.asOutput())
                  .addInput(after.constant(config.alpha).asOutput())
                  .addInput(after.constant(config.betaX).asOutput())
                  .addInput(after.constant(config.weightDecay).asOutput())
                  .setAttr("T", layer.gradient().asOutput().dataType())
                  .build());
        });
  }

  /**
   * Dynamics (eq 13 for [x, v], then the predict of the next step):
   * x = x̂ - k P̂xx g;  v = v̂ - k P̂vx g;  x_avg = βx x_avg + (1 - βx) x;  x̂' = x + v;  v̂' = α v.
   *
   * @return ‖x - x_avg‖² for adaptive Q, else null
   */
  private <T extends TType> Operand<TFloat64> updateDynamicsLayer(
      UpdateStep step,
      LayerTerms terms,
      Operand<TFloat64> gain,
      Operand<TFloat64> pHatXX,
      Operand<TFloat64> pHatXV) {
    @SuppressWarnings("unchecked")
    Layer<T> layer = (Layer<T>) terms.layer;
    @SuppressWarnings("unchecked")
    Operand<T> direction = (Operand<T>) terms.direction;
    Ops tf = step.tf();
    Class<T> type = layer.type();
    @SuppressWarnings("unchecked")
    Variable<T> velocitySlot = (Variable<T>) velocity.get(layer.name());
    Operand<T> vHat = tf.identity(velocitySlot);
    Operand<T> x = Tensors.sub(tf, layer.value(), Tensors.mul(tf, step.cast(tf.math.mul(gain, pHatXX), type), direction));
    Operand<T> v = Tensors.sub(tf, vHat, Tensors.mul(tf, step.cast(tf.math.mul(gain, pHatXV), type), direction));
    step.assign(layer.variable(), Tensors.add(tf, x, v));
    step.assign(velocitySlot, Tensors.mul(tf, step.cast(tf.constant(config.alpha), type), v));
    if (!config.adaptiveQ) {
      return null;
    }
    @SuppressWarnings("unchecked")
    Variable<T> averageSlot = (Variable<T>) average.get(layer.name());
    Operand<T> beta = step.cast(tf.constant(config.betaX), type);
    Operand<T> oneMinusBeta = step.cast(tf.constant(1 - config.betaX), type);
    Operand<T> xAverage = Tensors.add(tf, Tensors.mul(tf, beta, tf.identity(averageSlot)), Tensors.mul(tf, oneMinusBeta, x));
    step.assign(averageSlot, xAverage);
    return step.squaredNorm(Tensors.sub(tf, x, xAverage), true);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Diagnostics

  /** σx² after this step's update (before the next predict); fetch with the train op. */
  public Operand<TFloat64> sigmaX2() {
    return built(sigmaX2, "sigmaX2()");
  }

  /** R used by this step (eq 23); fetch with the train op. */
  public Operand<TFloat64> measurementNoise() {
    return built(measurementNoise, "measurementNoise()");
  }

  /**
   * The state noise qX inside the predicted covariance P̂ this step starts from: added by the predict at the end of
   * the previous step (eq 25 from that step's posterior with adaptive Q), the configured q at the first step, and
   * always q with a fixed Q or in Vanilla. With adaptive Q it reads the {@code state_noise} variable, so it is the
   * same on both kernels and, like the other diagnostics, fetching it without the train op changes nothing. Fetch
   * it with the train op to log the step's value.
   */
  public Operand<TFloat64> stateNoise() {
    return built(stateNoise, "stateNoise()");
  }

  /**
   * The step size lr P̂xx (L - L_min) / S of eq 13 with all variables as one layer (S from the global ‖g‖²; with
   * {@code layerwise=false} it is exactly the step applied). Fetch with the train op.
   */
  public Operand<TFloat64> effectiveStepSize() {
    return built(effectiveStepSize, "effectiveStepSize()");
  }

  private Operand<TFloat64> built(Operand<TFloat64> value, String what) {
    if (value == null) {
      throw new IllegalStateException(getOptimizerName() + "." + what + " is available once minimize ran");
    }
    return value;
  }

  /** One layer's measurement terms: the update direction g_i (+ wd x̂_i), ‖·‖², ½ wd ‖x̂_i‖², active flag. */
  private static final class LayerTerms {
    final Layer<?> layer;
    final Operand<? extends TType> direction;
    final Operand<TFloat64> squaredGradient;
    final Operand<TFloat64> rawSquaredGradient;
    final Operand<TFloat64> decayLoss;

    private LayerTerms(
        Layer<?> layer,
        Operand<? extends TType> direction,
        Operand<TFloat64> squaredGradient,
        Operand<TFloat64> rawSquaredGradient,
        Operand<TFloat64> decayLoss) {
      this.layer = layer;
      this.direction = direction;
      this.squaredGradient = squaredGradient;
      this.rawSquaredGradient = rawSquaredGradient;
      this.decayLoss = decayLoss;
    }

    static <T extends TType> LayerTerms of(UpdateStep step, Layer<T> layer, double weightDecay, boolean allowXla) {
      Ops tf = step.tf();
      Operand<TFloat64> raw = step.squaredNorm(layer.gradient(), allowXla);
      if (weightDecay == 0) {
        return new LayerTerms(layer, layer.gradient(), raw, raw, tf.constant(0.0));
      }
      Operand<T> decayed =
          Tensors.add(tf, layer.gradient(), Tensors.mul(tf, step.cast(tf.constant(weightDecay), layer.type()), layer.value()));
      Operand<TFloat64> decayLoss =
          tf.math.mul(tf.constant(0.5 * weightDecay), step.squaredNorm(layer.value(), allowXla));
      return new LayerTerms(layer, decayed, step.squaredNorm(decayed, allowXla), raw, decayLoss);
    }
  }

  /** Variables measured together: one layer (layer-wise) or all of them. */
  private static final class Group {
    final List<LayerTerms> members;
    final Operand<TFloat64> squaredGradient;
    final Operand<TFloat64> decayLoss;
    final Operand<org.tensorflow.types.TBool> active;

    private Group(Ops tf, List<LayerTerms> members) {
      this.members = members;
      Operand<TFloat64> squared = tf.constant(0.0);
      Operand<TFloat64> raw = tf.constant(0.0);
      Operand<TFloat64> decay = tf.constant(0.0);
      for (LayerTerms member : members) {
        squared = members.size() == 1 ? member.squaredGradient : tf.math.add(squared, member.squaredGradient);
        raw = members.size() == 1 ? member.rawSquaredGradient : tf.math.add(raw, member.rawSquaredGradient);
        decay = members.size() == 1 ? member.decayLoss : tf.math.add(decay, member.decayLoss);
      }
      this.squaredGradient = squared;
      this.decayLoss = decay;
      this.active = tf.math.greaterEqual(raw, tf.constant(MIN_GRADIENT_NORM * MIN_GRADIENT_NORM));
    }

    static List<Group> each(Ops tf, List<LayerTerms> terms) {
      List<Group> groups = new ArrayList<>();
      for (LayerTerms t : terms) {
        groups.add(new Group(tf, List.of(t)));
      }
      return groups;
    }

    static Group all(Ops tf, List<LayerTerms> terms) {
      return new Group(tf, terms);
    }

    /** L_i = L + ½ wd ‖x̂_i‖² (summed over the group's variables). */
    Operand<TFloat64> loss(Ops tf, Operand<TFloat64> meanLoss) {
      return tf.math.add(meanLoss, decayLoss);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Configuration

  /** vanilla or dynamics. */
  public static final Hyperparameter<Variant> VARIANT =
      Hyperparameter.choice(
          "variant", Variant.class, Variant.DYNAMICS,
          "vanilla (eqs 11-14) or dynamics (weights with velocities, eqs 17-22)");
  /** Velocity decay α. */
  public static final Hyperparameter<Double> ALPHA =
      Hyperparameter.real("alpha", 0.9, Range.unitInterval(), "velocity decay α (dynamics)");
  /** Initial σx². */
  public static final Hyperparameter<Double> SIGMA_X =
      Hyperparameter.real("sigmaX", 0.1, Range.atLeast(0), "initial σx² (vanilla: σ²)");
  /** Initial σp². */
  public static final Hyperparameter<Double> SIGMA_P =
      Hyperparameter.real("sigmaP", 0.1, Range.atLeast(0), "initial velocity variance σp² (dynamics)");
  /** Initial σc². */
  public static final Hyperparameter<Double> SIGMA_C =
      Hyperparameter.real(
          "sigmaC", 0.0, Range.finite(), "initial weight-velocity covariance σc² (dynamics), |σc²| <= σx·σp");
  /** State noise. */
  public static final Hyperparameter<Double> Q =
      Hyperparameter.real("q", 0.01, Range.atLeast(0), "state noise: vanilla's q; dynamics' qX (fixed, or the start of"
              + " the adaptive one)")
          .withDerivedDefault("0.01 (dynamics), 1.0 (vanilla)");
  /** Velocity state noise. */
  public static final Hyperparameter<Double> Q_P =
      Hyperparameter.real("qP", 0.01, Range.atLeast(0), "velocity state noise qP (dynamics)");
  /** Adaptive qX. */
  public static final Hyperparameter<Boolean> ADAPTIVE_Q =
      Hyperparameter.flag(
          "adaptiveQ", true, "qX = (1/n) Σ‖x − x_avg‖², x_avg a βx running average (eqs 24-25; dynamics)");
  /** How adaptive Q estimates qX. */
  public static final Hyperparameter<QEstimate> Q_ESTIMATE =
      Hyperparameter.choice(
          "qEstimate", QEstimate.class, QEstimate.PAPER,
          "adaptive qX as the paper defines it (eq 25) or as the authors' koala.py computes it (0.9 qX + 0.1 "
              + "√(Σ‖x − x_avg‖²)/n); dynamics with adaptiveQ");
  /** The weights Dynamics evaluates. */
  public static final Hyperparameter<EvaluateAt> EVALUATE_AT =
      Hyperparameter.choice(
          "evaluateAt", EvaluateAt.class, EvaluateAt.ESTIMATE,
          "weights evaluated and exported: the estimate x = x̂ − v̂/α, or the prediction x̂ (dynamics)");
  /** βx. */
  public static final Hyperparameter<Double> BETA_X =
      Hyperparameter.real("betaX", 0.9, Range.unitInterval(), "βx of the running weight average (eq 24)");
  /** A fixed R. */
  public static final Hyperparameter<Double> R =
      Hyperparameter.optionalReal(
          "r", Range.above(0), "adaptive", "a fixed measurement noise R > 0 instead of the estimate (eq 23)");
  /** βR. */
  public static final Hyperparameter<Double> BETA_R =
      Hyperparameter.real("betaR", 0.9, Range.unitInterval(), "R ← βR·R + (1 − βR)·mean(l²) (eq 23)");
  /** R₀. */
  public static final Hyperparameter<Double> R_INIT =
      Hyperparameter.real("rInit", 1.0, Range.atLeast(0), "starting value of the adaptive R");
  /** A fixed L_min. */
  public static final Hyperparameter<Double> LOSS_TARGET =
      Hyperparameter.real("lossTarget", 0.0, Range.finite(), "a fixed loss target L_min");
  /** u of L_min = L − u. */
  public static final Hyperparameter<Double> LOSS_OFFSET =
      Hyperparameter.optionalReal(
          "lossOffset", Range.above(0), "unset",
          "u > 0: L_min = L − u, for losses unbounded below (§5.2 uses 4 for WGAN-GP)");
  /** Layer-wise measurements. */
  public static final Hyperparameter<Boolean> LAYERWISE =
      Hyperparameter.flag(
          "layerwise", true, "one measurement per variable, h = max_i ‖g_i‖²/S_i (eq 26); false: all as one");
  /** The authors' weight decay. */
  public static final Hyperparameter<Double> WEIGHT_DECAY =
      Hyperparameter.real(
          "weightDecay", 0.0, Range.atLeast(0), "g ← g + wd·x and L_i = L + ½wd‖x_i‖², as in the authors' code");
  /** The update kernel. */
  public static final Hyperparameter<UpdateKernel> KERNEL =
      Hyperparameter.choice("kernel", UpdateKernel.class, UpdateKernel.AUTO, "native, graph or auto");

  /** The declaration: the paper's §4 defaults. */
  public static final OptimizerSpec SPEC =
      OptimizerSpec.builder("kafisto")
          .summary("KaFiStO: Kalman filtering for stochastic optimization (Vanilla and Dynamics)")
          .source("Davtyan et al., KaFiStO: A Kalman Filtering Framework for Stochastic Optimization, eqs 11-26;"
              + " the paper wins where the authors' KOALA code differs")
          .learningRate(1.0, "gain multiplier on L − L_min (§3.4), schedulable")
          .hyperparameters(
              VARIANT, ALPHA, SIGMA_X, SIGMA_P, SIGMA_C, Q, Q_P, ADAPTIVE_Q, Q_ESTIMATE, BETA_X, R, BETA_R, R_INIT,
              LOSS_TARGET, LOSS_OFFSET, LAYERWISE, EVALUATE_AT, WEIGHT_DECAY, KERNEL)
          .noAccumulation()
          .check(Config::new)
          .factory(Kafisto::new)
          .build();

  /** The validated hyperparameters, resolved for the chosen variant. */
  public static final class Config {
    public final Variant variant;
    public final io.github.tftrain.optimizers.schedule.Schedule lr;
    public final double alpha;
    public final double sigmaX;
    public final double sigmaP;
    public final double sigmaC;
    public final double q;
    public final double qP;
    public final boolean adaptiveQ;
    /** How adaptive Q estimates qX. */
    public final QEstimate qEstimate;
    /** The weights Dynamics evaluates. */
    public final EvaluateAt evaluateAt;
    public final double betaX;
    /** Fixed R, or null for the adaptive estimate. */
    public final Double r;
    public final double betaR;
    public final double rInit;
    public final double lossTarget;
    /** u of L_min = L - u, or null for a fixed target. */
    public final Double lossOffset;
    public final boolean layerwise;
    public final double weightDecay;
    /** The requested update kernel (see {@link UpdateKernel}). */
    public final UpdateKernel kernel;

    Config(OptimizerConfig c) {
      this.kernel = c.get(KERNEL);
      this.variant = c.get(VARIANT);
      this.lr = c.learningRate();
      boolean dynamics = variant == Variant.DYNAMICS;
      if (!dynamics) {
        for (Hyperparameter<?> p : List.of(ALPHA, SIGMA_P, SIGMA_C, Q_P, BETA_X, Q_ESTIMATE, EVALUATE_AT)) {
          if (c.isSet(p)) {
            throw new IllegalArgumentException(
                "kafisto: " + p.key() + " applies to variant=dynamics only (variant is vanilla)");
          }
        }
        if (c.isSet(ADAPTIVE_Q) && c.get(ADAPTIVE_Q)) {
          throw new IllegalArgumentException(
              "kafisto: adaptiveQ applies to variant=dynamics only (variant is vanilla)");
        }
      }
      this.alpha = c.get(ALPHA);
      this.sigmaX = c.get(SIGMA_X);
      this.sigmaP = c.get(SIGMA_P);
      this.sigmaC = c.get(SIGMA_C);
      if (dynamics && sigmaC * sigmaC > sigmaX * sigmaP) {
        throw Hyperparameters.invalid(
            "kafisto", "sigmaC", "in [-sqrt(sigmaX*sigmaP), sqrt(sigmaX*sigmaP)] (P must be a covariance)", sigmaC);
      }
      this.q = c.get(Q, dynamics ? 0.01 : 1.0);
      this.qP = c.get(Q_P);
      this.adaptiveQ = dynamics && c.get(ADAPTIVE_Q);
      this.qEstimate = c.get(Q_ESTIMATE);
      this.evaluateAt = c.get(EVALUATE_AT);
      if (dynamics && !adaptiveQ && c.isSet(Q_ESTIMATE)) {
        throw new IllegalArgumentException("kafisto: qEstimate applies to the adaptive Q (adaptiveQ is false)");
      }
      this.betaX = c.get(BETA_X);
      this.r = c.get(R);
      if (r != null && (c.isSet(BETA_R) || c.isSet(R_INIT))) {
        throw new IllegalArgumentException(
            "kafisto: r fixes R; betaR and rInit apply to the adaptive R only (leave r unset to estimate R)");
      }
      this.betaR = c.get(BETA_R);
      this.rInit = c.get(R_INIT);
      if (c.isSet(LOSS_OFFSET) && c.isSet(LOSS_TARGET)) {
        throw new IllegalArgumentException(
            "kafisto: set lossTarget (L_min fixed) or lossOffset (L_min = L - u), not both");
      }
      this.lossTarget = c.get(LOSS_TARGET);
      this.lossOffset = c.get(LOSS_OFFSET);
      this.layerwise = c.get(LAYERWISE);
      this.weightDecay = c.get(WEIGHT_DECAY);
    }
  }

  /**
   * Builds {@link Kafisto}. Unset values take the defaults of the chosen variant. Setting a Dynamics-only
   * hyperparameter (alpha, sigmaP, sigmaC, qP, betaX, adaptiveQ, qEstimate) with {@code variant=vanilla} is an error.
   */
  public static final class Builder extends OptimizerBuilder<Builder, Kafisto>
      implements BuilderKeys.Kernel<Builder> {
    private Builder() {
      super(SPEC, Kafisto.class);
    }

    /** vanilla or dynamics (default). */
    public Builder variant(Variant value) {
      return set(VARIANT, value);
    }

    /** Velocity decay α in [0, 1) (Dynamics; default 0.9). */
    public Builder alpha(double value) {
      return set(ALPHA, value);
    }

    /** Initial σx² (the variance; default 0.1; Vanilla's σ²). */
    public Builder sigmaX(double value) {
      return set(SIGMA_X, value);
    }

    /** Initial σp², velocity variance (Dynamics; default 0.1). */
    public Builder sigmaP(double value) {
      return set(SIGMA_P, value);
    }

    /** Initial σc², weight-velocity covariance (Dynamics; default 0). */
    public Builder sigmaC(double value) {
      return set(SIGMA_C, value);
    }

    /**
     * State noise: Vanilla's q (default 1.0), Dynamics' qX (default 0.01; fixed when adaptiveQ=false, the starting
     * value otherwise).
     */
    public Builder q(double value) {
      return set(Q, value);
    }

    /** Velocity state noise qP (Dynamics; default 0.01). */
    public Builder qP(double value) {
      return set(Q_P, value);
    }

    /** Estimate qX online (eqs 24-25; Dynamics; default true). */
    public Builder adaptiveQ(boolean value) {
      return set(ADAPTIVE_Q, value);
    }

    /** Which weights Dynamics evaluates and exports: the estimate x (default) or the prediction x̂. */
    public Builder evaluateAt(EvaluateAt value) {
      return set(EVALUATE_AT, value);
    }

    /** How adaptive Q estimates qX: the paper's eq 25 (default) or the authors' code. */
    public Builder qEstimate(QEstimate value) {
      return set(Q_ESTIMATE, value);
    }

    /** βx of the running weight average (eq 24; default 0.9). */
    public Builder betaX(double value) {
      return set(BETA_X, value);
    }

    /** A fixed measurement noise R > 0 instead of the adaptive estimate (eq 23). */
    public Builder r(double value) {
      return set(R, value);
    }

    /** βR of the adaptive R (eq 23; default 0.9). */
    public Builder betaR(double value) {
      return set(BETA_R, value);
    }

    /** Starting value of the adaptive R (default 1.0). */
    public Builder rInit(double value) {
      return set(R_INIT, value);
    }

    /** A fixed loss target L_min (default 0). */
    public Builder lossTarget(double value) {
      return set(LOSS_TARGET, value);
    }

    /** u > 0 for L_min = L - u, for losses unbounded below (paper §5.2 uses 4 for WGAN-GP). */
    public Builder lossOffset(double value) {
      return set(LOSS_OFFSET, value);
    }

    /** One measurement per variable with the max of eq 26 (default true), or all variables as one. */
    public Builder layerwise(boolean value) {
      return set(LAYERWISE, value);
    }

    /** The typed configuration this builder would build with (validated, no graph needed). */
    public Config config() {
      return new Config(validate());
    }
  }
}
