package io.github.tftrain.optimizers;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.framework.optimizers.Optimizer.GradAndVar;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.family.TType;

/**
 * One train op for several optimizers on disjoint variables of the same loss, e.g. Muon on the matrices and AdamW on
 * the rest, or KaFiStO on one layer and Apollo on another.
 *
 * <p>Why it exists: an optimizer's writes wait for its own reads and gradients, but when two optimizers' train ops
 * run in the same {@code Session.run}, one optimizer's in-place writes can race the other's backward pass (the
 * gradient of layer 1 reads layer 2's weights), and results change from run to run. A train step takes the
 * gradients of the loss once, for all variables, and puts every optimizer's writes behind one barrier that waits for
 * every optimizer's reads and computations. (Optimizers whose train ops run in separate {@code Session.run} calls,
 * a GAN's critic and generator, need none of this.)
 *
 * <pre>{@code
 * Op train = TrainStep.of(loss)
 *     .add(kafisto, List.of(w1, b1))
 *     .add(apollo, List.of(w2, b2))
 *     .build();
 * }</pre>
 *
 * Each optimizer keeps its own global step, state, learning rate and diagnostics.
 */
public final class TrainStep {
  private final Operand<?> loss;
  private final List<LossAwareOptimizer> optimizers = new ArrayList<>();
  private final List<List<? extends Variable<?>>> variables = new ArrayList<>();

  private TrainStep(Operand<?> loss) {
    this.loss = loss;
  }

  /**
   * Starts a train step for a loss.
   *
   * @param loss a float scalar, or a rank-1 vector of per-example losses
   */
  public static TrainStep of(Operand<?> loss) {
    if (loss == null) {
      throw new IllegalArgumentException("loss must not be null");
    }
    return new TrainStep(loss);
  }

  /**
   * Adds an optimizer for some of the loss's variables.
   *
   * @throws IllegalArgumentException if a variable is already given to another optimizer of this step
   */
  public TrainStep add(LossAwareOptimizer optimizer, List<? extends Variable<?>> vars) {
    Set<String> taken = new HashSet<>();
    for (List<? extends Variable<?>> list : variables) {
      for (Variable<?> v : list) {
        taken.add(v.op().name());
      }
    }
    if (optimizer == null || vars == null || vars.stream().anyMatch(java.util.Objects::isNull)) {
      throw new IllegalArgumentException("a train step needs an optimizer and a list of variables without nulls");
    }
    for (Variable<?> v : vars) {
      if (taken.contains(v.op().name())) {
        throw new IllegalArgumentException(
            "variable '" + v.op().name() + "' is given to two optimizers of one train step");
      }
    }
    if (optimizers.contains(optimizer)) {
      throw new IllegalArgumentException(optimizer.getOptimizerName() + " is added twice");
    }
    optimizers.add(optimizer);
    variables.add(List.copyOf(vars));
    return this;
  }

  /**
   * Builds the train op: run it once per step.
   *
   * @throws IllegalArgumentException with no optimizers, or when one of several optimizers accumulates gradients
   *     (its updates would skip runs the others make)
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public Op build() {
    if (optimizers.isEmpty()) {
      throw new IllegalArgumentException("a train step needs at least one optimizer");
    }
    LossAwareOptimizer first = optimizers.get(0);
    Graph graph = (Graph) loss.env();
    List<Variable<?>> all = new ArrayList<>();
    for (List<? extends Variable<?>> list : variables) {
      all.addAll(list);
    }
    for (LossAwareOptimizer optimizer : optimizers) {
      optimizer.requireNotBuilt();
      if (optimizers.size() > 1 && optimizer.configuration().get(CommonHyperparameters.ACCUMULATE) > 1) {
        throw new IllegalArgumentException(
            optimizer.getOptimizerName() + ": accumulate > 1 is not supported with other optimizers in one train"
                + " step");
      }
    }
    LossStatistics stats = LossStatistics.of(first.scope(), loss);
    Map<String, GradAndVar<?>> byVariable = new HashMap<>();
    for (GradAndVar<?> pair : first.gradients(stats, all)) {
      byVariable.put(pair.getVariable().op().name(), pair);
    }
    List<LossAwareOptimizer.Prepared> prepared = new ArrayList<>();
    List<Op> computed = new ArrayList<>();
    for (int i = 0; i < optimizers.size(); i++) {
      List<GradAndVar<? extends TType>> pairs = new ArrayList<>();
      for (Variable<?> v : variables.get(i)) {
        GradAndVar<?> pair = byVariable.get(v.op().name());
        if (pair != null) {
          pairs.add((GradAndVar) pair);
        }
      }
      LossAwareOptimizer.Prepared p = optimizers.get(i).prepare(pairs, stats);
      prepared.add(p);
      computed.addAll(p.computed);
    }
    Ops tf = Ops.create(graph).withSubScope("train_step");
    Op barrier = tf.withControlDependencies(computed).withName("computed").noOp();
    List<Op> trainOps = new ArrayList<>();
    for (int i = 0; i < optimizers.size(); i++) {
      trainOps.add(optimizers.get(i).commit(prepared.get(i), barrier, "train"));
    }
    return tf.withControlDependencies(trainOps).withName("train").noOp();
  }
}
