package io.github.tftrain.optimizers;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.proto.DataType;

/**
 * Refuses, with a clear message, the raw variable reads whose gradient TensorFlow cannot build.
 *
 * <p>A legacy {@code VariableV2} outputs a reference tensor ({@code DT_FLOAT_REF}). Most ops read it like a value,
 * but a few of TensorFlow's C++ gradient functions build their helper ops with the dtype of the op's <em>input</em>
 * ({@code Cast(Const(2), op.input(0).type())} in {@code SquareGrad}); with a reference input that Cast is invalid.
 * For some ops the next step then dereferences the missing node and the whole JVM dies (SIGSEGV in
 * {@code tensorflow::Node::output_type}); for others {@code addGradients} throws an obscure "AttrValue must not have
 * reference type value of float_ref". Reading the variable through {@code tf.identity(v)} gives a plain float
 * input and every one of these works.
 *
 * <p>Measured with TF-Java 1.1.0 (each op in its own JVM: {@code addGradients} of {@code sum(op(v))} with respect to
 * a float32 {@code VariableV2} read raw, compared with the gradient through {@code tf.identity(v)}):
 *
 * <ul>
 *   <li>crash the JVM: Square, Log1p, Atanh, Asin;
 *   <li>throw the float_ref error: Pow (either input), Sign, Acos, Atan, BatchMatMul, BatchMatMulV2, BatchMatMulV3;
 *   <li>give the same gradient as an identity read: Mul, Add, AddV2, AddN, Sub, MatMul (either side, transposed,
 *       or W·W), Einsum, Conv2D (input or filter), DepthwiseConv2dNative, BiasAdd (value or bias), Reshape, Sum,
 *       Mean, Max, Min, Prod, Relu, Relu6, Elu, Selu, LeakyRelu, Softplus, Softsign, Tanh, Sigmoid, Exp, Expm1,
 *       Log, Sqrt, Rsqrt, Reciprocal, Sin, Cos, Tan, Sinh, Cosh, Asinh, Acosh, Erf, Erfinv, Ndtri, Lgamma, Abs, Neg,
 *       GatherV2, GatherNd, Transpose, ConcatV2, Pack, Unpack, Split, Slice, StridedSlice, Tile, Pad, MirrorPad,
 *       ExpandDims, Squeeze, ReverseV2, Roll, BroadcastTo, Fill, Diag, MatrixDiag, Cast, L2Loss, Maximum, Minimum,
 *       ClipByValue, SquaredDifference, Div, RealDiv, DivNoNan, Atan2, Softmax, LogSoftmax,
 *       SoftmaxCrossEntropyWithLogits, MaxPool, AvgPool, FusedBatchNormV3 (x or scale), LRN, ResizeBilinear,
 *       SelectV2, Cumsum, SegmentSum, UnsortedSegmentSum, UnsortedSegmentMax.
 * </ul>
 *
 * <p>The failing set is small and follows one pattern in TF's {@code math_grad.cc} (a gradient that takes the input's
 * dtype), so this check rejects only those ops, and only when their gradient is actually built: the op must lie
 * between a trained variable and the objective, with a gradient able to reach it. An op that reads a variable off
 * that path (an {@code Assign}, a metric) or behind a {@code StopGradient} is TF's business and never rejected
 * ({@code Square(v)} followed by {@code StopGradient}, {@code Floor}, a comparison or an integer cast was measured to
 * work). The working raw reads above keep working: existing code that multiplies by a raw kernel is left alone.
 * The ops that throw are refused too: they never worked on a raw read, and the message now names the variable and
 * the fix instead of an attr error. Any reference-typed input counts (a VariableV2 read, or an Assign's output);
 * an op not listed is allowed, as before.
 */
final class RawVariableReads {
  /** Ops whose C++ gradient crashes the JVM on a reference-typed input. */
  private static final Set<String> CRASHING = Set.of("Square", "Log1p", "Atanh", "Asin");

