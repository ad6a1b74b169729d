package io.github.tftrain.gradients;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.TensorFlow;
import org.tensorflow.internal.c_api.TFJ_GradFuncAdapter;
import org.tensorflow.internal.c_api.global.tensorflow;
import org.tensorflow.op.Ops;
import org.tensorflow.op.RawCustomGradient;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TType;

/**
 * Registers, once per process, the gradients that TensorFlow's C++ gradient registry (which TF-Java uses) lacks and
 * that tftrain's models need, including what second-order gradients (WGAN-GP's gradient penalty) need through dense,
 * convolutional, ReLU, LeakyReLU, tanh and sigmoid networks. tf-optimizers registers them before it builds
 * gradients, and the models' {@code Network} when it is created, so TF-Java code trained with either needs no call.
 *
 * <pre>
 * SparseSoftmaxCrossEntropyWithLogits  d features = dLoss[:, None] * backprop  (+ the Hessian term for d backprop)
 * ReluGrad(g, f)        d g = ReluGrad(dy, f);  d f = 0
 * TanhGrad(y, g)        d y = -2 y g dy;  d g = TanhGrad(y, dy)
 * SigmoidGrad(y, g)     d y = g (1 - 2y) dy;  d g = SigmoidGrad(y, dy)
 * BiasAddGrad(g)        d g = dy broadcast over every axis but the channel axis
 * Conv2DBackpropFilter(x, sizes, g)   d x = Conv2DBackpropInput(shape(x), dy, g);  d g = Conv2D(x, dy)
 * MaxPoolGrad(x, y, g)  d g = MaxPoolGradGrad(x, y, dy);  d x = d y = 0   (and the V2 op, sizes as inputs)
 * AvgPoolGrad(shape, g) d g = AvgPool(dy)
 * StridedSliceGrad(shape, begin, end, strides, g)   d g = StridedSlice(dy, begin, end, strides)
 * Gather(params, ids)   d params = UnsortedSegmentSum(dy, ids, rows)   (dense)
 * OnesLike(x)           d x = 0
 * CollectiveReduceV2(x) y = reduce_r x_r (mean or sum over the replicas)   d x = the same reduction of dy
 * </pre>
 *
 * The collective's gradient is what data parallelism needs when a replica's forward pass uses other replicas'
 * values (synchronised batch norm): each replica minimises its own loss and the optimizer averages the gradients, so
 * replica r's gradient with respect to its input must carry every replica's dy, reduced as the forward pass reduced
 * x (mean: d x_r = (1/N) Σ dy_r'); averaged by the optimizer, that is the gradient of the global batch's mean loss. Its
 * instance key is the forward one plus 2^20, computed in the graph, so every replica builds the same key.
 *
 * Gradient functions run while TensorFlow holds the graph's lock, so they must not read static shapes (that takes
 * the lock again and hangs); they use run-time shapes instead.
 *
 * <p>Not registered: the gradient of {@code FusedBatchNormGradV3} (second order through batch normalisation), which
 * no model here needs — the WGAN-GP critic has no batch normalisation, as in the WGAN-GP paper. Integer and shape
 * inputs get zero gradients (TF-Java's adapter needs an operand for every input).
 */
public final class MissingGradients {
  private static final Map<String, RawCustomGradient> GRADIENTS = new LinkedHashMap<>();

  /**
   * The one native adapter for every gradient here, dispatching on the op type. TF-Java's
   * {@code registerCustomGradient} makes a new adapter per op type, and adapters are JavaCPP callbacks, of which a
   * process gets a fixed number (the 11th registration crashed the JVM): one shared adapter uses a single slot.
   * Held here so that it is never collected.
   */
  private static TFJ_GradFuncAdapter adapter;

