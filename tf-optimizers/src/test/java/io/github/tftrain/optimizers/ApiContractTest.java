package io.github.tftrain.optimizers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;

/**
 * The optimizer API's contracts: declarations drive parsing and validation without a graph, users register their own
 * optimizers, update() cannot build writes or skip the base's weight decay, and gradient accumulation equals one
 * step on the large batch.
 */
class ApiContractTest {

  @Test
  void validationNeedsNoGraphAndNamesTheParameter() {
    OptimizerConfig config = Optimizers.builder("adam").set("beta1", "0.8").set("amsgrad", "true").validate();
    assertEquals(0.8, config.get(Adam.BETA1));
    assertTrue(config.get(Adam.AMSGRAD));
    assertEquals(0.999, config.get(Adam.BETA2), "unset: the declared default");
    assertEquals(
        "adam: beta1 must be in [0, 1), got 1.5",
        assertThrows(IllegalArgumentException.class, () -> Adam.builder().beta1(1.5).validate()).getMessage());
    assertEquals(
        "adam: amsgrad must be true or false, got 'yes'",
        assertThrows(IllegalArgumentException.class, () -> Adam.builder().set("amsgrad", "yes")).getMessage());
    assertEquals(
        "adam: emaDecay must be in [0, 1), got 1.0",
        assertThrows(IllegalArgumentException.class, () -> Adam.builder().emaDecay(1).validate()).getMessage());
    IllegalArgumentException shared =
        assertThrows(
            IllegalArgumentException.class, () -> Optimizers.builder("adam").set("group[.*bias].beta1", "0.5")
                .validate());
    assertTrue(shared.getMessage().startsWith("adam: beta1 is shared by all variables"), shared.getMessage());
    assertTrue(shared.getMessage().contains("per-variable keys: weightDecay"), shared.getMessage());
    IllegalArgumentException badRegex =
        assertThrows(IllegalArgumentException.class, () -> Optimizers.builder("adam").set("group[(].weightDecay", "0"));
    assertTrue(badRegex.getMessage().startsWith("group[(]: not a regular expression"), badRegex.getMessage());
    assertEquals(
        "adam: name must be letters, digits, '.', '_' or '-' (a TensorFlow name scope), got 'my adam'",
        assertThrows(IllegalArgumentException.class, () -> Adam.builder().name("my adam")).getMessage());
    assertEquals(
        "adam: lookaheadAlpha applies to Lookahead: set lookaheadSteps > 0 too (0 = off)",
        assertThrows(IllegalArgumentException.class, () -> Adam.builder().set("lookaheadAlpha", "0.8").validate())
            .getMessage());
    IllegalArgumentException own =
        assertThrows(IllegalArgumentException.class, () -> ScheduleFreeAdamW.builder().emaDecay(0.9).validate());
    assertTrue(own.getMessage().startsWith("adamw-schedulefree: lookaheadSteps and emaDecay must be 0"),
        own.getMessage());
    assertEquals(
        "kafisto: accumulate must be 1 (its update measures each minibatch's loss), got 2",
        assertThrows(IllegalArgumentException.class, () -> Kafisto.builder().accumulate(2).validate())
            .getMessage());
  }

