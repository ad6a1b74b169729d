package io.github.tftrain.optimizers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * Two optimizers on disjoint layers of one MLP whose updates run in the same {@code Session.run}: built as one
 * {@link TrainStep}, every write of either waits for every read of the model's weights (the defect: KaFiStO
 * on layer 1 and Apollo on layer 2 gave a different loss every run, because one optimizer's writes raced the other's
 * backward pass).
 */
class TrainStepTest {
  private static final int BATCH = 16;

  /** The MLP x [16,3] → tanh(x W1 + b1) [16,4] → h W2 + b2 [16,2], per-example squared error. */
  private static final class Mlp {
    final Graph graph = new Graph();
    final Ops tf = Ops.create(graph);
    final List<Variable<TFloat32>> layer1 = new ArrayList<>();
    final List<Variable<TFloat32>> layer2 = new ArrayList<>();
    final Operand<TFloat32> loss;

    Mlp() {
      Random random = new Random(7);
      Operand<TFloat32> x = constant(random, BATCH, 3);
      Operand<TFloat32> y = constant(random, BATCH, 2);
      Ops init = tf.withInitScope();
      layer1.add(tf.withName("w1").variable(init.constant(Shape.of(3, 4), values(random, 12))));
      layer1.add(tf.withName("b1").variable(init.constant(Shape.of(4), values(random, 4))));
      layer2.add(tf.withName("w2").variable(init.constant(Shape.of(4, 2), values(random, 8))));
      layer2.add(tf.withName("b2").variable(init.constant(Shape.of(2), values(random, 2))));
      Operand<TFloat32> h =
          tf.math.tanh(
              tf.math.add(tf.linalg.matMul(x, tf.identity(layer1.get(0))), tf.identity(layer1.get(1))));
      Operand<TFloat32> out =
          tf.math.add(tf.linalg.matMul(h, tf.identity(layer2.get(0))), tf.identity(layer2.get(1)));
      loss = tf.sum(tf.math.square(tf.math.sub(out, y)), tf.constant(1));
    }

    Operand<TFloat32> constant(Random random, int rows, int cols) {
      return tf.constant(Shape.of(rows, cols), values(random, rows * cols));
    }

    static org.tensorflow.ndarray.buffer.FloatDataBuffer values(Random random, int n) {
      float[] v = new float[n];
      for (int i = 0; i < n; i++) {
        v[i] = (float) random.nextGaussian();
      }
      return DataBuffers.of(v, true, false);
    }

    List<Variable<?>> all() {
      List<Variable<?>> all = new ArrayList<>(layer1);
      all.addAll(layer2);
      return all;
    }

    List<double[]> train(Op train, int steps) {
      try (Session s = new Session(graph)) {
        s.initialize();
        for (int i = 0; i < steps; i++) {
          s.run(train);
        }
        List<double[]> out = new ArrayList<>();
        for (Variable<?> v : all()) {
          out.add(TensorValues.read(s, v));
        }
        return out;
      }
    }
  }

  private static Op kafistoAndApollo(Mlp mlp) {
    Kafisto kafisto = Kafisto.builder().build(mlp.graph);
    Apollo apollo = Apollo.builder().warmup(0).lr(0.05).build(mlp.graph);
    return TrainStep.of(mlp.loss).add(kafisto, mlp.layer1).add(apollo, mlp.layer2).build();
  }