  static {
    GRADIENTS.put("SparseSoftmaxCrossEntropyWithLogits", MissingGradients::sparseSoftmaxCrossEntropy);
    GRADIENTS.put("ReluGrad", MissingGradients::reluGrad);
    GRADIENTS.put("TanhGrad", MissingGradients::tanhGrad);
    GRADIENTS.put("SigmoidGrad", MissingGradients::sigmoidGrad);
    GRADIENTS.put("BiasAddGrad", MissingGradients::biasAddGrad);
    GRADIENTS.put("Conv2DBackpropFilter", MissingGradients::conv2dBackpropFilter);
    GRADIENTS.put("MaxPoolGrad", MissingGradients::maxPoolGrad);
    GRADIENTS.put("MaxPoolGradV2", MissingGradients::maxPoolGradV2);
    GRADIENTS.put("AvgPoolGrad", MissingGradients::avgPoolGrad);
    GRADIENTS.put("StridedSliceGrad", MissingGradients::stridedSliceGrad);
    GRADIENTS.put("Gather", MissingGradients::gather);
    GRADIENTS.put("OnesLike", MissingGradients::onesLike);
    GRADIENTS.put("CollectiveReduceV2", MissingGradients::collectiveReduce);
  }

  private MissingGradients() {}

  /**
   * Registers every gradient above that TensorFlow does not already have. Safe to call any number of times, from
   * any thread; call it before building gradients.
   *
   * @return the op types this call registered (empty when they were registered before)
   */
  public static synchronized List<String> register() {
    TensorFlow.version(); // loads the native library
    if (adapter == null) {
      adapter = RawCustomGradient.adapter((tf, op, grads) -> GRADIENTS.get(op.type()).call(tf, op, grads));
    }
    List<String> registered = new ArrayList<>();
    for (String opType : GRADIENTS.keySet()) {
      if (!tensorflow.TFJ_HasGradient(opType) && tensorflow.TFJ_RegisterCustomGradient(opType, adapter)) {
        registered.add(opType);
      }
    }
    return registered;
  }

  /** The op types this class provides gradients for. */
  public static List<String> opTypes() {
    return List.copyOf(GRADIENTS.keySet());
  }

  // ---------------------------------------------------------------------------------------------------------------

  private static List<Operand<?>> sparseSoftmaxCrossEntropy(Ops tf, GraphOperation op, List<Output<?>> grads) {
    Operand<TType> backprop = op.output(1);
    Operand<TType> gradLoss = Raw.grad(grads, 0);
    Operand<TType> gradFeatures = Raw.mul(tf, tf.expandDims(gradLoss, tf.constant(-1)), backprop);
    if (Raw.present(grads.get(1))) {
      // The backprop output is softmax(logits) - onehot(labels); its Jacobian is that of the softmax:
      // d logits += (d backprop - <d backprop, softmax>) * softmax.
      Operand<TType> gradBackprop = Raw.grad(grads, 1);
      Operand<TType> softmax = Raw.op(tf, "Softmax", Raw.in(op, 0));
      Operand<TType> inner = Raw.sum(tf, Raw.mul(tf, gradBackprop, softmax), -1, true);
      gradFeatures = Raw.add(tf, gradFeatures, Raw.mul(tf, Raw.sub(tf, gradBackprop, inner), softmax));
    }
    return List.of(gradFeatures, tf.zerosLike(Raw.in(op, 1)));
  }

  private static List<Operand<?>> collectiveReduce(Ops tf, GraphOperation op, List<Output<?>> grads) {
    Operand<TType> dy = Raw.grad(grads, 0);
    Operand<TType> groupSize = Raw.in(op, 1);
    Operand<TType> groupKey = Raw.in(op, 2);
    Operand<TType> instanceKey = Raw.in(op, 3);
    Operand<TType> backwardKey = Raw.add(tf, instanceKey, Raw.scalarLike(tf, 1 << 20, instanceKey));
    org.tensorflow.OperationBuilder builder = tf.scope().opBuilder("CollectiveReduceV2", "CollectiveReduceV2")
        .addInput(dy.asOutput())
        .addInput(groupSize.asOutput())
        .addInput(groupKey.asOutput())
        .addInput(backwardKey.asOutput())
        .addInputList(new Output<?>[0]);
    for (String attr : new String[] {"merge_op", "final_op", "communication_hint", "timeout_seconds"}) {
      builder.setAttr(attr, op.attributes().getAttrValueProto(attr));
    }
    Operand<?> dx = builder.build().output(0);
    List<Operand<?>> out = new ArrayList<>();
    out.add(dx);
    out.add(tf.zerosLike(groupSize));
    out.add(tf.zerosLike(groupKey));
    out.add(tf.zerosLike(instanceKey));
    return out;
  }

