package io.github.tftrain.optimizers;

import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TType;

/**
 * Muon (MomentUm Orthogonalized by Newton-Schulz, Jordan et al. 2024): SGD momentum whose update for each matrix is
 * replaced by an approximate orthogonalisation, for variables of rank &ge; 2; an internal AdamW for the others
 * (biases, gains, scalars).
 *
 * <p><b>Matrix convention.</b> A variable of rank &ge; 2 is viewed as the matrix [fan_in, fan_out] with
 * fan_out = its last dimension and fan_in = the product of the others: a dense kernel [in, out] as itself, a conv
 * kernel [kh, kw, in, out] as [kh·kw·in, out]. TF's layouts are the transpose of torch's ([out, in], [out, in, kh,
 * kw] flattened to [out, in·kh·kw]); the orthogonalisation commutes with transposing and with permuting rows, so
 * the update is the authors', and their scale sqrt(max(1, rows/cols)) in torch's layout is
 * sqrt(max(1, fan_out/fan_in)) here.
 *
 * <pre>
 * rank &ge; 2 (Muon):
 *   b = μ b + g
 *   u = nesterov ? g + μ b : b
 *   O = NewtonSchulz5(u as [fan_in, fan_out])
 *   x = x (1 − lr wd) − lr sqrt(max(1, fan_out / fan_in)) O
 *
 * NewtonSchulz5(G):  X = G / (‖G‖_F + 1e-7), on the orientation with fewer rows (Gᵀ when fan_in &gt; fan_out)
 *   nsSteps times:   A = X Xᵀ;  X = a X + (b A + c A²) X        (a, b, c) = (3.4445, −4.7750, 2.0315)
 *   transposed back when G was transposed
 *
 * rank &lt; 2 (AdamW, torch.optim.AdamW semantics), with adamwLr(t) = adamwLr · lr(t) / lr(0):
 *   m = β1 m + (1 − β1) g;   v = β2 v + (1 − β2) g²
 *   x = x (1 − adamwLr(t) wd) − adamwLr(t) (m / (1 − β1^t)) / (sqrt(v / (1 − β2^t)) + eps)
 * </pre>
 *
 * <p>A learning-rate schedule applies to both parts: the AdamW part's rate is {@code adamwLr} scaled by the same
 * factor lr(t)/lr(0) (as the authors' earlier {@code adamw_lr_ratio}). So lr(0) must be &gt; 0 unless the schedule
 * is 0 throughout (then both parts stand still). One {@code weightDecay} serves both parts, decoupled, each with its
 * own rate: lr·wd for the matrices, adamwLr(t)·wd for the rest; it is the optimizer's own (the base's weight-decay
 * modes do not apply).
 *
 * <p>Newton-Schulz runs in the variable's dtype (float32 or float64); the authors run it in bfloat16 on the GPU.
 * The momentum is SGD's (b = μ b + g), as in the authors' first release; their current code keeps an EMA
 * (b = μ b + (1 − μ) g, u = (1 − μ) g + μ b), which is (1 − μ) times this u, a difference the normalisation removes
 * up to its 1e-7.
 *
 * <p>Defaults: lr 0.02, momentum 0.95, nesterov true, nsSteps 5, weight decay 0; AdamW part as the authors'
 * {@code MuonWithAuxAdam} (KellerJordan/Muon since May 2025): adamwLr 3e-4, betas (0.9, 0.95), eps 1e-10.
 */
public final class Muon extends LossAwareOptimizer {
  /** The quintic Newton-Schulz coefficients of the authors. */
  static final double NS_A = 3.4445;

  static final double NS_B = -4.7750;
  static final double NS_C = 2.0315;
  /** Added to the Frobenius norm before the first iteration. */
  static final double NS_EPS = 1e-7;

