package io.github.tftrain.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Output shapes of every model, readable variable names, training versus inference mode, the LSTM's carried state
 * and the Transformer's causality.
 */
class ModelShapeTest {

  private static Operand<TFloat32> images(Network<TFloat32> net, int batch, long seed) {
    Random random = new Random(seed);
    float[] v = new float[batch * 32 * 32 * 3];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) random.nextGaussian();
    }
    return net.tf().constant(Shape.of(batch, 32, 32, 3), DataBuffers.of(v, true, false));
  }

  private static float[] fetch(Session s, Network<?> net, boolean training, Operand<?> what) {
    try (TBool mode = TBool.scalarOf(training);
        Result r = s.runner().feed(net.training(), mode).fetch(what).run()) {
      return floats(r.get(0));
    }
  }

  private static float[] floats(Tensor t) {
    float[] out = new float[(int) t.shape().size()];
    t.asRawTensor().data().asFloats().read(out);
    return out;
  }

  private static long[] shapeOf(Session s, Network<?> net, Operand<?> what) {
    try (Result r = s.runner().fetch(what).run()) {
      return r.get(0).shape().asArray();
    }
  }

  private static Set<String> variableNames(Network<?> net) {
    Set<String> names = new HashSet<>();
    for (Variable<?> v : net.trainableVariables()) {
      names.add(v.op().name());
    }
    for (Variable<?> v : net.nonTrainableVariables()) {
      names.add(v.op().name());
    }
    return names;
  }

  @Test
  void wideResNet() {
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Network<TFloat32> net = Network.create(g, "wrn", Init.KAIMING_UNIFORM, 1);
      Operand<TFloat32> logits = WideResNet.build(net, images(net, 3, 1), 10, 2, 7, 0.3);
      s.initialize();
      assertArrayEquals(new long[] {3, 7}, shapeOf(s, net, logits));
      Set<String> names = variableNames(net);
      assertTrue(names.contains("wrn/group2/block1/conv1/kernel"), names.toString());
      assertTrue(names.contains("wrn/group2/block1/shortcut/kernel"), names.toString());
      assertTrue(names.contains("wrn/group3/block1/bn2/moving_variance"), names.toString());
      assertTrue(names.contains("wrn/classifier/kernel"), names.toString());
      float[] train = fetch(s, net, true, logits);
      float[] inference = fetch(s, net, false, logits);
      assertNotEquals(train[0], inference[0], "batch statistics in training, moving statistics in inference");
      assertArrayEquals(inference, fetch(s, net, false, logits), "inference is deterministic");
      // WRN-10: one block per group, two batch norms per block, plus the final one; two moving statistics each
      assertEquals((3 * 2 + 1) * 2, net.nonTrainableVariables().size());
    }
    try (Graph g = new Graph()) {
      Network<TFloat32> net = Network.create(g, "wrn", Init.KAIMING_UNIFORM, 1);
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> WideResNet.build(net, images(net, 1, 1), 18, 2, 10, 0));
      assertEquals("WRN depth must be 6n + 4 with n >= 1 (10, 16, 22, 28, 40), got 18", e.getMessage());
    }
  }

  @Test
  void cifarResNet18() {
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Network<TFloat32> net = Network.create(g, "resnet18", Init.KAIMING_UNIFORM, 1);
      Operand<TFloat32> logits = CifarResNet.build(net, images(net, 2, 2), CifarResNet.Architecture.RESNET18, 100);
      s.initialize();
      assertArrayEquals(new long[] {2, 100}, shapeOf(s, net, logits));
      assertTrue(variableNames(net).contains("resnet18/stage3/block1/shortcut/kernel"));
      for (float v : fetch(s, net, true, logits)) {
        assertTrue(Float.isFinite(v));
      }
    }
  }

  /** ResNet-110: three stages of 18 basic blocks, 32x32 -> 8x8 with 64 channels, then the classifier. */
  @Test
  void cifarResNet110() {
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Network<TFloat32> net = Network.create(g, "resnet110", Init.KAIMING_UNIFORM, 1);
      Operand<TFloat32> logits = CifarResNet.build(net, images(net, 2, 5), CifarResNet.Architecture.RESNET110, 10);
      s.initialize();
      assertArrayEquals(new long[] {2, 10}, shapeOf(s, net, logits));
      Set<String> names = variableNames(net);
      assertTrue(names.contains("resnet110/stage3/block18/conv2/kernel"), names.toString());
      assertTrue(names.contains("resnet110/stage2/block1/shortcut/kernel"), names.toString());
      assertTrue(names.contains("resnet110/stage2/block1/shortcut_bn/moving_mean"), names.toString());
      assertFalse(names.contains("resnet110/stage1/block1/shortcut/kernel"), "same shape: identity shortcut");
      assertFalse(names.contains("resnet110/stage4/block1/conv1/kernel"), "three stages");
      // the stem's BN, two per block, one per projection (stages 2 and 3); two moving statistics each
      assertEquals((1 + 2 * 3 * 18 + 2) * 2, net.nonTrainableVariables().size());
      Variable<?> classifier = net.trainableVariables().get(net.trainableVariables().size() - 2);
      assertEquals("resnet110/classifier/kernel", classifier.op().name());
      assertEquals(Shape.of(64, 10), classifier.shape());
      for (float v : fetch(s, net, true, logits)) {
        assertTrue(Float.isFinite(v));
      }
    }
  }

  @Test
  void dcganGeneratorAndCriticAreSiblings() {
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Network<TFloat32> generator = Network.create(g, "generator", Init.XAVIER_NORMAL, 1);
      Network<TFloat32> criticNet = generator.sibling("critic");
      Random random = new Random(3);
      float[] z = new float[2 * Dcgan.LATENT];
      for (int i = 0; i < z.length; i++) {
        z[i] = (float) random.nextGaussian();
      }
      Operand<TFloat32> fake =
          Dcgan.generator(generator, generator.tf().constant(Shape.of(2, Dcgan.LATENT), DataBuffers.of(z, true, false)),
              8);
      Dcgan.Critic<TFloat32> critic = new Dcgan.Critic<>(criticNet, 8, 3, 32, Dcgan.Activation.LEAKY_RELU);
      Dcgan.WganGpLosses<TFloat32> losses =
          Dcgan.wganGp(criticNet.scope("loss"), critic, images(criticNet, 2, 4), fake, 10);
      s.initialize();
      assertArrayEquals(new long[] {2, 32, 32, 3}, shapeOf(s, generator, fake));
      for (float v : fetch(s, generator, true, fake)) {
        assertTrue(v >= -1 && v <= 1, "tanh output");
      }
      assertArrayEquals(new long[] {2}, shapeOf(s, generator, losses.critic()));
      assertArrayEquals(new long[] {2}, shapeOf(s, generator, losses.generator()));
      Set<String> generatorNames = variableNames(generator);
      Set<String> criticNames = variableNames(criticNet);
      assertTrue(generatorNames.stream().allMatch(n -> n.startsWith("generator/")), generatorNames.toString());
      assertTrue(criticNames.stream().allMatch(n -> n.startsWith("critic/")), criticNames.toString());
      assertTrue(criticNet.updates().isEmpty(), "the critic has no batch norm");
      assertEquals(6, generator.updates().size(), "three batch norms, two moving statistics each");
      // the critic's parameters: three 5x5 convs + biases, then 4*4*32 -> 1
      long criticParameters =
          (5 * 5 * 3 * 8 + 8) + (5 * 5 * 8 * 16 + 16) + (5 * 5 * 16 * 32 + 32) + (4 * 4 * 32 + 1);
      assertEquals(criticParameters, criticNet.parameterCount());
    }
  }

  /** The paper's generator: z (128) -> 4x4x512, so its projection has 128 * 8192 + 8192 parameters. */
  @Test
  void dcganPaperSizes() {
    try (Graph g = new Graph()) {
      Network<TFloat32> generator = Network.create(g, "generator", Init.XAVIER_NORMAL, 1);
      Dcgan.generator(generator, generator.tf().zeros(generator.tf().constant(new int[] {1, 128}), TFloat32.class),
          128);
      Variable<TFloat32> projection = generator.trainableVariables().get(0);
      assertEquals("generator/project/kernel", projection.op().name());
      assertEquals(Shape.of(128, 4 * 4 * 512), projection.shape());
    }
  }

  private static Operand<TInt32> tokens(Network<?> net, int[][] ids) {
    return net.tf().constant(ids);
  }

  /**
   * Running a window of 6 tokens equals running two windows of 3 with the first window's final states fed as the
   * second window's initial states (inference mode: no dropout).
   */
  @Test
  void lstmCarriesStateAcrossWindows() {
    int[][] ids = {{1, 5, 7, 2, 9, 3}, {4, 4, 0, 11, 6, 8}};
    int vocabulary = 12;
    float[] whole;
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Network<TFloat32> net = Network.create(g, "lm", Init.XAVIER_UNIFORM, 4);
      LstmLanguageModel.Model<TFloat32> model =
          LstmLanguageModel.build(net, tokens(net, ids), vocabulary, 8, 2, 0.65);
      s.initialize();
      assertArrayEquals(new long[] {2, 6, vocabulary}, shapeOf(s, net, model.logits()));
      assertEquals(4, model.finalStates().size());
      for (Operand<TFloat32> state : model.finalStates()) {
        assertArrayEquals(new long[] {2, 8}, shapeOf(s, net, state));
      }
      assertTrue(variableNames(net).contains("lm/lstm2/kernel"));
      assertEquals("lm/embedding/table", model.embedding().op().name());
      whole = fetch(s, net, false, model.logits());
    }
    int[][] first = new int[2][];
    int[][] second = new int[2][];
    for (int b = 0; b < 2; b++) {
      first[b] = java.util.Arrays.copyOfRange(ids[b], 0, 3);
      second[b] = java.util.Arrays.copyOfRange(ids[b], 3, 6);
    }
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Network<TFloat32> net = Network.create(g, "lm", Init.XAVIER_UNIFORM, 4);
      org.tensorflow.op.core.Placeholder<TInt32> input =
          net.tf().placeholder(TInt32.class, org.tensorflow.op.core.Placeholder.shape(Shape.of(2, 3)));
      LstmLanguageModel.Model<TFloat32> model = LstmLanguageModel.build(net, input, vocabulary, 8, 2, 0.65);
      s.initialize();
      List<Tensor> carried = new ArrayList<>();
      float[] firstLogits;
      try (TInt32 window = TInt32.tensorOf(org.tensorflow.ndarray.StdArrays.ndCopyOf(first))) {
        Session.Runner runner = s.runner().feed(input, window).fetch(model.logits());
        model.finalStates().forEach(runner::fetch);
        Result r = runner.run();
        firstLogits = floats(r.get(0));
        for (int i = 1; i < r.size(); i++) {
          carried.add(r.get(i));
        }
      }
      float[] secondLogits;
      try (TInt32 window = TInt32.tensorOf(org.tensorflow.ndarray.StdArrays.ndCopyOf(second))) {
        Session.Runner runner = s.runner().feed(input, window);
        for (int i = 0; i < carried.size(); i++) {
          runner.feed(model.initialStates().get(i), carried.get(i));
        }
        try (Result r = runner.fetch(model.logits()).run()) {
          secondLogits = floats(r.get(0));
        }
      }
      carried.forEach(Tensor::close);
      for (int b = 0; b < 2; b++) {
        for (int t = 0; t < 6; t++) {
          float[] part = t < 3 ? firstLogits : secondLogits;
          for (int v = 0; v < vocabulary; v++) {
            float expected = whole[(b * 6 + t) * vocabulary + v];
            float actual = part[(b * 3 + t % 3) * vocabulary + v];
            assertEquals(expected, actual, 1e-5f, "logit b=" + b + " t=" + t + " v=" + v);
          }
        }
      }
    }
  }

  /** Changing the token at position 4 leaves the logits at positions 0..3 unchanged and changes position 4's. */
  @Test
  void transformerIsCausal() {
    int vocabulary = 10;
    try (Graph g = new Graph();
        Session s = new Session(g)) {
      Network<TFloat32> net = Network.create(g, "transformer", Init.XAVIER_UNIFORM, 5);
      org.tensorflow.op.core.Placeholder<TInt32> input =
          net.tf().placeholder(TInt32.class, org.tensorflow.op.core.Placeholder.shape(Shape.of(1, 6)));
      Operand<TFloat32> logits = TransformerLanguageModel.build(net, input, vocabulary, 8, 2, 2, 0.1);
      s.initialize();
      float[] a = logitsFor(s, input, logits, new int[][] {{1, 2, 3, 4, 5, 6}});
      float[] b = logitsFor(s, input, logits, new int[][] {{1, 2, 3, 4, 9, 6}});
      assertEquals(6 * vocabulary, a.length);
      for (int i = 0; i < 4 * vocabulary; i++) {
        assertEquals(a[i], b[i], 1e-6f, "logit " + i + " must not see a later token");
      }
      boolean changed = false;
      for (int i = 4 * vocabulary; i < 5 * vocabulary; i++) {
        changed |= Math.abs(a[i] - b[i]) > 1e-4;
      }
      assertTrue(changed, "position 4 sees its own token");
      Set<String> names = variableNames(net);
      assertTrue(names.contains("transformer/block2/attention/query/kernel"), names.toString());
    }
  }

  private static float[] logitsFor(
      Session s, org.tensorflow.op.core.Placeholder<TInt32> input, Operand<TFloat32> logits, int[][] ids) {
    try (TInt32 t = TInt32.tensorOf(org.tensorflow.ndarray.StdArrays.ndCopyOf(ids));
        Result r = s.runner().feed(input, t).fetch(logits).run()) {
      return floats(r.get(0));
    }
  }
}