  @Test
  void everyWriteOfEitherOptimizerWaitsForEveryReadOfTheModel() {
    Mlp mlp = new Mlp();
    try (mlp.graph) {
      GraphOperation train = (GraphOperation) kafistoAndApollo(mlp).op();
      Set<String> modelVariables = new HashSet<>();
      mlp.all().forEach(v -> modelVariables.add(v.op().name()));
      List<GraphOperation> readers = new ArrayList<>();
      List<GraphOperation> writes = new ArrayList<>();
      for (Iterator<GraphOperation> it = mlp.graph.operations(); it.hasNext(); ) {
        GraphOperation op = it.next();
        boolean write = op.type().startsWith("Assign") || op.type().startsWith("Apply")
            || op.type().startsWith("Tftrain");
        if (mlp.graph.isInitializer(op)) {
          continue;
        }
        if (write && (op.name().startsWith("kafisto/") || op.name().startsWith("apollo/"))) {
          writes.add(op);
        } else if (op.type().equals("Identity") && op.numInputs() == 1
            && modelVariables.contains(op.input(0).op().name())) {
          for (Iterator<GraphOperation> c = mlp.graph.operations(); c.hasNext(); ) {
            GraphOperation consumer = c.next();
            for (Operand<?> input : consumer.inputs()) {
              // Only readers the train op runs: TF also builds gradients nobody needs (d loss / d inputs).
              if (input.op().equals(op) && reaches(train, consumer)) {
                readers.add(consumer);
              }
            }
          }
        }
      }
      assertTrue(writes.size() >= 4 && readers.size() >= 5, writes.size() + " writes, " + readers.size() + " readers");
      for (GraphOperation write : writes) {
        for (GraphOperation reader : readers) {
          assertTrue(
              reaches(write, reader),
              write.name() + " (" + write.type() + ") does not wait for " + reader.name() + " (" + reader.type() + ")");
        }
      }
    }
  }

  @Test
  void kafistoAndApolloInOneRunAreRepeatable() {
    List<double[]> first = null;
    for (int run = 0; run < 4; run++) {
      Mlp mlp = new Mlp();
      try (mlp.graph) {
        List<double[]> values = mlp.train(kafistoAndApollo(mlp), 30);
        if (first == null) {
          first = values;
        } else {
          for (int i = 0; i < first.size(); i++) {
            assertArrayEquals(first.get(i), values.get(i), 0.0, "run " + run + ", variable " + i);
          }
        }
      }
    }
  }

  /** Two SGDs with the same rate on the two layers take exactly the step one SGD takes on all variables. */
  @Test
  void twoOptimizersTakeTheJointStep() {
    BiFunction<Mlp, Boolean, Op> build =
        (mlp, split) -> {
          if (!split) {
            return Sgd.builder().lr(0.02).momentum(0.9).build(mlp.graph).minimize(mlp.loss, mlp.all());
          }
          Sgd first = Sgd.builder().lr(0.02).momentum(0.9).build(mlp.graph);
          Sgd second = Sgd.builder().lr(0.02).momentum(0.9).build(mlp.graph);
          return TrainStep.of(mlp.loss).add(first, mlp.layer1).add(second, mlp.layer2).build();
        };
    Mlp joint = new Mlp();
    Mlp split = new Mlp();
    try (joint.graph;
        split.graph) {
      List<double[]> expected = joint.train(build.apply(joint, false), 25);
      List<double[]> actual = split.train(build.apply(split, true), 25);
      for (int i = 0; i < expected.size(); i++) {
        assertArrayEquals(expected.get(i), actual.get(i), 0.0, "variable " + i);
      }
    }
  }

  @Test
  void misuseIsRefused() {
    Mlp mlp = new Mlp();
    try (mlp.graph) {
      Sgd a = new Sgd(mlp.graph);
      Sgd b = new Sgd(mlp.graph);
      IllegalArgumentException twice =
          assertThrows(
              IllegalArgumentException.class,
              () -> TrainStep.of(mlp.loss).add(a, mlp.layer1).add(b, List.of(mlp.layer1.get(0))));
      assertTrue(twice.getMessage().contains("w1"), twice.getMessage());
      Sgd accumulating = Sgd.builder().accumulate(2).build(mlp.graph);
      IllegalArgumentException accumulate =
          assertThrows(
              IllegalArgumentException.class,
              () -> TrainStep.of(mlp.loss).add(a, mlp.layer1).add(accumulating, mlp.layer2).build());
      assertTrue(accumulate.getMessage().contains("accumulate"), accumulate.getMessage());
    }
  }

  private static boolean reaches(GraphOperation op, GraphOperation target) {
    java.util.Deque<GraphOperation> todo = new java.util.ArrayDeque<>(List.of(op));
    Set<GraphOperation> seen = new HashSet<>();
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
}