  /** Momentum μ. */
  public static final Hyperparameter<Double> MOMENTUM =
      Hyperparameter.real("momentum", 0.95, Range.unitInterval(), "momentum μ of the matrices: b = μ b + g");
  /** Nesterov momentum. */
  public static final Hyperparameter<Boolean> NESTEROV =
      Hyperparameter.flag("nesterov", true, "Nesterov momentum: orthogonalise g + μ b instead of b");
  /** The number of Newton-Schulz iterations. */
  public static final Hyperparameter<Long> NS_STEPS =
      Hyperparameter.integer(
          "nsSteps", 5, Range.atLeast(0),
          "Newton-Schulz iterations (0: the momentum normalised to unit Frobenius norm)");
  /** Decoupled weight decay of both parts. */
  public static final Hyperparameter<Double> WEIGHT_DECAY =
      Hyperparameter.real(
          "weightDecay", 0.0, Range.atLeast(0),
          "decoupled weight decay: x ← x(1 − lr·wd) for matrices, x(1 − adamwLr·wd) for the rest");
  /** The AdamW part's learning rate. */
  public static final Hyperparameter<Double> ADAMW_LR =
      Hyperparameter.real(
          "adamwLr", 3e-4, Range.atLeast(0),
          "learning rate of the AdamW part (rank < 2); a schedule on lr scales it by lr(t)/lr(0)");
  /** The AdamW part's β1. */
  public static final Hyperparameter<Double> ADAMW_BETA1 =
      Hyperparameter.real("adamwBeta1", 0.9, Range.unitInterval(), "AdamW part: decay of the first moment");
  /** The AdamW part's β2. */
  public static final Hyperparameter<Double> ADAMW_BETA2 =
      Hyperparameter.real("adamwBeta2", 0.95, Range.unitInterval(), "AdamW part: decay of the second moment");
  /** The AdamW part's eps. */
  public static final Hyperparameter<Double> ADAMW_EPS =
      Hyperparameter.real("adamwEps", 1e-10, Range.atLeast(0), "AdamW part: added to the denominator");

  /** The declaration: name, source, defaults. */
  public static final OptimizerSpec SPEC =
      OptimizerSpec.builder("muon")
          .summary(
              "Muon: momentum orthogonalised by Newton-Schulz for variables of rank >= 2, AdamW for the others")
          .source(
              "Jordan et al., Muon: An optimizer for hidden layers in neural networks, 2024"
                  + " (kellerjordan.github.io/posts/muon); KellerJordan/Muon muon.py")
          .learningRate(0.02)
          .hyperparameters(
              MOMENTUM, NESTEROV, NS_STEPS, WEIGHT_DECAY, ADAMW_LR, ADAMW_BETA1, ADAMW_BETA2, ADAMW_EPS)
          .check(
              c -> {
                double lr0 = c.learningRate().initialValue();
                if (lr0 == 0 && c.learningRate().maximumValue() > 0) {
                  throw new IllegalArgumentException(
                      "muon: lr must be > 0 at step 0 (the AdamW part runs at adamwLr·lr(t)/lr(0)), got "
                          + c.learningRate() + " (0 at step 0); start a warmup above 0");
                }
              })
          .factory(Muon::new)
          .build();

  private final double momentum;
  private final boolean nesterov;
  private final long nsSteps;
  private final double weightDecay;
  private final double adamwLr;
  private final double adamwBeta1;
  private final double adamwBeta2;
  private final double adamwEps;
  private final double initialLr;

  /** Muon with the default configuration. */
  public Muon(Graph graph) {
    this(graph, builder().validate());
  }

  private Muon(Graph graph, OptimizerConfig config) {
    super(graph, config);
    this.momentum = config.get(MOMENTUM);
    this.nesterov = config.get(NESTEROV);
    this.nsSteps = config.get(NS_STEPS);
    this.weightDecay = config.get(WEIGHT_DECAY);
    this.adamwLr = config.get(ADAMW_LR);
    this.adamwBeta1 = config.get(ADAMW_BETA1);
    this.adamwBeta2 = config.get(ADAMW_BETA2);
    this.adamwEps = config.get(ADAMW_EPS);
    this.initialLr = config.learningRate().initialValue();
  }

