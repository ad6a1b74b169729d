package io.github.tftrain.optimizers;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TType;

/**
 * Gradient accumulation ({@code accumulate = N}): each run of the train op adds its gradients to a slot; every N-th
 * run the optimizer's update runs on their mean (and the global step advances), and the sums restart from zero.
 *
 * <pre>
 * acc ← acc + g;  n ← n + 1
 * if n = N:  update with g = acc / N;  acc ← 0;  n ← 0
 * </pre>
 *
 * The update's ops are built inside a {@link Gate}, so on the other runs they do not run at all.
 */
final class Accumulation {
  private final Gate gate;
  private final List<Layer<?>> meanLayers;
  private final List<Op> writes;

  private Accumulation(Gate gate, List<Layer<?>> meanLayers, List<Op> writes) {
    this.gate = gate;
    this.meanLayers = meanLayers;
    this.writes = writes;
  }

  /**
   * @param tf ops for the sums' computations
   * @param writes ops for the sums' and the counter's writes (they wait for the finiteness check, if any)
   */
  static Accumulation of(
      LossAwareOptimizer optimizer, Ops tf, Ops writes, List<Layer<?>> layers, long batches) {
    Variable<TFloat64> counter = optimizer.createScalar("accumulated_batches", 0.0);
    Operand<TFloat64> count = tf.math.add(tf.identity(counter), tf.constant(1.0));
    Operand<TBool> apply = tf.math.greaterEqual(count, tf.constant((double) batches));
    Gate gate = Gate.open(tf, apply);
    List<Layer<?>> mean = new ArrayList<>();
    List<Op> assigns = new ArrayList<>();
    for (Layer<?> layer : layers) {
      mean.add(accumulate(optimizer, tf, writes, gate, layer, apply, batches, assigns));
    }
    assigns.add(writes.assign(counter, tf.select(apply, tf.constant(0.0), count)));
    return new Accumulation(gate, mean, assigns);
  }

  private static <T extends TType> Layer<T> accumulate(
      LossAwareOptimizer optimizer, Ops tf, Ops writes, Gate gate, Layer<T> layer, Operand<TBool> apply,
      long batches, List<Op> assigns) {
    Variable<T> sum = optimizer.createZeroSlot(layer, "accumulated_gradient");
    Operand<T> total = Tensors.add(tf, tf.identity(sum), layer.gradient());
    assigns.add(writes.assign(sum, tf.select(apply, tf.zerosLike(total), total)));
    Ops inside = gate.inside();
    Operand<T> count = LossAwareOptimizer.castScalar(inside, inside.constant((double) batches), layer.type());
    return layer.withGradient(Tensors.div(inside, total, count));
  }

  Gate gate() {
    return gate;
  }

  List<Layer<?>> meanLayers() {
    return meanLayers;
  }

  List<Op> writes() {
    return writes;
  }
}