  private static List<Operand<?>> reluGrad(Ops tf, GraphOperation op, List<Output<?>> grads) {
    Operand<TType> features = Raw.in(op, 1);
    return List.of(Raw.op(tf, "ReluGrad", Raw.grad(grads, 0), features), tf.zerosLike(features));
  }

  private static List<Operand<?>> tanhGrad(Ops tf, GraphOperation op, List<Output<?>> grads) {
    Operand<TType> y = Raw.in(op, 0);
    Operand<TType> g = Raw.in(op, 1);
    Operand<TType> dy = Raw.grad(grads, 0);
    Operand<TType> minusTwo = Raw.scalarLike(tf, -2.0, y);
    return List.of(Raw.mul(tf, Raw.mul(tf, minusTwo, y), Raw.mul(tf, g, dy)), Raw.op(tf, "TanhGrad", y, dy));
  }

  private static List<Operand<?>> sigmoidGrad(Ops tf, GraphOperation op, List<Output<?>> grads) {
    Operand<TType> y = Raw.in(op, 0);
    Operand<TType> g = Raw.in(op, 1);
    Operand<TType> dy = Raw.grad(grads, 0);
    Operand<TType> oneMinusTwoY =
        Raw.sub(tf, Raw.scalarLike(tf, 1.0, y), Raw.mul(tf, Raw.scalarLike(tf, 2.0, y), y));
    return List.of(Raw.mul(tf, Raw.mul(tf, g, dy), oneMinusTwoY), Raw.op(tf, "SigmoidGrad", y, dy));
  }

  private static List<Operand<?>> biasAddGrad(Ops tf, GraphOperation op, List<Output<?>> grads) {
    Operand<TType> outBackprop = Raw.in(op, 0);
    // The target shape is [1, .., 1, C] (NHWC) or [1, C, 1, ..] (NCHW), built from the rank at run time: static
    // shapes cannot be read here, since reading one takes the graph lock that gradient construction holds.
    boolean channelsFirst = "NCHW".equals(op.attributes().getAttrString("data_format"));
    Operand<TInt32> rank = tf.rank(outBackprop);
    Operand<TInt32> minusOne = tf.constant(new int[] {-1});
    Operand<TInt32> shape;
    if (channelsFirst) {
      Operand<TInt32> rest = tf.fill(tf.reshape(tf.math.sub(rank, tf.constant(2)), tf.constant(new int[] {1})),
          tf.constant(1));
      shape = tf.concat(List.of(tf.constant(new int[] {1}), minusOne, rest), tf.constant(0));
    } else {
      Operand<TInt32> ones = tf.fill(tf.reshape(tf.math.sub(rank, tf.constant(1)), tf.constant(new int[] {1})),
          tf.constant(1));
      shape = tf.concat(List.of(ones, minusOne), tf.constant(0));
    }
    Operand<TType> reshaped = tf.reshape(Raw.grad(grads, 0), shape);
    return List.of(tf.broadcastTo(reshaped, tf.shape(outBackprop)));
  }

  private static List<Operand<?>> conv2dBackpropFilter(Ops tf, GraphOperation op, List<Output<?>> grads) {
    Operand<TType> input = Raw.in(op, 0);
    Operand<TType> outBackprop = Raw.in(op, 2);
    Operand<TType> gradFilter = Raw.grad(grads, 0);
    String[] attrs = {"strides", "use_cudnn_on_gpu", "padding", "explicit_paddings", "data_format", "dilations"};
    Operand<TType> gradInput =
        Raw.op(tf, "Conv2DBackpropInput", op, attrs, tf.shape(input), gradFilter, outBackprop);
    Operand<TType> gradOutBackprop = Raw.op(tf, "Conv2D", op, attrs, input, gradFilter);
    return List.of(gradInput, tf.zerosLike(Raw.in(op, 1)), gradOutBackprop);
  }

