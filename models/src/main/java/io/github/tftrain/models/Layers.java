package io.github.tftrain.models;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.nn.FusedBatchNorm;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TFloating;

/**
 * Building blocks from raw TensorFlow ops. Each takes the {@link Network} scope to build in (its name becomes the
 * variables' prefix: {@code net.scope("conv1")} gives {@code .../conv1/kernel}) and returns the output tensor.
 * Images are channel-last (NHWC), the layout of TensorFlow's CPU kernels.
 */
public final class Layers {
  private Layers() {}

  // ---------------------------------------------------------------------------------------------------------------
  // Dense and convolutions

  /**
   * {@code x W + b} for x of shape [..., in]: kernel [in, units] from the network's initializer, bias zeros.
   */
  public static <T extends TFloating> Operand<T> dense(Network<T> net, Operand<T> x, int units, boolean bias) {
    Ops tf = net.tf();
    long in = lastDimension(x, "dense input");
    Variable<T> kernel = net.kernel("kernel", in, units);
    Operand<T> y;
    if (x.shape().numDimensions() == 2) {
      y = tf.linalg.matMul(x, tf.identity(kernel));
    } else {
      Operand<T> flat = tf.reshape(x, tf.constant(new long[] {-1, in}));
      Operand<T> product = tf.linalg.matMul(flat, tf.identity(kernel));
      y = tf.reshape(product, outerShape(tf, x, units));
    }
    if (bias) {
      y = tf.nn.biasAdd(y, tf.identity(net.constantTrainable("bias", 0.0, units)));
    }
    return y;
  }

  /**
   * 2-D convolution, NHWC, SAME padding: kernel [k, k, in, filters] from the network's initializer.
   */
  public static <T extends TFloating> Operand<T> conv2d(
      Network<T> net, Operand<T> x, int filters, int kernel, int stride, boolean bias) {
    Ops tf = net.tf();
    long in = lastDimension(x, "conv2d input");
    Variable<T> w = net.kernel("kernel", kernel, kernel, in, filters);
    Operand<T> y = tf.nn.conv2d(x, tf.identity(w), List.of(1L, (long) stride, (long) stride, 1L), "SAME");
    if (bias) {
      y = tf.nn.biasAdd(y, tf.identity(net.constantTrainable("bias", 0.0, filters)));
    }
    return y;
  }

