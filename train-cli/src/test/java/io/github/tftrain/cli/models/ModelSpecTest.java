package io.github.tftrain.cli.models;

import static io.github.tftrain.cli.models.Fixtures.settings;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.tftrain.data.ImageBatches;
import io.github.tftrain.models.CifarResNet;
import io.github.tftrain.models.Init;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/** The CLI's model names resolve to the architectures they promise, and the classifier task builds them. */
class ModelSpecTest {

  @Test
  void resnet110IsNamed() {
    ModelSpec spec = ModelSpec.parse(" ResNet110 ");
    ModelSpec.ImageClassifier classifier = assertInstanceOf(ModelSpec.ImageClassifier.class, spec);
    assertEquals("resnet110", classifier.name());
    assertEquals(CifarResNet.Architecture.RESNET110, classifier.resnet());
    assertFalse(classifier.isWideResNet());
    assertTrue(ModelSpec.names().contains("resnet110"), ModelSpec.names().toString());
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> ModelSpec.parse("resnet11"));
    assertTrue(unknown.getMessage().contains("resnet110"), unknown.getMessage());
  }

  /**
   * {@code ImageClassifierTask} builds ResNet-110 with the parameter count of the architecture and 10-class logits,
   * and one training step on a real batch runs. The count, by hand: stem 3·3·3·16 + BN 2·16; 18 blocks of two 3x3
   * convolutions and two BNs per stage; the first blocks of stages 2 and 3 take 16 (32) inputs and add a 1x1
   * projection and its BN; a 64 → 10 classifier with bias.
   */
  @Test
  void classifierTaskBuildsResnet110() {
    long stem = 27 * 16 + 32;
    long stage1 = 18 * (2 * 9 * 16 * 16 + 4 * 16);
    long stage2 = (9 * 16 * 32 + 9 * 32 * 32 + 4 * 32 + 16 * 32 + 2 * 32) + 17 * (2 * 9 * 32 * 32 + 4 * 32);
    long stage3 = (9 * 32 * 64 + 9 * 64 * 64 + 4 * 64 + 32 * 64 + 2 * 64) + 17 * (2 * 9 * 64 * 64 + 4 * 64);
    long expected = stem + stage1 + stage2 + stage3 + 64 * 10 + 10;
    ImageBatches.Batch batch = Fixtures.imageBatch(4, null);
    try (Graph g = new Graph();
        Session s = new Session(g);
        TFloat32 images = batch.imagesTensor();
        TInt32 labels = batch.labelsTensor()) {
      ImageClassifierTask task =
          ImageClassifierTask.build(g, (ModelSpec.ImageClassifier) ModelSpec.parse("resnet110"), 32, 32, 3, 10,
              Init.KAIMING_UNIFORM, 1, 0, OptimizerFactory.of("sgd", settings("lr", "0.01")));
      assertEquals(expected, task.network().parameterCount());
      assertEquals(1_730_714, task.network().parameterCount());
      s.initialize();
      double loss = task.trainStep(s, images, labels, 0);
      assertTrue(Double.isFinite(loss), "loss " + loss);
      try (Result r = s.runner().feed(task.images(), images).fetch(task.logits()).run()) {
        assertArrayEquals(new long[] {4, 10}, r.get(0).shape().asArray());
      }
    }
    try (Graph g = new Graph()) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class,
              () -> ImageClassifierTask.build(g, (ModelSpec.ImageClassifier) ModelSpec.parse("resnet110"), 32, 32, 3,
                  10, Init.KAIMING_UNIFORM, 1, 0.3, OptimizerFactory.of("sgd", settings())));
      assertEquals("resnet110 has no dropout layers; dropout must be 0, got 0.3", e.getMessage());
    }
  }
}
