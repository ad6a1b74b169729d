package io.github.tftrain.models;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Function;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.PlaceholderWithDefault;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TFloating;

/**
 * The context a model is built in: a name scope (variables get stable, readable names such as
 * {@code wrn/group2/block1/conv1/kernel}), the float type, the training-mode switch, the step that keys stateless
 * randomness, and the variables and update ops the model created.
 *
 * <ul>
 *   <li>{@link #training()} is a boolean placeholder with default {@code false}: feed {@code true} for training
 *       steps. Batch norm then uses batch statistics and dropout drops; otherwise moving statistics, no dropout.
 *   <li>{@link #step()} is an int64 placeholder with default 0. Dropout masks (and any other noise a model draws)
 *       come from stateless random ops keyed by (layer seed, step), so feeding the training step makes a run
 *       reproducible and a resumed run identical to an uninterrupted one.
 *   <li>{@link #trainableVariables()} are what an optimizer trains; {@link #nonTrainableVariables()} (batch-norm
 *       moving statistics) are updated by {@link #updates()}, ops to run with every training step.
 * </ul>
 *
 * Scopes made with {@link #scope} share these collections; {@link #sibling} starts a new set. Creating a network registers the gradients TensorFlow
 * lacks ({@link io.github.tftrain.gradients.MissingGradients}).
 *
 * @param <T> float32 (models) or float64 (gradient checks)
 */
public final class Network<T extends TFloating> {
  private final Shared<T> shared;
  private final Owned<T> owned;
  private final Ops tf;

  /** The variables and update ops of one network (a GAN has two: generator and critic). */
  private static final class Owned<T extends TFloating> {
    final List<Variable<T>> trainable = new ArrayList<>();
    final List<Variable<T>> nonTrainable = new ArrayList<>();
    final List<Function<List<Op>, Op>> updateBuilders = new ArrayList<>();
    List<Op> updates;
    Op guard;
  }

  private static final class Shared<T extends TFloating> {
    final Graph graph;
    final Class<T> type;
    final Init init;
    final long seed;
    final Operand<TBool> training;
    final Operand<TInt64> step;
    final Ops root;
    final CrossReplicaMean syncBatchNorm;
    long seeds;

    Shared(Graph graph, Class<T> type, Init init, long seed, Ops root, CrossReplicaMean syncBatchNorm) {
      this.graph = graph;
      this.syncBatchNorm = syncBatchNorm;
      this.type = type;
      this.init = init;
      this.seed = seed;
      this.root = root;
      this.training = root.withName("training").placeholderWithDefault(root.constant(false), Shape.scalar());
      this.step = root.withName("step").placeholderWithDefault(root.constant(0L), Shape.scalar());
    }
  }

  private Network(Shared<T> shared, Owned<T> owned, Ops tf) {
    this.shared = shared;
    this.owned = owned;
    this.tf = tf;
  }

  /**
   * A float32 network.
   *
   * @param graph the graph
   * @param name the model's top-level name scope
   * @param init the kernel initializer
   * @param seed the seed every initializer and random op derives its own from
   */
  public static Network<TFloat32> create(Graph graph, String name, Init init, long seed) {
    return create(graph, name, init, seed, TFloat32.class);
  }

  /** A network of the given float type (float64 for gradient checks). */
  public static <T extends TFloating> Network<T> create(
      Graph graph, String name, Init init, long seed, Class<T> type) {
    return create(graph, name, init, seed, type, null);
  }

  /**
   * A network whose batch norm layers normalise with the global batch's statistics, averaged over the replicas of a
   * data-parallel run by {@code syncBatchNorm} (null: each replica's own batch).
   */
  public static <T extends TFloating> Network<T> create(
      Graph graph, String name, Init init, long seed, Class<T> type, CrossReplicaMean syncBatchNorm) {
    if (type != TFloat32.class && type != TFloat64.class) {
      throw new IllegalArgumentException("networks are float32 or float64, not " + type.getSimpleName());
    }
    io.github.tftrain.gradients.MissingGradients.register();
    Ops root = Ops.create(graph);
    Shared<T> shared = new Shared<>(graph, type, init, seed, root, syncBatchNorm);
    return new Network<>(shared, new Owned<>(), root.withSubScope(name));
  }

  /** A child scope: names below it are prefixed with {@code name/}; it adds to this network's collections. */
  public Network<T> scope(String name) {
    return new Network<>(shared, owned, tf.withSubScope(name));
  }

  /**
   * Another network in the same graph, under the top-level name scope {@code name}, sharing this one's training
   * switch, step and seed sequence but with its own variables and update ops: a GAN's generator and critic are
   * siblings, trained by two optimizers on disjoint variable lists.
   */
  public Network<T> sibling(String name) {
    return new Network<>(shared, new Owned<>(), shared.root.withSubScope(name));
  }

