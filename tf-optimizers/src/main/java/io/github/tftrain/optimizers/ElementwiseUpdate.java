package io.github.tftrain.optimizers;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.GraphOperationBuilder;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TType;

/**
 * One variable's element-wise update, written once and run either as stock graph ops or as one pass of tftrain's
 * fused native kernel ({@link UpdateKernel}). The optimizer writes the update as expressions over the variable, its
 * gradient, its slots and float64 scalars, then requests the writes:
 *
 * <pre>{@code
 * ElementwiseUpdate<T> u = ElementwiseUpdate.of(step, layer, kernel);
 * ElementwiseUpdate<T>.Value g = u.gradient();
 * ElementwiseUpdate<T>.Value m = u.read(slot(layer, "m"));
 * u.descend(u.sign(u.ema(m, g, beta1)));          // x ← decayed(x) − lr·sign(β1 m + (1 − β1) g)
 * u.write(slot(layer, "m"), u.ema(m, g, beta2));
 * u.apply();
 * }</pre>
 *
 * <p>As graph ops each expression is a TF op in the variable's type, and writes are {@link UpdateStep#assign}s. As
 * a native program each expression is an instruction of {@code TftrainElementwiseUpdateN}, which reads the variable,
 * its slots and the gradient once per block of elements, evaluates the program in the variable's type and writes the
 * state back in place: the memory traffic of a hand-written fused kernel. Scalars stay graph ops (float64), passed
 * in and rounded to the variable's type as the graph's casts round them. Both follow the same expression with the
 * same operations in the same order, so the native kernel computes what the graph version (tested against the
 * plain-Java references) computes: bitwise on small tensors; on large ones TF's vectorised kernels and Grappler's
 * rewrites (a / sqrt(b) becomes a · rsqrt(b)) may round the last bit differently.
 *
 * @param <T> the variable's type
 */
public final class ElementwiseUpdate<T extends TType> {
  // Instruction set of the native kernel (tftrain_kernels.c).
  private static final int STATE = 0;
  private static final int GRAD = 1;
  private static final int SCALAR = 2;
  private static final int ADD = 3;
  private static final int SUB = 4;
  private static final int MUL = 5;
  private static final int DIV = 6;
  private static final int MAX = 7;
  private static final int MIN = 8;
  private static final int SQRT = 9;
  private static final int ABS = 10;
  private static final int NEG = 11;
  private static final int SIGN = 12;
  private static final int SQUARE = 13;
  private static final int SELECT = 14;
  private static final int STORE = 15;
  private static final int AXPBY = 16;
  private static final int SUBMUL = 17;
  private static final int SUMSQ = 18;
  private static final int WIDTH = 6;
  private static final int MAX_STATES = 6;
  private static final int MAX_SCALARS = 16;
  private static final int MAX_REGISTERS = 96;
  private static final int MAX_SUMS = 4;

  private final UpdateStep step;
  private final Layer<T> layer;
  private final boolean fused;
  private final Ops tf;
  // Native program state.
  private final List<int[]> code = new ArrayList<>();
  private final List<Output<T>> states = new ArrayList<>();
  private final List<Operand<TFloat64>> scalars = new ArrayList<>();
  private final List<int[]> stores = new ArrayList<>();
  private final java.util.Map<Object, Value> scalarValues = new java.util.HashMap<>();
  private int registers;
  private boolean applied;

  /** An element-wise value: a graph tensor, or a register of the native program. */
  public final class Value {
    private final Operand<T> operand;
    private final int register;

    private Value(Operand<T> operand, int register) {
      this.operand = operand;
      this.register = register;
    }

    /** The graph tensor (graph kernel only). */
    public Operand<T> operand() {
      if (fused) {
        throw new IllegalStateException("a native program value has no graph tensor");
      }
      return operand;
    }
  }

  private ElementwiseUpdate(UpdateStep step, Layer<T> layer, boolean fused) {
    this.step = step;
    this.layer = layer;
    this.fused = fused;
    this.tf = step.tf();
    if (fused) {
      states.add(layer.variable());
    }
    step.opened(this);
  }

  /**
   * Starts the update of one layer.
   *
   * @param kernel {@link UpdateKernel#NATIVE} builds one native program, {@link UpdateKernel#GRAPH} stock ops (AUTO
   *     must be resolved by the optimizer first)
   */
  public static <T extends TType> ElementwiseUpdate<T> of(UpdateStep step, Layer<T> layer, UpdateKernel kernel) {
    if (kernel == UpdateKernel.AUTO) {
      throw new IllegalArgumentException("resolve the kernel first (UpdateKernel.resolve)");
    }
    return new ElementwiseUpdate<>(step, layer, kernel == UpdateKernel.NATIVE);
  }

