package io.github.tftrain.optimizers;

import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.SwitchCond;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;

/**
 * Ops that run only when a predicate holds (TensorFlow's Switch/Merge, as {@code tf.cond} builds them): every op
 * built with {@link #inside()} carries a control input from the Switch's true side, so when the predicate is false
 * it is dead and does not run; {@link #close} returns an op that is live either way, after the inside ops when they
 * ran. Used for gradient accumulation (update every N runs) and Lookahead (sync every k steps).
 */
final class Gate {
  private final Ops outside;
  private final SwitchCond<TFloat32> branch;
  private final Ops inside;

  private Gate(Ops outside, SwitchCond<TFloat32> branch, Ops inside) {
    this.outside = outside;
    this.branch = branch;
    this.inside = inside;
  }

  static Gate open(Ops tf, Operand<TBool> predicate) {
    SwitchCond<TFloat32> branch = tf.switchCond(tf.constant(0f), predicate);
    Operand<TFloat32> taken = tf.identity(branch.outputTrue());
    return new Gate(tf, branch, tf.withControlDependencies(List.of(taken)));
  }

  /** Ops that run only when the predicate is true. */
  Ops inside() {
    return inside;
  }

  /** An op that completes after {@code ops} when the predicate is true, and at once when it is false. */
  Op close(List<Op> ops) {
    Operand<TFloat32> done = outside.withControlDependencies(ops).identity(branch.outputTrue());
    Operand<TFloat32> skipped = outside.identity(branch.outputFalse());
    return outside.merge(List.of(skipped, done));
  }
}