  /** The cross-replica mean batch norm layers use, or null when each replica normalises with its own batch. */
  public CrossReplicaMean syncBatchNorm() {
    return shared.syncBatchNorm;
  }

  /** Ops in this scope. */
  public Ops tf() {
    return tf;
  }

  public Graph graph() {
    return shared.graph;
  }

  public Class<T> type() {
    return shared.type;
  }

  public Init init() {
    return shared.init;
  }

  /** The training-mode switch (default false). */
  public Operand<TBool> training() {
    return shared.training;
  }

  /** The step that keys stateless randomness (default 0). */
  public Operand<TInt64> step() {
    return shared.step;
  }

  /** A fresh seed for one random op or initializer, deterministic in creation order. */
  public long nextSeed() {
    return shared.seed * 1_000_003L + ++shared.seeds;
  }

  /** A trainable variable initialised by the network's kernel initializer. */
  public Variable<T> kernel(String name, long... shape) {
    return trainable(name, shared.init.build(tf.withInitScope(), nextSeed(), shape, shared.type));
  }

  /** A trainable variable initialised to a constant. */
  public Variable<T> constantTrainable(String name, double value, long... shape) {
    return trainable(name, fill(value, shape));
  }

  /** A trainable variable with an explicit initial value (built in the init scope). */
  public Variable<T> trainable(String name, Operand<T> initialValue) {
    Variable<T> v = tf.withName(name).variable(initialValue);
    owned.trainable.add(v);
    return v;
  }

  /** A variable no optimizer trains (batch-norm moving statistics), initialised to a constant. */
  public Variable<T> nonTrainable(String name, double value, long... shape) {
    Variable<T> v = tf.withName(name).variable(fill(value, shape));
    owned.nonTrainable.add(v);
    return v;
  }

  /**
   * Registers an op to run with every training step (a moving-average update), built when {@link #updates()} or
   * {@link #updates(Op)} is first called: the function gets the ops the update must wait for (none, or the guard)
   * and builds it, typically with {@code tf.withControlDependencies(waitFor)} in its own scope.
   *
   * @throws IllegalStateException once the updates are built
   */
  public void addUpdate(Function<List<Op>, Op> update) {
    if (owned.updates != null) {
      throw new IllegalStateException("the network's updates were already built; add updates before updates()");
    }
    owned.updateBuilders.add(update);
  }

  /** A constant of the network's float type. */
  public Operand<T> constant(double value) {
    return cast(tf.constant(value));
  }

  /** Casts a float64 tensor to the network's float type. */
  @SuppressWarnings("unchecked")
  public Operand<T> cast(Operand<TFloat64> value) {
    return shared.type == TFloat64.class ? (Operand<T>) value : tf.dtypes.cast(value, shared.type);
  }

  private Operand<T> fill(double value, long[] shape) {
    Ops init = tf.withInitScope();
    Operand<TFloat64> v = init.fill(init.constant(shape), init.constant(value));
    @SuppressWarnings("unchecked")
    Operand<T> typed = shared.type == TFloat64.class ? (Operand<T>) v : init.dtypes.cast(v, shared.type);
    return typed;
  }

  /** The variables an optimizer trains, in creation order. */
  public List<Variable<T>> trainableVariables() {
    return Collections.unmodifiableList(owned.trainable);
  }

  /** Variables updated by {@link #updates()} instead (batch-norm moving statistics). */
  public List<Variable<T>> nonTrainableVariables() {
    return Collections.unmodifiableList(owned.nonTrainable);
  }

  /** Ops to run with every training step (built on the first call, unguarded). */
  public List<Op> updates() {
    if (owned.updates == null) {
      buildUpdates(List.of());
    }
    return Collections.unmodifiableList(owned.updates);
  }

  /**
   * The ops to run with every training step, each waiting for {@code guard} (e.g. an optimizer's
   * {@code finiteCheck()}): a step whose guard fails leaves the moving statistics as they were.
   *
   * @throws IllegalStateException if the updates were already built with another guard or none
   */
  public List<Op> updates(Op guard) {
    if (owned.updates == null) {
      buildUpdates(List.of(guard));
      owned.guard = guard;
    } else if (owned.guard != guard) {
      throw new IllegalStateException("the network's updates were already built with another guard");
    }
    return Collections.unmodifiableList(owned.updates);
  }

  private void buildUpdates(List<Op> waitFor) {
    List<Op> built = new ArrayList<>();
    for (Function<List<Op>, Op> builder : owned.updateBuilders) {
      built.add(builder.apply(waitFor));
    }
    owned.updates = built;
  }

  /** The number of trainable parameters. */
  public long parameterCount() {
    long n = 0;
    for (Variable<T> v : owned.trainable) {
      n += v.shape().size();
    }
    return n;
  }
}