  /** x at the start of the step. */
  public Value variable() {
    return fused ? new Value(null, load(STATE, 0)) : new Value(layer.value(), -1);
  }

  /** The gradient (after clipping and the base's L2 decay). */
  public Value gradient() {
    return fused ? new Value(null, emit(GRAD, 0, 0, 0, 0)) : new Value(layer.gradient(), -1);
  }

  /** This step's read of a slot of the variable. */
  public Value read(Variable<T> slot) {
    if (!fused) {
      return new Value(step.read(slot), -1);
    }
    return new Value(null, load(STATE, stateIndex(slot)));
  }

  /**
   * A float64 scalar computed in the graph, broadcast. The native program passes each distinct scalar (and each
   * distinct constant) once, however often the expression uses it.
   */
  public Value scalar(Operand<TFloat64> value) {
    if (!fused) {
      return new Value(step.cast(value, layer.type()), -1);
    }
    Value known = scalarValues.get(value);
    if (known != null) {
      return known;
    }
    Value added = addScalar(value);
    scalarValues.put(value, added);
    return added;
  }

  private Value addScalar(Operand<TFloat64> value) {
    if (scalars.size() == MAX_SCALARS) {
      throw new IllegalStateException(
          layer.name() + ": an element-wise program takes at most " + MAX_SCALARS + " scalars");
    }
    scalars.add(value);
    return new Value(null, emit(SCALAR, scalars.size() - 1, 0, 0, 0));
  }

  /** A constant. */
  public Value constant(double value) {
    if (!fused) {
      return new Value(step.scalar(value, layer.type()), -1);
    }
    Value known = scalarValues.get(value);
    if (known != null) {
      return known;
    }
    Value added = addScalar(tf.constant(value));
    scalarValues.put(value, added);
    return added;
  }

  /** a + b. */
  public Value add(Value a, Value b) {
    return fused ? binary(ADD, a, b) : new Value(Tensors.add(tf, a.operand, b.operand), -1);
  }

  /** a − b. */
  public Value sub(Value a, Value b) {
    return fused ? binary(SUB, a, b) : new Value(Tensors.sub(tf, a.operand, b.operand), -1);
  }

  /** a·b. */
  public Value mul(Value a, Value b) {
    return fused ? binary(MUL, a, b) : new Value(Tensors.mul(tf, a.operand, b.operand), -1);
  }

  /** a / b. */
  public Value div(Value a, Value b) {
    return fused ? binary(DIV, a, b) : new Value(Tensors.div(tf, a.operand, b.operand), -1);
  }

  /** max(a, b). */
  public Value max(Value a, Value b) {
    return fused ? binary(MAX, a, b) : new Value(Tensors.maximum(tf, a.operand, b.operand), -1);
  }

  /** min(a, b). */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public Value min(Value a, Value b) {
    return fused
        ? binary(MIN, a, b)
        : new Value((Operand<T>) tf.math.minimum((Operand) a.operand, (Operand) b.operand), -1);
  }

  /** √a. */
  public Value sqrt(Value a) {
    return fused ? unary(SQRT, a) : new Value(Tensors.sqrt(tf, a.operand), -1);
  }

  /** |a|. */
  public Value abs(Value a) {
    return fused ? unary(ABS, a) : new Value(Tensors.abs(tf, a.operand), -1);
  }

  /** −a. */
  public Value neg(Value a) {
    return fused ? unary(NEG, a) : new Value(Tensors.neg(tf, a.operand), -1);
  }

  /** sign(a): −1, 0 or 1. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public Value sign(Value a) {
    return fused ? unary(SIGN, a) : new Value((Operand<T>) tf.math.sign((Operand) a.operand), -1);
  }

  /** a². */
  public Value square(Value a) {
    return fused ? unary(SQUARE, a) : new Value(Tensors.square(tf, a.operand), -1);
  }

  /** condition ? a : b, for a scalar condition computed in the graph. */
  public Value select(Operand<TBool> condition, Value a, Value b) {
    if (!fused) {
      return new Value(tf.select(condition, a.operand, b.operand), -1);
    }
    Value flag = scalar(tf.select(condition, tf.constant(1.0), tf.constant(0.0)));
    return new Value(null, emit(SELECT, flag.register, a.register, b.register, 0));
  }

