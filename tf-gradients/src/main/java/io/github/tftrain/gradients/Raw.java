package io.github.tftrain.gradients;

import java.util.List;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.OperationBuilder;
import org.tensorflow.Output;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.types.family.TType;

/**
 * Untyped op building for gradient functions, which receive untyped outputs and must emit ops of the same dtype:
 * type attributes are inferred by TensorFlow from the inputs, other attributes can be copied from the op being
 * differentiated.
 */
final class Raw {
  private Raw() {}

  /** Input {@code i} of {@code op}, untyped. */
  @SuppressWarnings("unchecked")
  static Operand<TType> in(GraphOperation op, int i) {
    return (Operand<TType>) op.input(i);
  }

  /** Upstream gradient {@code i}, untyped. */
  @SuppressWarnings("unchecked")
  static Operand<TType> grad(List<Output<?>> grads, int i) {
    return (Operand<TType>) grads.get(i);
  }

  /**
   * Whether an upstream gradient carries anything: TensorFlow passes an output with no op for an output off the
   * path, and a ZerosLike of the output for an output of a multi-output op that nothing downstream reads (so
   * SparseSoftmaxCrossEntropyWithLogits' backprop output arrives as zeros in every first-order gradient; adding
   * its Hessian term for it would recompute a softmax over the whole batch for nothing).
   */
  static boolean present(Output<?> gradient) {
    if (gradient == null) {
      return false;
    }
    GraphOperation op = (GraphOperation) gradient.op();
    if (op.getUnsafeNativeHandle() == null || op.getUnsafeNativeHandle().isNull()) {
      return false;
    }
    return !op.type().equals("ZerosLike");
  }

  /** Output 0 of a new {@code type} op on {@code inputs}. */
  static Operand<TType> op(Ops tf, String type, Operand<?>... inputs) {
    return op(tf, type, null, new String[0], inputs);
  }

  /** Output 0 of a new {@code type} op on {@code inputs}, with the named attributes copied from {@code like}. */
  static Operand<TType> op(Ops tf, String type, GraphOperation like, String[] attrs, Operand<?>... inputs) {
    return build(tf, type, like, attrs, inputs).output(0);
  }

  /** A new {@code type} op on {@code inputs} (all its outputs), with attributes copied from {@code like}. */
  static Operation build(Ops tf, String type, GraphOperation like, String[] attrs, Operand<?>... inputs) {
    OperationBuilder builder = tf.scope().opBuilder(type, type);
    for (Operand<?> input : inputs) {
      builder.addInput(input.asOutput());
    }
    for (String attr : attrs) {
      AttrValue value = attribute(like, attr);
      if (value != null) {
        builder.setAttr(attr, value);
      }
    }
    return builder.build();
  }

  private static AttrValue attribute(GraphOperation op, String name) {
    try {
      return op.attributes().getAttrValueProto(name);
    } catch (RuntimeException e) {
      return null; // the op has no such attribute (older op versions): keep the new op's default
    }
  }

  static Operand<TType> mul(Ops tf, Operand<TType> a, Operand<TType> b) {
    return op(tf, "Mul", a, b);
  }

  static Operand<TType> add(Ops tf, Operand<TType> a, Operand<TType> b) {
    return op(tf, "AddV2", a, b);
  }

  static Operand<TType> sub(Ops tf, Operand<TType> a, Operand<TType> b) {
    return op(tf, "Sub", a, b);
  }

  /** Sum over one axis. */
  static Operand<TType> sum(Ops tf, Operand<TType> x, int axis, boolean keepDims) {
    Operation built =
        tf.scope()
            .opBuilder("Sum", "Sum")
            .addInput(x.asOutput())
            .addInput(tf.constant(axis).asOutput())
            .setAttr("keep_dims", keepDims)
            .build();
    return built.output(0);
  }

  /** A scalar constant of {@code like}'s dtype. */
  static Operand<TType> scalarLike(Ops tf, double value, Operand<TType> like) {
    Operation cast =
        tf.scope()
            .opBuilder("Cast", "Cast")
            .addInput(tf.constant(value).asOutput())
            .setAttr("DstT", like.asOutput().dataType())
            .build();
    return cast.output(0);
  }
}