  /**
   * Transposed 2-D convolution (the gradient of a convolution), NHWC, SAME padding: output height and width are
   * stride times the input's. Kernel [k, k, filters, in].
   */
  public static <T extends TFloating> Operand<T> conv2dTranspose(
      Network<T> net, Operand<T> x, int filters, int kernel, int stride, boolean bias) {
    Ops tf = net.tf();
    Shape shape = x.shape();
    long in = lastDimension(x, "conv2dTranspose input");
    if (shape.numDimensions() != 4 || shape.get(1) < 0 || shape.get(2) < 0) {
      throw new IllegalArgumentException("conv2dTranspose needs [batch, h, w, c] with known h, w; got " + shape);
    }
    Variable<T> w = net.kernel("kernel", kernel, kernel, filters, in);
    Operand<TInt32> batch = tf.slice(tf.shape(x), tf.constant(new int[] {0}), tf.constant(new int[] {1}));
    Operand<TInt32> outShape =
        tf.concat(
            List.of(
                batch,
                tf.constant(new int[] {(int) (shape.get(1) * stride), (int) (shape.get(2) * stride), filters})),
            tf.constant(0));
    Operand<T> y =
        tf.nn.conv2dBackpropInput(outShape, tf.identity(w), x, List.of(1L, (long) stride, (long) stride, 1L), "SAME");
    if (bias) {
      y = tf.nn.biasAdd(y, tf.identity(net.constantTrainable("bias", 0.0, filters)));
    }
    // Conv2DBackpropInput's static output shape is unknown when the batch is; a reshape (EnsureShape has no
    // gradient) gives later layers the height, width and channels they need to size their kernels.
    return tf.reshape(y, tf.constant(new long[] {-1, shape.get(1) * stride, shape.get(2) * stride, filters}));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Normalisation and regularisation

  /**
   * Batch normalisation over all axes but the last: batch statistics when {@link Network#training()} is true,
   * moving statistics otherwise. The moving statistics (non-trainable) are updated by an op registered with
   * {@link Network#addUpdate}: {@code moving = decay moving + (1 - decay) batch}, with the unbiased batch variance
   * (torch's BatchNorm with momentum 1 - decay).
   *
   * <p>float32 uses TensorFlow's fused kernel, computing the inference branch too and selecting; the unused branch
   * is behind a stop-gradient, so backpropagation runs through one branch only. float64 (for gradient checks), which
   * the fused kernel does not support, composes the same function from elementary ops.
   *
   * @param decay moving-average decay (0.9 = torch momentum 0.1)
   */
  public static <T extends TFloating> Operand<T> batchNorm(
      Network<T> net, Operand<T> x, double decay, double epsilon) {
    Ops tf = net.tf();
    long channels = lastDimension(x, "batchNorm input");
    Variable<T> gamma = net.constantTrainable("gamma", 1.0, channels);
    Variable<T> beta = net.constantTrainable("beta", 0.0, channels);
    Variable<T> movingMean = net.nonTrainable("moving_mean", 0.0, channels);
    Variable<T> movingVariance = net.nonTrainable("moving_variance", 1.0, channels);
    int rank = x.shape().numDimensions();
    Operand<T> input4d = rank == 4 ? x : tf.reshape(x, tf.constant(new long[] {-1, 1, 1, channels}));

    Operand<T> train;
    Operand<T> inference;
    Operand<T> batchMean;
    Operand<T> batchVariance;
    if (net.syncBatchNorm() != null) {
      // Synchronised: the global batch's moments, E[x] and E[x²] averaged over the replicas (in float64, so that
      // E[x²] - E[x]² keeps its digits), one collective per layer; its gradient carries every replica's dy.
      CrossReplicaMean sync = net.syncBatchNorm();
      Operand<TInt32> axes = tf.constant(new int[] {0, 1, 2});
      Operand<TFloat64> x64 = tf.dtypes.cast(input4d, TFloat64.class);
      Operand<TFloat64> moments = tf.concat(List.of(tf.math.mean(x64, axes), tf.math.mean(tf.math.square(x64), axes)),
          tf.constant(0));
      Operand<TFloat64> global = sync.mean(tf, moments);
      int c = (int) channels; // int32 begin and size: Slice's C++ gradient mixes them with int32 shapes
      Operand<TFloat64> mean64 = tf.slice(global, tf.constant(new int[] {0}), tf.constant(new int[] {c}));
      Operand<TFloat64> square64 = tf.slice(global, tf.constant(new int[] {c}), tf.constant(new int[] {c}));
      Operand<TFloat64> variance64 = tf.math.sub(square64, tf.math.square(mean64));
      Operand<T> mean = tf.dtypes.cast(mean64, net.type());
      Operand<T> variance = tf.dtypes.cast(variance64, net.type());
      Operand<T> eps = net.constant(epsilon);
      train = normalised(tf, input4d, mean, variance, eps, gamma, beta);
      inference = normalised(tf, input4d, tf.identity(movingMean), tf.identity(movingVariance), eps, gamma, beta);
      Operand<TFloat64> count = tf.math.mul(
          tf.dtypes.cast(tf.math.div(tf.size(input4d, TInt64.class), tf.constant(channels)), TFloat64.class),
          tf.constant((double) sync.replicas()));
      batchMean = mean;
      batchVariance = tf.dtypes.cast(
          tf.math.mul(variance64, tf.math.div(count, tf.math.sub(count, tf.constant(1.0)))), net.type());
    } else if (net.type() == TFloat32.class) {
      @SuppressWarnings("unchecked")
      Operand<TFloat32> x32 = (Operand<TFloat32>) input4d;
      @SuppressWarnings("unchecked")
      FusedBatchNorm<TFloat32, TFloat32> fused =
          tf.nn.fusedBatchNorm(
              x32,
              (Operand<TFloat32>) tf.identity(gamma),
              (Operand<TFloat32>) tf.identity(beta),
              tf.constant(new float[0]),
              tf.constant(new float[0]),
              FusedBatchNorm.epsilon((float) epsilon),
              FusedBatchNorm.isTraining(true));
      @SuppressWarnings("unchecked")
      FusedBatchNorm<TFloat32, TFloat32> moving =
          tf.nn.fusedBatchNorm(
              x32,
              (Operand<TFloat32>) tf.identity(gamma),
              (Operand<TFloat32>) tf.identity(beta),
              (Operand<TFloat32>) tf.identity(movingMean),
              (Operand<TFloat32>) tf.identity(movingVariance),
              FusedBatchNorm.epsilon((float) epsilon),
              FusedBatchNorm.isTraining(false));
      train = cast(fused.y());
      inference = cast(moving.y());
      batchMean = cast(fused.batchMean());
      batchVariance = cast(fused.batchVariance()); // unbiased, for the moving average
    } else {
      Operand<TInt32> axes = tf.constant(new int[] {0, 1, 2});
      Operand<T> mean = tf.math.mean(input4d, axes);
      Operand<T> centered = tf.math.sub(input4d, mean);
      Operand<T> variance = tf.math.mean(tf.math.square(centered), axes);
      Operand<T> eps = net.constant(epsilon);
      train =
          tf.math.add(
              tf.math.mul(tf.math.mul(centered, tf.math.rsqrt(tf.math.add(variance, eps))), tf.identity(gamma)),
              tf.identity(beta));
      inference = normalised(tf, input4d, tf.identity(movingMean), tf.identity(movingVariance), eps, gamma, beta);
      Operand<T> count = tf.dtypes.cast(tf.math.div(tf.size(input4d, TInt64.class), tf.constant(channels)), net.type());
      batchMean = mean;
      batchVariance = tf.math.mul(variance, tf.math.div(count, tf.math.sub(count, net.constant(1.0))));
    }
    Operand<T> y = tf.select(net.training(), train, tf.stopGradient(inference));
    Operand<T> keep = net.constant(decay);
    Operand<T> blend = net.constant(1 - decay);
    Operand<T> batchMeanValue = batchMean;
    Operand<T> batchVarianceValue = batchVariance;
    net.addUpdate(waitFor -> {
      Ops ops = tf.withControlDependencies(waitFor);
      return ops.assign(movingMean,
          ops.math.add(ops.math.mul(keep, ops.identity(movingMean)), ops.math.mul(blend, batchMeanValue)));
    });
    net.addUpdate(waitFor -> {
      Ops ops = tf.withControlDependencies(waitFor);
      return ops.assign(movingVariance,
          ops.math.add(ops.math.mul(keep, ops.identity(movingVariance)), ops.math.mul(blend, batchVarianceValue)));
    });
    return rank == 4 ? y : tf.reshape(y, tf.shape(x));
  }

  /** gamma (x - mean) / sqrt(variance + eps) + beta. */
  private static <T extends TFloating> Operand<T> normalised(Ops tf, Operand<T> x, Operand<T> mean,
      Operand<T> variance, Operand<T> eps, Variable<T> gamma, Variable<T> beta) {
    return tf.math.add(
        tf.math.mul(tf.math.mul(tf.math.sub(x, mean), tf.math.rsqrt(tf.math.add(variance, eps))), tf.identity(gamma)),
        tf.identity(beta));
  }

  /** Batch normalisation with torch's defaults (momentum 0.1, eps 1e-5). */
  public static <T extends TFloating> Operand<T> batchNorm(Network<T> net, Operand<T> x) {
    return batchNorm(net, x, 0.9, 1e-5);
  }

  /** Layer normalisation over the last axis, with a learned scale (ones) and shift (zeros). */
  public static <T extends TFloating> Operand<T> layerNorm(Network<T> net, Operand<T> x, double epsilon) {
    Ops tf = net.tf();
    long features = lastDimension(x, "layerNorm input");
    Variable<T> gamma = net.constantTrainable("gamma", 1.0, features);
    Variable<T> beta = net.constantTrainable("beta", 0.0, features);
    Operand<TInt32> last = tf.constant(new int[] {-1});
    Operand<T> mean = tf.math.mean(x, last, org.tensorflow.op.math.Mean.keepDims(true));
    Operand<T> centered = tf.math.sub(x, mean);
    Operand<T> variance =
        tf.math.mean(tf.math.square(centered), last, org.tensorflow.op.math.Mean.keepDims(true));
    Operand<T> normalized = tf.math.mul(centered, tf.math.rsqrt(tf.math.add(variance, net.constant(epsilon))));
    return tf.math.add(tf.math.mul(normalized, tf.identity(gamma)), tf.identity(beta));
  }

  /**
   * Inverted dropout when training (keep with probability 1 - rate, scale by 1 / (1 - rate)); the identity
   * otherwise. The mask is a stateless random function of (this layer's seed, {@link Network#step()}).
   */
  public static <T extends TFloating> Operand<T> dropout(Network<T> net, Operand<T> x, double rate) {
    if (rate == 0) {
      return x;
    }
    if (!(rate > 0 && rate < 1)) {
      throw new IllegalArgumentException("dropout rate must be in [0, 1), got " + rate);
    }
    Ops tf = net.tf();
    Operand<TInt64> seed = tf.stack(List.of(tf.constant(net.nextSeed()), net.step()));
    Operand<T> uniform = tf.random.statelessRandomUniform(tf.shape(x), seed, net.type());
    Operand<TBool> keep = tf.math.greaterEqual(uniform, net.constant(rate));
    Operand<T> scale = net.constant(1 / (1 - rate));
    Operand<T> dropped = tf.math.mul(tf.math.mul(x, tf.dtypes.cast(keep, net.type())), scale);
    return tf.select(net.training(), dropped, x);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Activations

  public static <T extends TFloating> Operand<T> relu(Network<T> net, Operand<T> x) {
    return net.tf().nn.relu(x);
  }

  public static <T extends TFloating> Operand<T> leakyRelu(Network<T> net, Operand<T> x, double slope) {
    return net.tf().nn.leakyRelu(x, org.tensorflow.op.nn.LeakyRelu.alpha((float) slope));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Sequences

  /** An embedding table and the vectors it gave. */
  public record Embedding<T extends TFloating>(Variable<T> table, Operand<T> vectors) {}

  /**
   * Looks up ids in a [vocabulary, dimension] table initialised uniformly in [-0.1, 0.1] (the word-language-model
   * convention). Uses GatherV2, whose gradient is dense.
   */
  public static <T extends TFloating> Embedding<T> embedding(
      Network<T> net, Operand<TInt32> ids, int vocabulary, int dimension) {
    Ops tf = net.tf();
    Ops init = tf.withInitScope();
    Operand<T> initial =
        init.math.sub(
            init.math.mul(
                init.random.statelessRandomUniform(
                    init.constant(new long[] {vocabulary, dimension}),
                    init.constant(new long[] {net.nextSeed(), 0}),
                    net.type()),
                castConstant(init, net, 0.2)),
            castConstant(init, net, 0.1));
    Variable<T> table = net.trainable("table", initial);
    return new Embedding<>(table, tf.gather(tf.identity(table), ids, tf.constant(0)));
  }

  /**
   * Logits of a decoder tied to an embedding table (Press &amp; Wolf; the language models' "tied input/output
   * embeddings"): x [batch, time, width] times table^T [width, vocabulary] plus a bias of its own, as [batch, time,
   * vocabulary]. The bias is added with a broadcasting add, measured ~5% faster per training step than BiasAdd on
   * [tokens, vocabulary].
   */
  public static <T extends TFloating> Operand<T> tiedDecoder(Network<T> net, Operand<T> x, Embedding<T> embedding) {
    Ops tf = net.tf();
    Shape shape = x.shape();
    long time = shape.numDimensions() == 3 ? shape.get(1) : -1;
    long width = lastDimension(x, "decoder input");
    long vocabulary = embedding.table().shape().get(0);
    if (time < 0 || embedding.table().shape().get(1) != width) {
      throw new IllegalArgumentException("a tied decoder needs x [batch, time, " + embedding.table().shape().get(1)
          + "] with known time, got " + shape);
    }
    Variable<T> bias = net.constantTrainable("bias", 0.0, vocabulary);
    Operand<T> flat = tf.reshape(x, tf.constant(new long[] {-1, width}));
    Operand<T> logits =
        tf.math.add(
            tf.linalg.matMul(flat, tf.identity(embedding.table()), org.tensorflow.op.linalg.MatMul.transposeB(true)),
            tf.identity(bias));
    return tf.reshape(logits, tf.constant(new long[] {-1, time, vocabulary}));
  }

  /** An LSTM layer's hidden and cell state, each [batch, hidden]. */
  public record LstmState<T extends TFloating>(Operand<T> hidden, Operand<T> cell) {}

  /**
   * The outputs of an LSTM layer and its final state.
   *
   * @param outputs the hidden state at every step, [batch, time, hidden]
   * @param last the state after the last step
   */
  public record LstmOutput<T extends TFloating>(Operand<T> outputs, LstmState<T> last) {}

  /**
   * An LSTM layer over x [batch, time, in] (time and in known), from an initial state:
   *
   * <pre>
   * [i, f, g, o] = [x_t, h_{t-1}] W + b        (W [in + hidden, 4 hidden], gate blocks in this order)
   * c_t = sigmoid(f) c_{t-1} + sigmoid(i) tanh(g),   h_t = sigmoid(o) tanh(c_t)
   * </pre>
   *
   * torch.nn.LSTM's gate order and initialisation (W and b uniform in [-1/sqrt(hidden), 1/sqrt(hidden)]; one bias
   * where torch has two). Unrolled over time with elementary ops; x W_x + b for all steps is one product before the
   * recurrence. (TensorFlow's fused BlockLSTMV2 op, the same function, was measured slower on CPU: 161 against
   * 130 ms per 20x35 window of lstm-tiny, 4.6 against 2.8 s for lstm-large, and it has no float64 kernel.)
   */
  public static <T extends TFloating> LstmOutput<T> lstm(
      Network<T> net, Operand<T> x, int hidden, LstmState<T> initial) {
    Ops tf = net.tf();
    long time = lstmTime(x);
    long in = lastDimension(x, "lstm input");
    LstmWeights<T> weights = lstmWeights(net, in, hidden);
    Operand<T> w = tf.identity(weights.kernel());
    // The input part of every step's gates in one product over all steps (the recurrence needs only h W_h per
    // step): the input weights are read once, and their gradient is one product instead of a sum over steps.
    // (int32 bounds: the C++ gradient of Slice subtracts them from an int32 shape)
    Operand<T> inputWeights = tf.slice(w, tf.constant(new int[] {0, 0}), tf.constant(new int[] {(int) in, 4 * hidden}));
    Operand<T> hiddenWeights =
        tf.slice(w, tf.constant(new int[] {(int) in, 0}), tf.constant(new int[] {hidden, 4 * hidden}));
    Operand<T> projected =
        tf.nn.biasAdd(
            tf.linalg.matMul(tf.reshape(x, tf.constant(new long[] {-1, in})), inputWeights),
            tf.identity(weights.bias()));
    Operand<T> perStep = tf.reshape(projected, tf.constant(new long[] {-1, time, 4L * hidden}));
    Operand<T> h = initial.hidden();
    Operand<T> c = initial.cell();
    List<Operand<T>> outputs = new ArrayList<>();
    for (Operand<T> xt : tf.unstack(perStep, time, org.tensorflow.op.core.Unstack.axis(1L))) {
      Operand<T> gates = tf.math.add(xt, tf.linalg.matMul(h, hiddenWeights));
      List<Operand<T>> parts = new ArrayList<>(4);
      for (Operand<T> part : tf.split(tf.constant(1), gates, 4L)) {
        parts.add(part);
      }
      Operand<T> i = tf.math.sigmoid(parts.get(0));
      Operand<T> f = tf.math.sigmoid(parts.get(1));
      Operand<T> g = tf.math.tanh(parts.get(2));
      Operand<T> o = tf.math.sigmoid(parts.get(3));
      c = tf.math.add(tf.math.mul(f, c), tf.math.mul(i, g));
      h = tf.math.mul(o, tf.math.tanh(c));
      outputs.add(h);
    }
    return new LstmOutput<>(tf.stack(outputs, org.tensorflow.op.core.Stack.axis(1L)), new LstmState<>(h, c));
  }

  private record LstmWeights<T extends TFloating>(Variable<T> kernel, Variable<T> bias) {}

  private static <T extends TFloating> LstmWeights<T> lstmWeights(Network<T> net, long in, int hidden) {
    double bound = 1 / Math.sqrt(hidden);
    Variable<T> kernel = net.trainable("kernel", uniform(net, bound, in + hidden, 4L * hidden));
    Variable<T> bias = net.trainable("bias", uniform(net, bound, 4L * hidden));
    return new LstmWeights<>(kernel, bias);
  }

  private static long lstmTime(Operand<?> x) {
    Shape shape = x.shape();
    if (shape.numDimensions() != 3 || shape.get(1) < 1 || shape.get(2) < 0) {
      throw new IllegalArgumentException("lstm input must be [batch, time, in] with known time and in, got " + shape);
    }
    return shape.get(1);
  }

  /**
   * Causal multi-head self-attention over x [batch, time, model]: query, key and value projections, softmax of
   * QK^T / sqrt(d) with future positions masked out, the heads concatenated and projected back.
   */
  public static <T extends TFloating> Operand<T> causalSelfAttention(Network<T> net, Operand<T> x, int heads) {
    Ops tf = net.tf();
    Shape shape = x.shape();
    if (shape.numDimensions() != 3 || shape.get(1) < 0 || shape.get(2) < 0) {
      throw new IllegalArgumentException("attention needs [batch, time, model] with known time and model: " + shape);
    }
    long time = shape.get(1);
    long model = shape.get(2);
    if (model % heads != 0) {
      throw new IllegalArgumentException("model width " + model + " is not divisible by " + heads + " heads");
    }
    long width = model / heads;
    Operand<T> q = splitHeads(tf, dense(net.scope("query"), x, (int) model, true), heads, width);
    Operand<T> k = splitHeads(tf, dense(net.scope("key"), x, (int) model, true), heads, width);
    Operand<T> v = splitHeads(tf, dense(net.scope("value"), x, (int) model, true), heads, width);
    Operand<T> scores =
        tf.math.mul(tf.linalg.einsum(List.of(q, k), "bhqd,bhkd->bhqk"), net.constant(1 / Math.sqrt(width)));
    // Lower-triangular mask: position t sees positions <= t; the others get -1e9 before the softmax.
    Operand<T> mask = causalMask(net, time);
    Operand<T> masked =
        tf.math.add(
            tf.math.mul(scores, mask),
            tf.math.mul(tf.math.sub(net.constant(1.0), mask), net.constant(-1e9)));
    Operand<T> weights = tf.nn.softmax(masked);
    Operand<T> attended = tf.linalg.einsum(List.of(weights, v), "bhqk,bhkd->bqhd");
    Operand<T> merged = tf.reshape(attended, tf.constant(new long[] {-1, time, model}));
    return dense(net.scope("output"), merged, (int) model, true);
  }

  private static <T extends TFloating> Operand<T> causalMask(Network<T> net, long time) {
    double[][] mask = new double[(int) time][(int) time];
    for (int i = 0; i < time; i++) {
      for (int j = 0; j <= i; j++) {
        mask[i][j] = 1;
      }
    }
    return net.cast(net.tf().constant(mask));
  }

  private static <T extends TFloating> Operand<T> splitHeads(Ops tf, Operand<T> x, int heads, long width) {
    Operand<T> split = tf.reshape(x, tf.constant(new long[] {-1, x.shape().get(1), heads, width}));
    return tf.linalg.transpose(split, tf.constant(new int[] {0, 2, 1, 3}));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Helpers

  private static long lastDimension(Operand<?> x, String what) {
    Shape shape = x.shape();
    if (shape.isUnknown() || shape.numDimensions() == 0 || shape.get(shape.numDimensions() - 1) < 0) {
      throw new IllegalArgumentException(what + " needs a known last dimension, got " + shape);
    }
    return shape.get(shape.numDimensions() - 1);
  }

  /** shape(x) with the last dimension replaced by {@code units}. */
  private static Operand<TInt64> outerShape(Ops tf, Operand<?> x, long units) {
    Operand<TInt64> full = tf.shape(x, TInt64.class);
    Operand<TInt64> outer =
        tf.slice(full, tf.constant(new long[] {0}), tf.constant(new long[] {x.shape().numDimensions() - 1}));
    return tf.concat(List.of(outer, tf.constant(new long[] {units})), tf.constant(0));
  }

  private static <T extends TFloating> Operand<T> uniform(Network<T> net, double bound, long... shape) {
    Ops init = net.tf().withInitScope();
    Operand<T> unit =
        init.random.statelessRandomUniform(
            init.constant(shape), init.constant(new long[] {net.nextSeed(), 0}), net.type());
    return init.math.sub(
        init.math.mul(unit, castConstant(init, net, 2 * bound)), castConstant(init, net, bound));
  }

  private static <T extends TFloating> Operand<T> castConstant(Ops init, Network<T> net, double value) {
    return init.dtypes.cast(init.constant(value), net.type());
  }

  @SuppressWarnings("unchecked")
  private static <T extends TFloating> Operand<T> cast(Operand<TFloat32> x) {
    return (Operand<T>) x;
  }
}