  /** A builder with the documented defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** Whether a variable takes the Muon update (rank &ge; 2, not empty) rather than AdamW. */
  public static boolean usesMuon(Layer<?> layer) {
    return layer.rank() >= 2 && layer.size() > 0;
  }

  @Override
  protected void build(List<Layer<?>> layers) {
    for (Layer<?> layer : layers) {
      if (usesMuon(layer)) {
        createZeroSlot(layer, "momentum");
      } else {
        createZeroSlot(layer, "m");
        createZeroSlot(layer, "v");
      }
    }
  }

  @Override
  protected void update(UpdateStep step) {
    Ops tf = step.tf();
    Operand<TFloat64> lr = step.learningRate();
    // adamwLr(t) = adamwLr · lr(t) / lr(0); a schedule that is 0 throughout (lr(0) = 0, see the spec's check)
    // leaves the AdamW part still as well.
    Operand<TFloat64> adamwRate =
        initialLr > 0 ? tf.math.mul(tf.constant(adamwLr / initialLr), lr) : tf.constant(0.0);
    Operand<TFloat64> t = step.count();
    Operand<TFloat64> bc1 = step.biasCorrection(adamwBeta1);
    Operand<TFloat64> bc2 = step.biasCorrection(adamwBeta2);
    for (Layer<?> layer : step.layers()) {
      if (usesMuon(layer)) {
        muonLayer(step, layer, lr);
      } else {
        adamwLayer(step, layer, adamwRate, bc1, bc2);
      }
    }
  }

  private <T extends TType> void muonLayer(UpdateStep step, Layer<T> layer, Operand<TFloat64> lrDouble) {
    Ops tf = step.tf();
    Class<T> type = layer.type();
    Variable<T> buffer = slot(layer, "momentum");
    Operand<T> g = layer.gradient();
    Operand<T> mu = step.scalar(momentum, type);
    Operand<T> b = Tensors.add(tf, Tensors.mul(tf, mu, step.read(buffer)), g);
    Operand<T> u = nesterov ? Tensors.add(tf, g, Tensors.mul(tf, mu, b)) : b;
    Shape shape = layer.variable().shape();
    long fanOut = shape.size(shape.numDimensions() - 1);
    long fanIn = shape.size() / fanOut;
    Operand<T> matrix = tf.reshape(u, tf.constant(new long[] {fanIn, fanOut}));
    Operand<T> orthogonal = tf.reshape(newtonSchulz5(step, matrix, fanIn > fanOut), tf.constant(shape));
    double scale = Math.sqrt(Math.max(1.0, (double) fanOut / fanIn));
    Operand<T> x = layer.value();
    Operand<T> lr = step.cast(lrDouble, type);
    Operand<T> decayed =
        weightDecay == 0
            ? x
            : Tensors.sub(tf, x, Tensors.mul(tf, Tensors.mul(tf, lr, step.scalar(weightDecay, type)), x));
    Operand<T> newX =
        Tensors.sub(tf, decayed, Tensors.mul(tf, Tensors.mul(tf, lr, step.scalar(scale, type)), orthogonal));
    step.assign(buffer, b);
    step.assign(layer.variable(), newX);
  }

