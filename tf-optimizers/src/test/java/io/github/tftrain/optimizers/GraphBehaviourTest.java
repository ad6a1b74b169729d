package io.github.tftrain.optimizers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.framework.optimizers.Optimizer.GradAndVar;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TType;

/** How the optimizers sit in a graph: which variables they touch, their step counter, clipping, and errors. */
class GraphBehaviourTest {

  private static double value(Session s, Operand<?> v) {
    return TensorValues.read(s, v)[0];
  }

  /**
   * A GAN-like graph: one loss reads a and c, and z feeds only an unrelated op. SGD trains [a] and Adam trains [c]
   * with separate train ops; each touches only its own variable, and z is never touched.
   */
  @Test
  void twoOptimizersOnDisjointListsAndAnUntouchedVariable() {
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Variable<TFloat64> a = tf.withName("a").variable(tf.withInitScope().constant(2.0));
      Variable<TFloat64> c = tf.withName("c").variable(tf.withInitScope().constant(-1.0));
      Variable<TFloat64> z = tf.withName("z").variable(tf.withInitScope().constant(5.0));
      Operand<TFloat64> unrelated = tf.math.square(tf.identity(z));
      // L = a² c² + a: ∂L/∂a = 2a c² + 1, ∂L/∂c = 2a² c
      Operand<TFloat64> loss =
          tf.math.add(
              tf.math.mul(tf.math.square(tf.identity(a)), tf.math.square(tf.identity(c))), tf.identity(a));
      Sgd sgd = Sgd.builder().lr(0.1).build(g);
      Adam adam = Adam.builder().lr(0.01).build(g);
      Op trainA = sgd.minimize(loss, List.of(a));
      Op trainC = adam.minimize(loss, List.of(c));
      assertEquals("sgd", sgd.getOptimizerName());
      assertEquals("adam", adam.getOptimizerName());
      // A second optimizer of a kind gets its own scope (TF-Java picks the suffix), so state names never collide.
      String second = new Adam(g).getOptimizerName();
      assertTrue(second.matches("adam_[0-9]+"), second);

      s.run(trainA);
      assertEquals(2 - 0.1 * (2 * 2 * 1 + 1), value(s, a), 1e-15); // 2 - 0.1·5 = 1.5
      assertEquals(-1.0, value(s, c), 0.0);
      s.run(trainC);
      // Adam's first step moves c by lr·sign(g): g = 2·1.5²·(-1) = -4.5
      assertEquals(-1.0 + 0.01 * 4.5 / (4.5 + 1e-8), value(s, c), 1e-15);
      assertEquals(1.5, value(s, a), 0.0);
      assertEquals(5.0, value(s, z), 0.0);
      assertEquals(25.0, value(s, unrelated), 0.0);
      assertEquals(1.0, value(s, sgd.globalStep()), 0.0);
      assertEquals(1.0, value(s, adam.globalStep()), 0.0);
    }
  }

  /** minimize(loss) picks exactly the variables the loss reads; others get no slots and no update. */
  @Test
  void minimizeTrainsOnlyVariablesTheLossReads() {
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Variable<TFloat32> w = tf.withName("w").variable(tf.withInitScope().constant(new float[] {1f, 2f}));
      Variable<TFloat32> movingMean = tf.withName("moving_mean").variable(tf.withInitScope().constant(0f));
      Operand<TFloat32> loss = tf.sum(tf.math.square(tf.identity(w)), tf.constant(0));
      tf.assign(movingMean, tf.math.mean(tf.identity(w), tf.constant(0))); // a side op, never run here
      assertEquals(List.of("w"), names(LossAwareOptimizer.variablesOf(loss)));
      Adam adam = new Adam(g);
      Op train = adam.minimize(loss);
      assertTrue(adam.getSlot(w.asOutput(), "m").isPresent());
      assertTrue(adam.getSlot(movingMean.asOutput(), "m").isEmpty());
      s.run(train);
      assertEquals(0f, (float) value(s, movingMean), 0f);
      assertTrue(value(s, w) < 1.0);
    }
  }

  /**
   * Variables inside name scopes (every model's: wrn/group1/conv1/kernel) get slots named after them with '.' for
   * '/', and every optimizer trains them.
   */
  @Test
  void variablesInNameScopesGetReadableSlots() {
    for (String name : Optimizers.names()) {
      try (Graph g = new Graph();
          Session s = new Session(g)) {
        Ops tf = Ops.create(g);
        Ops layer = tf.withSubScope("net").withSubScope("layer1");
        Variable<TFloat32> kernel = layer.withName("kernel").variable(tf.withInitScope().constant(new float[] {1f, 2f}));
        Operand<TFloat32> loss = tf.sum(tf.math.square(tf.identity(kernel)), tf.constant(0));
        LossAwareOptimizer optimizer = Optimizers.builder(name).build(g);
        Op train = optimizer.minimize(loss);
        // Every per-variable state tensor is named <optimizer>/net.layer1.kernel-<slot> and found by getSlot.
        String prefix = optimizer.getOptimizerName() + "/net.layer1.kernel-";
        for (java.util.Iterator<org.tensorflow.GraphOperation> it = g.operations(); it.hasNext(); ) {
          org.tensorflow.GraphOperation op = it.next();
          if (op.type().equals(Variable.OP_NAME) && op.name().startsWith(prefix)) {
            String slot = op.name().substring(prefix.length());
            assertEquals(op.name(), optimizer.getSlot(kernel.asOutput(), slot).orElseThrow().op().name(), name);
          }
        }
        s.run(train); // ADOPT's first step only records g²
        s.run(train);
        assertTrue(value(s, kernel) < 1.0, name + " moved the scoped variable");
      }
    }
  }

  private static List<String> names(List<Variable<?>> variables) {
    return variables.stream().map(v -> v.op().name()).toList();
  }

  /**
   * A layer whose gradient is exactly zero is skipped by KaFiStO: it keeps its value and adds no term to h, so
   * the other layer moves exactly as if it were alone. (Adaptive Q is off here: it averages over all parameters, a
   * skipped layer included, as eq 25 defines it.)
   */
  @Test
  void kafistoSkipsLayersWithoutGradient() {
    double alone;
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Variable<TFloat64> a = tf.withName("a").variable(tf.withInitScope().constant(1.0));
      Operand<TFloat64> loss = tf.math.square(tf.math.sub(tf.identity(a), tf.constant(3.0)));
      Op train = Kafisto.builder().adaptiveQ(false).build(g).minimize(loss);
      s.run(train);
      s.run(train);
      alone = value(s, a);
    }
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat64> mask = tf.placeholder(TFloat64.class, Placeholder.shape(Shape.scalar()));
      Variable<TFloat64> a = tf.withName("a").variable(tf.withInitScope().constant(1.0));
      Variable<TFloat64> z = tf.withName("z").variable(tf.withInitScope().constant(4.0));
      Operand<TFloat64> loss =
          tf.math.add(
              tf.math.square(tf.math.sub(tf.identity(a), tf.constant(3.0))),
              tf.math.mul(mask, tf.math.square(tf.identity(z))));
      Op train = Kafisto.builder().adaptiveQ(false).build(g).minimize(loss);
      try (TFloat64 off = TFloat64.scalarOf(0.0);
          TFloat64 on = TFloat64.scalarOf(1.0)) {
        s.runner().feed(mask, off).addTarget(train).run();
        s.runner().feed(mask, off).addTarget(train).run();
        assertEquals(alone, value(s, a), 0.0);
        assertEquals(4.0, value(s, z), 0.0);
        s.runner().feed(mask, on).addTarget(train).run();
        assertTrue(value(s, z) < 4.0, "z trains once its gradient is non-zero");
      }
    }
  }

  /** Global-norm clipping: g = (3, 4) has norm 5; clipped to 1 it is (0.6, 0.8). */
  @Test
  void clipsGradientsByGlobalNorm() {
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Variable<TFloat64> p = tf.withName("p").variable(tf.withInitScope().constant(0.0));
      Variable<TFloat64> q = tf.withName("q").variable(tf.withInitScope().constant(0.0));
      Operand<TFloat64> loss =
          tf.math.add(tf.math.mul(tf.constant(3.0), tf.identity(p)), tf.math.mul(tf.constant(4.0), tf.identity(q)));
      Sgd sgd = Sgd.builder().lr(1.0).clipNorm(1.0).build(g);
      Op train = sgd.minimize(loss);
      try (org.tensorflow.Result r = s.runner().addTarget(train).fetch(sgd.gradientNorm()).run()) {
        assertEquals(5.0, TensorValues.scalar(r.get(0)), 1e-15);
      }
      assertEquals(-0.6, value(s, p), 1e-15);
      assertEquals(-0.8, value(s, q), 1e-15);
    }
  }

  /** computeGradients + applyGradients(gradients, loss) builds the same step as minimize(loss). */
  @Test
  void applyGradientsWithLossEqualsMinimize() {
    double[][] results = new double[2][];
    for (int mode = 0; mode < 2; mode++) {
      RegressionProblem problem = new RegressionProblem(3, true);
      try (RegressionProblem.InGraph g = problem.new InGraph(true)) {
        Kafisto kafisto = new Kafisto(g.graph);
        Op train;
        if (mode == 0) {
          train = kafisto.minimize(g.loss());
        } else {
          List<GradAndVar<?>> grads = kafisto.computeGradients(g.loss());
          @SuppressWarnings({"unchecked", "rawtypes"})
          List<GradAndVar<? extends TType>> typed = (List) grads;
          train = kafisto.applyGradients(typed, g.loss());
        }
        for (int step = 0; step < 3; step++) {
          g.run(train, step, List.of());
        }
        results[mode] = g.values()[0];
      }
    }
    assertArrayEquals(results[0], results[1], 0.0);
  }

  @Test
  void reportsMisuseClearly() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Variable<TFloat32> w = tf.withName("w").variable(tf.withInitScope().constant(new float[] {1f, 2f}));
      Operand<TFloat32> perExample = tf.math.square(tf.identity(w));
      Operand<TFloat32> matrixLoss = tf.reshape(perExample, tf.constant(new int[] {1, 2}));

      IllegalArgumentException rank =
          assertThrows(IllegalArgumentException.class, () -> new Adam(g).minimize(matrixLoss));
      assertTrue(rank.getMessage().contains("scalar or a rank-1"), rank.getMessage());

      Operand<TInt32> intLoss = tf.constant(3);
      IllegalArgumentException type =
          assertThrows(IllegalArgumentException.class, () -> new Adam(g).minimize(intLoss));
      assertTrue(type.getMessage().contains("float32 or float64"), type.getMessage());

      Kafisto kafisto = new Kafisto(g);
      List<GradAndVar<?>> grads = kafisto.computeGradients(perExample);
      @SuppressWarnings({"unchecked", "rawtypes"})
      List<GradAndVar<? extends TType>> typed = (List) grads;
      IllegalStateException noLoss =
          assertThrows(IllegalStateException.class, () -> kafisto.applyGradients(typed, "train"));
      assertTrue(noLoss.getMessage().contains("needs the loss"), noLoss.getMessage());

      Adam adam = new Adam(g);
      adam.minimize(perExample);
      IllegalStateException twice = assertThrows(IllegalStateException.class, () -> adam.minimize(perExample));
      assertTrue(twice.getMessage().contains("one optimizer per train op"), twice.getMessage());

      IllegalStateException early = assertThrows(IllegalStateException.class, () -> new Sgd(g).learningRate());
      assertTrue(early.getMessage().contains("once minimize"), early.getMessage());

      Variable<TInt32> counter = tf.withName("counter").variable(tf.withInitScope().constant(0));
      Operand<TFloat32> withCounter =
          tf.math.add(perExample, tf.dtypes.cast(tf.identity(counter), TFloat32.class));
      // An integer variable the loss reads has no gradient and is left out, not an error.
      assertEquals(List.of("w", "counter"), names(LossAwareOptimizer.variablesOf(withCounter)));
      Sgd sgd = new Sgd(g);
      sgd.minimize(withCounter);
      assertTrue(sgd.getSlot(counter.asOutput(), "momentum").isEmpty());
    }
  }

  /** Every state write of every optimizer (assignments, fused kernels) comes after the step's barrier. */
  @Test
  void everyWriteWaitsForTheBarrier() {
    for (java.util.function.Function<Graph, LossAwareOptimizer> factory :
        List.<java.util.function.Function<Graph, LossAwareOptimizer>>of(
            g -> Kafisto.builder().kernel(UpdateKernel.GRAPH).weightDecay(0.1).build(g),
            g -> Kafisto.builder().kernel(UpdateKernel.AUTO).build(g),
            g -> Kafisto.builder().variant(Kafisto.Variant.VANILLA).build(g),
            g -> Apollo.builder().kernel(UpdateKernel.GRAPH).build(g),
            g -> Apollo.builder().kernel(UpdateKernel.AUTO).build(g),
            g -> Sgd.builder().momentum(0.9).weightDecay(0.1).build(g),
            Adam::new,
            AdamW::new)) {
      try (Graph g = new Graph()) {
        Ops tf = Ops.create(g);
        Variable<TFloat32> w = tf.withName("w").variable(tf.withInitScope().constant(new float[] {1f, 2f}));
        LossAwareOptimizer optimizer = factory.apply(g);
        optimizer.minimize(tf.sum(tf.math.square(tf.identity(w)), tf.constant(0)));
        String scope = optimizer.getOptimizerName() + "/";
        GraphOperation barrier = g.operation(scope + "update/computed");
        int writes = 0;
        for (java.util.Iterator<GraphOperation> it = g.operations(); it.hasNext(); ) {
          GraphOperation op = it.next();
          boolean write = op.type().equals("Assign") || op.type().startsWith("Apply") || op.type().startsWith("Tftrain");
          if (write && op.name().startsWith(scope + "update/")) {
            writes++;
            assertTrue(reaches(op, barrier), op.name() + " (" + op.type() + ") must wait for " + barrier.name());
          }
        }
        assertTrue(writes > 0, scope + " has writes");
      }
    }
  }

  /** Whether {@code target} is among the data or control ancestors of {@code op}. */
  private static boolean reaches(GraphOperation op, GraphOperation target) {
    java.util.Deque<GraphOperation> todo = new java.util.ArrayDeque<>(List.of(op));
    java.util.Set<GraphOperation> seen = new java.util.HashSet<>();
    while (!todo.isEmpty()) {
      GraphOperation next = todo.pop();
      if (next.equals(target)) {
        return true;
      }
      if (seen.add(next)) {
        todo.addAll(next.controlInputs());
        next.inputs().forEach(input -> todo.add((GraphOperation) input.op()));
      }
    }
    return false;
  }

  @Test
  void globalStepCountsAppliedUpdates() {
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Variable<TFloat32> w = tf.withName("w").variable(tf.withInitScope().constant(1f));
      Apollo apollo = new Apollo(g);
      Op train = apollo.minimize(tf.math.square(tf.identity(w)));
      assertEquals("apollo/global_step", apollo.globalStep().op().name());
      assertEquals(0.0, value(s, apollo.globalStep()), 0.0);
      for (int i = 0; i < 3; i++) {
        s.run(train);
      }
      try (Tensor step = s.runner().fetch(apollo.globalStep()).run().get(0)) {
        assertEquals(3.0, TensorValues.scalar(step), 0.0);
      }
    }
  }
}