  /** Ops whose C++ gradient fails with "AttrValue must not have reference type" on a reference-typed input. */
  private static final Set<String> FAILING =
      Set.of("Pow", "Sign", "Acos", "Atan", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3");

  /**
   * Ops TF's C++ gradient builder registers as having no gradient (REGISTER_NO_GRADIENT_OP): they send no gradient
   * to their inputs, so ops feeding only them are never differentiated.
   */
  private static final Set<String> NO_GRADIENT =
      Set.of(
          "StopGradient", "Floor", "ZerosLike", "Const", "ConcatOffset", "EditDistance", "InvertPermutation",
          "Shape", "ShapeN", "Rank", "Size", "BroadcastGradientArgs", "OneHot", "Less", "LessEqual", "Greater",
          "GreaterEqual", "Equal", "ApproximateEqual", "NotEqual", "LogicalAnd", "LogicalOr", "LogicalNot");

  /** A reference dtype is its value dtype + 100 (DT_FLOAT_REF = 101). */
  private static final int REF_OFFSET = 100;

  private RawVariableReads() {}

  /**
   * Throws if differentiating {@code objective} with respect to {@code variables} would run a TF gradient function
   * that cannot take a raw (reference-typed) variable read.
   *
   * @param optimizerName the optimizer's name, for the message
   * @param objective the scalar the gradients are taken of
   * @param variables the variables' outputs the gradients are taken for
   * @throws IllegalArgumentException naming each such op and the variable it reads, with the fix
   */
  static void check(String optimizerName, Operand<?> objective, Collection<Output<?>> variables) {
    GraphOperation target = (GraphOperation) objective.op();
    Set<GraphOperation> between = between(target, variables);
    Set<String> problems = new LinkedHashSet<>();
    for (GraphOperation op : gradientReceivers(target, between)) {
      String type = op.type();
      if (!CRASHING.contains(type) && !FAILING.contains(type)) {
        continue;
      }
      for (Operand<?> input : op.inputs()) {
        DataType dtype = input.asOutput().dataType();
        if (isRef(dtype)) {
          problems.add(describe(op, input.op().name(), input.op().type(), dtype));
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          optimizerName + ": cannot differentiate the loss: " + String.join("; ", problems)
              + ". Read the variable through tf.identity(v) instead, e.g. tf.math.square(tf.identity(v)) rather "
              + "than tf.math.square(v)");
    }
  }

  private static String describe(GraphOperation op, String source, String sourceType, DataType dtype) {
    String read =
        "VariableV2".equals(sourceType) || "Variable".equals(sourceType)
            ? "variable '" + source + "'"
            : "'" + source + "' (" + sourceType + ")";
    String outcome = CRASHING.contains(op.type()) ? "would crash the JVM (SIGSEGV)" : "fails";
    return "op '" + op.name() + "' (" + op.type() + ") reads " + read + " directly, as a reference (" + dtype
        + "), and TensorFlow's gradient of " + op.type() + " " + outcome + " on a reference input";
  }

  /**
   * The ops TF's gradient builder visits: reachable forward from a variable and backward from the target, both
   * along data edges (as {@code SymbolicGradientBuilder::Initialize} does).
   */
  private static Set<GraphOperation> between(GraphOperation target, Collection<Output<?>> variables) {
    Set<GraphOperation> toTarget = new HashSet<>();
    Deque<GraphOperation> todo = new ArrayDeque<>();
    todo.push(target);
    while (!todo.isEmpty()) {
      GraphOperation op = todo.pop();
      if (toTarget.add(op)) {
        for (Operand<?> input : op.inputs()) {
          todo.push((GraphOperation) input.op());
        }
      }
    }
    Set<GraphOperation> between = new HashSet<>();
    for (Output<?> variable : variables) {
      todo.push((GraphOperation) variable.op());
    }
    while (!todo.isEmpty()) {
      GraphOperation op = todo.pop();
      if (!toTarget.contains(op) || !between.add(op) || op.equals(target)) {
        continue;
      }
      for (GraphOperation consumer : op.consumers()) {
        todo.push(consumer);
      }
    }
    return between;
  }

  /**
   * The ops among {@code between} whose gradient function runs: a gradient reaches them from the target through
   * floating-point edges and ops that have a gradient. (TF skips the gradient function of an op that receives only
   * "no gradient", which is what a StopGradient, a comparison or an integer edge sends back.) In graph order, so the
   * message is deterministic.
   */
  private static List<GraphOperation> gradientReceivers(GraphOperation target, Set<GraphOperation> between) {
    Set<GraphOperation> receivers = new HashSet<>();
    Deque<GraphOperation> todo = new ArrayDeque<>();
    if (between.contains(target)) {
      todo.push(target);
    }
    while (!todo.isEmpty()) {
      GraphOperation op = todo.pop();
      if (!receivers.add(op) || NO_GRADIENT.contains(op.type())) {
        continue;
      }
      for (Operand<?> input : op.inputs()) {
        GraphOperation source = (GraphOperation) input.op();
        if (between.contains(source) && isFloating(input.asOutput().dataType())) {
          todo.push(source);
        }
      }
    }
    List<GraphOperation> ordered = new ArrayList<>();
    Graph graph = (Graph) target.env();
    for (Iterator<GraphOperation> it = graph.operations(); it.hasNext(); ) {
      GraphOperation op = it.next();
      if (receivers.contains(op)) {
        ordered.add(op);
      }
    }
    return ordered;
  }

  private static boolean isRef(DataType dtype) {
    return number(dtype) > REF_OFFSET;
  }

  private static boolean isFloating(DataType dtype) {
    int number = isRef(dtype) ? number(dtype) - REF_OFFSET : number(dtype);
    DataType value = DataType.forNumber(number);
    return value == DataType.DT_FLOAT
        || value == DataType.DT_DOUBLE
        || value == DataType.DT_HALF
        || value == DataType.DT_BFLOAT16
        || value == DataType.DT_COMPLEX64
        || value == DataType.DT_COMPLEX128;
  }

  /** The dtype's number, or 0 for one this proto version does not know (UNRECOGNIZED has no number). */
  private static int number(DataType dtype) {
    return dtype == null || dtype == DataType.UNRECOGNIZED ? 0 : dtype.getNumber();
  }
}