  /**
   * The quintic Newton-Schulz iteration on a matrix, in its dtype: X = G/(‖G‖ + 1e-7) on the orientation with fewer
   * rows, then X = aX + (bA + cA²)X with A = XXᵀ, nsSteps times.
   */
  private <T extends TType> Operand<T> newtonSchulz5(UpdateStep step, Operand<T> matrix, boolean transpose) {
    Ops tf = step.tf();
    Class<T> type = matrix.type();
    Operand<T> x = transpose ? tf.linalg.transpose(matrix, tf.constant(new int[] {1, 0})) : matrix;
    Operand<T> norm = Tensors.sqrt(tf, Tensors.sum(tf, Tensors.square(tf, x)));
    x = Tensors.div(tf, x, Tensors.add(tf, norm, step.scalar(NS_EPS, type)));
    Operand<T> a = step.scalar(NS_A, type);
    Operand<T> b = step.scalar(NS_B, type);
    Operand<T> c = step.scalar(NS_C, type);
    for (long i = 0; i < nsSteps; i++) {
      Operand<T> gram = tf.linalg.matMul(x, x, MatMul.transposeB(true));
      Operand<T> poly =
          Tensors.add(tf, Tensors.mul(tf, b, gram), Tensors.mul(tf, c, tf.linalg.matMul(gram, gram)));
      x = Tensors.add(tf, Tensors.mul(tf, a, x), tf.linalg.matMul(poly, x));
    }
    return transpose ? tf.linalg.transpose(x, tf.constant(new int[] {1, 0})) : x;
  }

  private <T extends TType> void adamwLayer(
      UpdateStep step,
      Layer<T> layer,
      Operand<TFloat64> rateDouble,
      Operand<TFloat64> bc1Double,
      Operand<TFloat64> bc2Double) {
    Ops tf = step.tf();
    Class<T> type = layer.type();
    Variable<T> mSlot = slot(layer, "m");
    Variable<T> vSlot = slot(layer, "v");
    Operand<T> g = layer.gradient();
    Operand<T> m =
        step.ema(step.read(mSlot), g, adamwBeta1);
    Operand<T> v =
        step.ema(step.read(vSlot), Tensors.square(tf, g), adamwBeta2);
    Operand<T> denominator =
        Tensors.add(
            tf, Tensors.div(tf, Tensors.sqrt(tf, v), step.cast(tf.math.sqrt(bc2Double), type)),
            step.scalar(adamwEps, type));
    Operand<T> direction = Tensors.div(tf, Tensors.div(tf, m, step.cast(bc1Double, type)), denominator);
    Operand<T> x = layer.value();
    Operand<T> rate = step.cast(rateDouble, type);
    Operand<T> decayed =
        weightDecay == 0
            ? x
            : Tensors.sub(tf, x, Tensors.mul(tf, Tensors.mul(tf, rate, step.scalar(weightDecay, type)), x));
    step.assign(mSlot, m);
    step.assign(vSlot, v);
    step.assign(layer.variable(), Tensors.sub(tf, decayed, Tensors.mul(tf, rate, direction)));
  }

  /** Builds {@link Muon}. */
  public static final class Builder extends OptimizerBuilder<Builder, Muon> {
    private Builder() {
      super(SPEC, Muon.class);
    }

    /** Momentum μ in [0, 1) (default 0.95). */
    public Builder momentum(double value) {
      return set(MOMENTUM, value);
    }

    /** Nesterov momentum (default true). */
    public Builder nesterov(boolean value) {
      return set(NESTEROV, value);
    }

    /** Newton-Schulz iterations >= 0 (default 5). */
    public Builder nsSteps(long value) {
      return set(NS_STEPS, value);
    }

    /** The AdamW part's learning rate at lr(0) (default 3e-4). */
    public Builder adamwLr(double value) {
      return set(ADAMW_LR, value);
    }

    /** The AdamW part's β1 in [0, 1) (default 0.9). */
    public Builder adamwBeta1(double value) {
      return set(ADAMW_BETA1, value);
    }

    /** The AdamW part's β2 in [0, 1) (default 0.95). */
    public Builder adamwBeta2(double value) {
      return set(ADAMW_BETA2, value);
    }

    /** The AdamW part's eps >= 0 (default 1e-10). */
    public Builder adamwEps(double value) {
      return set(ADAMW_EPS, value);
    }
  }
}