  /** A group whose selector matches none of the optimizer's variables is reported (a typo changes nothing). */
  @Test
  void groupsThatMatchNoVariableAreReported() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Ops dense = tf.withSubScope("dense");
      Variable<TFloat32> kernel = dense.withName("kernel").variable(tf.withInitScope().ones(
          tf.constant(new long[] {2, 2}), TFloat32.class));
      Variable<TFloat32> bias = dense.withName("bias").variable(tf.withInitScope().zeros(
          tf.constant(new long[] {2}), TFloat32.class));
      Operand<TFloat32> loss = tf.math.add(tf.sum(tf.math.mul(tf.identity(kernel), tf.identity(kernel)),
          tf.constant(new int[] {0, 1})), tf.sum(tf.identity(bias), tf.constant(0)));
      LossAwareOptimizer adamw = Optimizers.builder("adamw").set("group[.*bais].weightDecay", "0")
          .set("group[.*bias].weightDecay", "0").set("group[rank>=3].weightDecay", "0").build(g);
      assertThrows(IllegalStateException.class, adamw::unmatchedGroups, "before the train op");
      adamw.minimize(loss);
      assertEquals(List.of(".*bais", "rank>=3"), adamw.unmatchedGroups().stream().map(VariableGroup::selector).toList());
      assertEquals(List.of("dense/kernel", "dense/bias"), adamw.variableNames());
      assertEquals("group[.*bais] and group[rank>=3] match none of the 2 variables (dense/kernel, dense/bias)",
          LossAwareOptimizer.describeUnmatched(adamw.unmatchedGroups(), adamw.variableNames()));
    }
  }

  /** The record of a configuration (config.json): every key with its resolved value, the kernel resolved too. */
  @Test
  void toMapRecordsEveryResolvedHyperparameter() {
    java.util.Map<String, Object> sgd = Sgd.builder().momentum(0.9).set("group[b].weightDecay", "0").validate().toMap();
    assertEquals(Optimizers.builder("sgd").keys(), List.copyOf(sgd.keySet()).subList(0, sgd.size() - 1));
    assertEquals("constant(0.001)", sgd.get("lr"));
    assertEquals(0.9, sgd.get("momentum"));
    assertEquals(false, sgd.get("nesterov"));
    assertEquals("l2", sgd.get("weightDecayMode"));
    assertEquals(1L, sgd.get("accumulate"));
    assertEquals(List.of(java.util.Map.of("selector", "b", "values", java.util.Map.of("weightDecay", 0.0))),
        sgd.get("groups"));
    Object kernel = Optimizers.builder("lion").validate().toMap().get("kernel");
    assertEquals(NativeKernels.available() ? "native" : "graph", kernel, "auto is recorded as what it resolved to");
    assertEquals("graph", Optimizers.builder("lion").set("kernel", "graph").validate().toMap().get("kernel"));
  }

  @Test
  void toStringListsEveryHyperparameterFromTheDeclaration() {
    String text = Sgd.builder().momentum(0.9).set("group[b].weightDecay", "0").validate().toString();
    assertEquals(
        "sgd(lr=constant(0.001), momentum=0.9, nesterov=false, weightDecay=0.0, weightDecayMode=l2, clipNorm=0.0, "
            + "lookaheadSteps=0, lookaheadAlpha=0.5, emaDecay=0.0, accumulate=1, group[b](weightDecay=0.0))",
        text);
  }

  @Test
  void everySpecDeclaresEachKeyOnceWithDocs() {
    for (OptimizerSpec spec : Optimizers.specs()) {
      assertFalse(spec.summary().isBlank(), spec.name());
      assertFalse(spec.source().isBlank(), spec.name());
      assertEquals("lr", spec.hyperparameters().get(0).key(), spec.name());
      for (Hyperparameter<?> p : spec.hyperparameters()) {
        assertFalse(p.description().isBlank(), spec.name() + "." + p.key());
        assertTrue(p.defaultText() != null, spec.name() + "." + p.key() + " has a documented default");
      }
      spec.newBuilder().validate(); // the defaults are valid
    }
  }

  /** A user's optimizer: registered on a registry of their own, and through a ServiceLoader provider. */
  public static final class HalfStep extends LossAwareOptimizer {
    public static final OptimizerSpec SPEC =
        OptimizerSpec.builder("half-step")
            .summary("a user's optimizer: x ← x − lr·g/2")
            .source("this test")
            .learningRate(0.1)
            .factory(HalfStep::new)
            .build();

    private HalfStep(Graph graph, OptimizerConfig config) {
      super(graph, config);
    }

    @Override
    protected void build(List<Layer<?>> layers) {}

    @Override
    protected void update(UpdateStep step) {
      for (Layer<?> layer : step.layers()) {
        halve(step, layer);
      }
    }

    private static <T extends org.tensorflow.types.family.TType> void halve(UpdateStep step, Layer<T> layer) {
      step.descend(layer, Tensors.mul(step.tf(), step.scalar(0.5, layer.type()), layer.gradient()));
    }
  }

  /** The provider listed in this module's test resources, META-INF/services. */
  public static final class TestProvider implements OptimizerProvider {
    @Override
    public List<OptimizerSpec> optimizers() {
      return List.of(HalfStep.SPEC);
    }
  }

  @Test
  void usersRegisterTheirOwnOptimizers() {
    OptimizerRegistry mine = OptimizerRegistry.builtIn().with(HalfStep.SPEC);
    assertTrue(mine.names().contains("half-step"));
    assertFalse(OptimizerRegistry.builtIn().names().contains("half-step"), "registries are immutable");
    assertTrue(Optimizers.names().contains("half-step"), "found through the ServiceLoader provider");
    assertEquals(
        "an optimizer named 'adam' is already registered",
        assertThrows(IllegalArgumentException.class, () -> mine.with(Adam.SPEC)).getMessage());
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Variable<TFloat64> x = tf.variable(tf.withInitScope().constant(new double[] {1, -2}));
      Op train = mine.builder("half-step").set("lr", "0.2").build(g).minimize(
          tf.sum(tf.math.square(tf.identity(x)), tf.constant(0)));
      s.initialize();
      s.run(train);
      // g = 2x = [2, -4]; x ← x − 0.2·g/2 = [0.8, -1.6]
      assertArrayEquals(new double[] {0.8, -1.6}, TensorValues.read(s, x), 1e-15);
    }
  }

  /** An optimizer whose update() builds its own write, or skips the base's decoupled decay, does not build. */
  @Test
  void unsafeUpdatesAreRefused() {
    OptimizerSpec.Factory writesItself =
        (graph, config) ->
            new LossAwareOptimizer(graph, config) {
              @Override
              protected void build(List<Layer<?>> layers) {}

              @Override
              protected void update(UpdateStep step) {
                Layer<?> layer = step.layers().get(0);
                step.tf().assign((org.tensorflow.Operand) layer.variable(), (org.tensorflow.Operand) layer.value());
              }
            };
    OptimizerSpec.Factory skipsDecay =
        (graph, config) ->
            new LossAwareOptimizer(graph, config) {
              @Override
              protected void build(List<Layer<?>> layers) {}

              @Override
              protected void update(UpdateStep step) {
                Layer<?> layer = step.layers().get(0);
                step.assign((org.tensorflow.Operand) layer.variable(), (org.tensorflow.Operand) layer.gradient());
              }
            };
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Variable<TFloat64> x = tf.withName("x").variable(tf.withInitScope().constant(new double[] {1, -2}));
      var loss = tf.sum(tf.math.square(tf.identity(x)), tf.constant(0));
      OptimizerSpec writing =
          OptimizerSpec.builder("writes").summary("s").source("s").learningRate(0.1).factory(writesItself).build();
      IllegalStateException write =
          assertThrows(IllegalStateException.class, () -> writing.newBuilder().build(g).minimize(loss));
      assertTrue(write.getMessage().contains("update() built the write op"), write.getMessage());
      OptimizerSpec decaying =
          OptimizerSpec.builder("decays").summary("s").source("s").learningRate(0.1)
              .weightDecay(WeightDecayMode.DECOUPLED, 0.1).factory(skipsDecay).build();
      IllegalStateException decay =
          assertThrows(IllegalStateException.class, () -> decaying.newBuilder().build(g).minimize(loss));
      assertTrue(decay.getMessage().contains("decoupled weight decay applies to 'x'"), decay.getMessage());
    }
  }

  /** accumulate = 4 on batches of 8 equals one step on the batch of 32 (mean loss), to float rounding. */
  @Test
  void accumulatingFourBatchesOfEightIsOneStepOnThirtyTwo() {
    java.util.Random random = new java.util.Random(3);
    double[] inputs = new double[32 * 5];
    double[] targets = new double[32];
    for (int i = 0; i < inputs.length; i++) {
      inputs[i] = random.nextGaussian();
    }
    for (int i = 0; i < targets.length; i++) {
      targets[i] = random.nextGaussian();
    }
    double[] small = train(inputs, targets, 8, 4, 3);
    double[] large = train(inputs, targets, 32, 1, 3);
    for (int i = 0; i < large.length; i++) {
      assertEquals(large[i], small[i], 1e-13 * Math.max(1, Math.abs(large[i])), "weight " + i);
    }
  }

  /** Linear regression with Adam over {@code updates} updates, each on {@code accumulate} batches. */
  private static double[] train(double[] inputs, double[] targets, int batch, int accumulate, int updates) {
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat64> x = tf.placeholder(TFloat64.class, Placeholder.shape(Shape.of(batch, 5)));
      Placeholder<TFloat64> y = tf.placeholder(TFloat64.class, Placeholder.shape(Shape.of(batch)));
      Variable<TFloat64> w =
          tf.variable(tf.withInitScope().constant(Shape.of(5, 1), DataBuffers.of(new double[] {.1, -.2, .3, 0, .5})));
      var prediction = tf.reshape(tf.linalg.matMul(x, tf.identity(w)), tf.constant(new long[] {batch}));
      var loss = tf.math.mean(tf.math.square(tf.math.sub(prediction, y)), tf.constant(0));
      Op train = Adam.builder().lr(0.05).accumulate(accumulate).build(g).minimize(loss);
      s.initialize();
      for (int u = 0; u < updates; u++) {
        for (int part = 0; part < accumulate; part++) {
          int from = part * batch;
          double[] xs = java.util.Arrays.copyOfRange(inputs, from * 5, (from + batch) * 5);
          double[] ys = java.util.Arrays.copyOfRange(targets, from, from + batch);
          try (TFloat64 xt = TFloat64.tensorOf(Shape.of(batch, 5), DataBuffers.of(xs));
              TFloat64 yt = TFloat64.tensorOf(Shape.of(batch), DataBuffers.of(ys))) {
            s.runner().feed(x, xt).feed(y, yt).addTarget(train).run();
          }
        }
      }
      return TensorValues.read(s, w);
    }
  }
}
