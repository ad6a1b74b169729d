package io.github.tftrain.cli.models;

import io.github.tftrain.trainer.NonFiniteStepException;

import static io.github.tftrain.cli.models.Fixtures.settings;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.tftrain.data.ImageBatches;
import io.github.tftrain.models.Init;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * A batch that makes the loss NaN (one NaN pixel) stops the step with {@link NonFiniteStepException} and changes
 * nothing: weights, batch-norm moving statistics, optimizer state and global step keep their exact values, for
 * Adam and KaFiStO (whose native kernel writes in place).
 */
class NonFiniteStepTest {
  @Test
  void aNanBatchChangesNothing() {
    for (String optimizer : List.of("adam", "kafisto")) {
      ImageBatches.Batch batch = Fixtures.imageBatch(4, null);
      float[] poisoned = batch.images().clone();
      poisoned[123] = Float.NaN;
      try (Graph g = new Graph();
          Session s = new Session(g);
          TFloat32 images = batch.imagesTensor();
          TFloat32 bad = TFloat32.tensorOf(Shape.of(4, 32, 32, 3), DataBuffers.of(poisoned, true, false));
          TInt32 labels = batch.labelsTensor()) {
        ImageClassifierTask task =
            ImageClassifierTask.build(g, (ModelSpec.ImageClassifier) ModelSpec.parse("wrn-10-1"), 32, 32, 3, 10,
                Init.KAIMING_UNIFORM, 1, 0, OptimizerFactory.of(optimizer, settings()));
        s.initialize();
        task.trainStep(s, images, labels, 0);
        List<double[]> before = variables(s, g);
        NonFiniteStepException e =
            assertThrows(NonFiniteStepException.class, () -> task.trainStep(s, bad, labels, 1));
        assertEquals("step 1: non-finite loss or gradient (nothing was updated)", e.getMessage());
        List<double[]> after = variables(s, g);
        assertEquals(before.size(), after.size());
        for (int i = 0; i < before.size(); i++) {
          assertArrayEquals(before.get(i), after.get(i), 0.0, optimizer + ": variable " + i + " changed");
        }
        assertTrue(Double.isFinite(task.trainStep(s, images, labels, 1)), "training goes on");
      }
    }
  }

  /** Every variable of the graph (weights, moving statistics, slots, KaFiStO's float64 scalars, steps). */
  private static List<double[]> variables(Session s, Graph g) {
    List<double[]> values = new ArrayList<>();
    g.operations().forEachRemaining(op -> {
      if (op.type().equals("VariableV2")) {
        try (Result r = s.runner().fetch(op.output(0)).run()) {
          var t = r.get(0);
          double[] v = new double[(int) t.shape().size()];
          if (t instanceof TFloat32 f) {
            for (int i = 0; i < v.length; i++) {
              v[i] = f.asRawTensor().data().asFloats().getFloat(i);
            }
          } else if (t instanceof org.tensorflow.types.TFloat64 d) {
            d.asRawTensor().data().asDoubles().read(v);
          } else {
            v[0] = ((org.tensorflow.types.TInt64) t).getLong();
          }
          values.add(v);
        }
      }
    });
    return values;
  }
}