  private static List<Operand<?>> maxPoolGrad(Ops tf, GraphOperation op, List<Output<?>> grads) {
    Operand<TType> origInput = Raw.in(op, 0);
    Operand<TType> origOutput = Raw.in(op, 1);
    Operand<TType> gradGrad =
        Raw.op(
            tf,
            "MaxPoolGradGrad",
            op,
            new String[] {"ksize", "strides", "padding", "data_format"},
            origInput,
            origOutput,
            Raw.grad(grads, 0));
    return List.of(tf.zerosLike(origInput), tf.zerosLike(origOutput), gradGrad);
  }

  private static List<Operand<?>> maxPoolGradV2(Ops tf, GraphOperation op, List<Output<?>> grads) {
    Operand<TType> origInput = Raw.in(op, 0);
    Operand<TType> origOutput = Raw.in(op, 1);
    Operand<TType> gradGrad =
        Raw.op(tf, "MaxPoolGradGradV2", op, new String[] {"padding", "data_format"}, origInput, origOutput,
            Raw.grad(grads, 0), Raw.in(op, 3), Raw.in(op, 4));
    return List.of(tf.zerosLike(origInput), tf.zerosLike(origOutput), gradGrad, tf.zerosLike(Raw.in(op, 3)),
        tf.zerosLike(Raw.in(op, 4)));
  }

  private static List<Operand<?>> avgPoolGrad(Ops tf, GraphOperation op, List<Output<?>> grads) {
    Operand<TType> pooled =
        Raw.op(tf, "AvgPool", op, new String[] {"ksize", "strides", "padding", "data_format"}, Raw.grad(grads, 0));
    return List.of(tf.zerosLike(Raw.in(op, 0)), pooled);
  }

  private static List<Operand<?>> stridedSliceGrad(Ops tf, GraphOperation op, List<Output<?>> grads) {
    String[] attrs = {"begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask"};
    Operand<TType> sliced = Raw.op(tf, "StridedSlice", op, attrs, Raw.grad(grads, 0), Raw.in(op, 1), Raw.in(op, 2), Raw.in(op, 3));
    return List.of(
        tf.zerosLike(Raw.in(op, 0)),
        tf.zerosLike(Raw.in(op, 1)),
        tf.zerosLike(Raw.in(op, 2)),
        tf.zerosLike(Raw.in(op, 3)),
        sliced);
  }

  private static List<Operand<?>> gather(Ops tf, GraphOperation op, List<Output<?>> grads) {
    Operand<TType> params = Raw.in(op, 0);
    Operand<TType> indices = Raw.in(op, 1);
    // Flatten the ids and the matching rows of dy, then sum the rows per id into a dense [rows, ...] gradient.
    Operand<TInt32> paramsShape = tf.shape(params);
    Operand<TInt32> rowShape = tf.slice(paramsShape, tf.constant(new int[] {1}), tf.constant(new int[] {-1}));
    Operand<TInt32> flatShape = tf.concat(List.of(tf.constant(new int[] {-1}), rowShape), tf.constant(0));
    Operand<TType> values = tf.reshape(Raw.grad(grads, 0), flatShape);
    Operand<TType> flatIndices = tf.reshape(indices, tf.constant(new int[] {-1}));
    Operand<TInt32> rows = tf.slice(paramsShape, tf.constant(new int[] {0}), tf.constant(new int[] {1}));
    Operand<TType> summed =
        Raw.op(tf, "UnsortedSegmentSum", values, flatIndices, tf.reshape(rows, tf.constant(new int[0])));
    return List.of(summed, tf.zerosLike(indices));
  }

  private static List<Operand<?>> onesLike(Ops tf, GraphOperation op, List<Output<?>> grads) {
    return List.of(tf.zerosLike(Raw.in(op, 0)));
  }
}