  /** β·average + (1 − β)·value (see {@link UpdateStep#ema}): two products and a sum, one native instruction. */
  public Value ema(Value average, Value value, double beta) {
    if (!fused) {
      return add(mul(constant(beta), average), mul(constant(1 - beta), value));
    }
    Value b = constant(beta);
    Value rest = constant(1 - beta);
    return new Value(null, emit(AXPBY, b.register, average.register, rest.register, value.register));
  }

  /**
   * Σ v² over the variable's elements of each value, as float64 scalars of the graph, computed from the state at the
   * start of the step: the per-variable norms that LAMB's trust ratio, LARS's local rate and MARS's clip take before
   * the element-wise step. Later instructions of this update may use them through {@link #scalar}.
   *
   * <p>As graph ops, one {@code L2Loss} per value (summed in the variable's type, in Eigen's order). As a native
   * program, one extra read-only pass ({@code TftrainElementwiseReduceK}) that evaluates the instructions these values
   * need on each block and accumulates the squares in float64; so float32 results differ from the graph version's in
   * the last bits, and the update itself then runs as one fused pass.
   *
   * @param values one to four values of this update
   */
  public List<Operand<TFloat64>> sumsOfSquares(List<Value> values) {
    if (values.isEmpty() || values.size() > MAX_SUMS) {
      throw new IllegalArgumentException(layer.name() + ": 1 to " + MAX_SUMS + " sums of squares at a time");
    }
    if (applied) {
      throw new IllegalStateException(layer.name() + ": sumsOfSquares after apply()");
    }
    if (!fused) {
      List<Operand<TFloat64>> sums = new ArrayList<>();
      for (Value value : values) {
        sums.add(step.squaredNorm(value.operand, true));
      }
      return sums;
    }
    // The instructions the requested values depend on (in program order), then one SUMSQ each.
    boolean[] live = new boolean[registers];
    for (Value value : values) {
      live[value.register] = true;
    }
    for (int i = code.size() - 1; i >= 0; i--) {
      int[] instruction = code.get(i);
      if (live[instruction[1]]) {
        markOperandsLive(instruction, live);
      }
    }
    List<int[]> program = new ArrayList<>();
    for (int[] instruction : code) {
      if (live[instruction[1]]) {
        program.add(instruction);
      }
    }
    for (int k = 0; k < values.size(); k++) {
      program.add(new int[] {SUMSQ, k, values.get(k).register, 0, 0, 0});
    }
    GraphOperationBuilder builder =
        (GraphOperationBuilder)
            tf.scope().opBuilder(NativeKernels.ELEMENTWISE_REDUCE + values.size(), "sums_of_squares");
    Output<?>[] stateOutputs = states.toArray(new Output<?>[0]);
    builder.addInputList(stateOutputs);
    builder.addInput(layer.gradient().asOutput());
    builder.addInputList(scalars.stream().map(Operand::asOutput).toArray(Output<?>[]::new));
    builder.setAttr("program", flatten(program));
    org.tensorflow.GraphOperation reduction = builder.build();
    List<Operand<TFloat64>> sums = new ArrayList<>();
    for (int k = 0; k < values.size(); k++) {
      sums.add(reduction.<TFloat64>output(k));
    }
    return sums;
  }

  /** Marks the registers an instruction reads (by opcode: loads read none; the rest as in the native kernel). */
  private static void markOperandsLive(int[] instruction, boolean[] live) {
    int opcode = instruction[0];
    int reads;
    if (opcode == STATE || opcode == GRAD || opcode == SCALAR) {
      reads = 0;
    } else if (opcode == SQRT || opcode == ABS || opcode == NEG || opcode == SIGN || opcode == SQUARE) {
      reads = 1;
    } else if (opcode == SELECT || opcode == SUBMUL) {
      reads = 3;
    } else if (opcode == AXPBY) {
      reads = 4;
    } else {
      reads = 2;
    }
    for (int j = 0; j < reads; j++) {
      live[instruction[2 + j]] = true;
    }
  }

  private static long[] flatten(List<int[]> program) {
    long[] flat = new long[program.size() * WIDTH];
    for (int i = 0; i < program.size(); i++) {
      for (int j = 0; j < WIDTH; j++) {
        flat[WIDTH * i + j] = program.get(i)[j];
      }
    }
    return flat;
  }

  /** Requests {@code slot ← value}. */
  public void write(Variable<T> slot, Value value) {
    if (!fused) {
      step.assign(slot, value.operand);
      return;
    }
    stores.add(new int[] {STORE, stateIndex(slot), unaliased(value).register, 0, 0, 0});
  }

  /** Requests {@code x ← value} for the variable (the optimizer computed it from {@link #decayedVariable()}). */
  public void writeVariable(Value value) {
    if (!fused) {
      step.assign(layer.variable(), value.operand);
      return;
    }
    stores.add(new int[] {STORE, 0, unaliased(value).register, 0, 0, 0});
  }

  /** x after the base's decoupled weight decay, x − (lr·wd)·x (x itself when none applies). */
  public Value decayedVariable() {
    if (!fused) {
      return new Value(step.decayedValue(layer, step.cast(step.learningRate(), layer.type())), -1);
    }
    double wd = step.decoupledWeightDecay(layer);
    Value x = variable();
    if (wd == 0) {
      return x;
    }
    // (lr·wd) in the variable's type, then x − rate·x: the graph version's operations in its order.
    Value rate = mul(scalar(step.learningRate()), constant(wd));
    return new Value(null, emit(SUBMUL, x.register, rate.register, x.register, 0));
  }

  /** Requests x ← decayed(x) − lr·direction (see {@link UpdateStep#descend}). */
  public void descend(Value direction) {
    if (!fused) {
      step.descend(layer, direction.operand);
      return;
    }
    Value start = decayedVariable();
    Value lr = scalar(step.learningRate());
    writeVariable(new Value(null, emit(SUBMUL, start.register, lr.register, direction.register, 0)));
  }

  /** Finishes the update: the graph version's writes are requested already; the native one becomes one kernel. */
  public void apply() {
    if (applied) {
      throw new IllegalStateException("apply() runs once");
    }
    applied = true;
    step.applied(this);
    if (!fused) {
      return;
    }
    List<int[]> program = new ArrayList<>(code);
    program.addAll(stores); // every write after every read of the block
    long[] programAttr = flatten(program);
    List<Output<T>> refs = List.copyOf(states);
    List<Operand<TFloat64>> inputs = List.copyOf(scalars);
    Operand<T> gradient = layer.gradient();
    step.inPlace(
        after -> {
          GraphOperationBuilder builder =
              (GraphOperationBuilder)
                  after.scope().opBuilder(NativeKernels.ELEMENTWISE + refs.size(), "elementwise_update");
          for (Output<T> ref : refs) {
            builder.addInput(ref);
          }
          builder.addInput(gradient.asOutput());
          Output<?>[] scalarOutputs = new Output<?>[inputs.size()];
          for (int i = 0; i < scalarOutputs.length; i++) {
            scalarOutputs[i] = inputs.get(i).asOutput();
          }
          builder.addInputList(scalarOutputs);
          builder.setAttr("program", programAttr);
          return NativeKernels.op(builder.build());
        });
  }

  /**
   * A loaded state register points into its tensor, which an earlier store of the block may already have
   * overwritten: stores take a computed copy of it (1·v, exact). The gradient is never stored to, so its register is
   * stored as it is.
   */
  private Value unaliased(Value value) {
    return code.get(value.register)[0] == STATE ? mul(constant(1.0), value) : value;
  }

  private int stateIndex(Variable<T> slot) {
    for (int i = 0; i < states.size(); i++) {
      if (states.get(i).op().name().equals(slot.op().name())) {
        return i;
      }
    }
    if (states.size() == MAX_STATES) {
      throw new IllegalStateException(
          layer.name() + ": an element-wise program updates at most " + MAX_STATES + " tensors");
    }
    states.add(slot.asOutput());
    return states.size() - 1;
  }

  private int load(int opcode, int index) {
    return emit(opcode, index, 0, 0, 0);
  }

  private Value binary(int opcode, Value a, Value b) {
    return new Value(null, emit(opcode, a.register, b.register, 0, 0));
  }

  private Value unary(int opcode, Value a) {
    return new Value(null, emit(opcode, a.register, 0, 0, 0));
  }

  /** Appends [opcode, dst, a, b, c, e] with a fresh destination register. */
  private int emit(int opcode, int a, int b, int c, int e) {
    if (registers == MAX_REGISTERS) {
      throw new IllegalStateException(
          layer.name() + ": an element-wise program has at most " + MAX_REGISTERS + " values");
    }
    int destination = registers++;
    code.add(new int[] {opcode, destination, a, b, c, e});
    return destination;
  }
}
