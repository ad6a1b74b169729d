package io.github.tftrain.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Image and token batching: coverage, determinism, augmentation semantics, normalisation. */
class BatchesTest {

  private static ImageDataset fashion() throws IOException {
    return IdxReader.readSplit(TestData.dir("fashion-mnist"), "train", 10).padTo(32, 32).toRgb();
  }

  @Test
  void everyImageOncePerEpochInASeededOrder() throws IOException {
    ImageDataset data = fashion();
    ImageBatches batches = ImageBatches.of(data).batchSize(300).shuffle(true).seed(7).build();
    assertEquals(7, batches.batchesPerEpoch());
    List<Integer> labelsSeen = new ArrayList<>();
    try (ImageBatches.Epoch epoch = batches.epoch(0)) {
      while (epoch.hasNext()) {
        for (int label : epoch.next().labels()) {
          labelsSeen.add(label);
        }
      }
    }
    assertEquals(2000, labelsSeen.size());
    int[] counts = new int[10];
    labelsSeen.forEach(l -> counts[l]++);
    assertArrayEquals(new int[] {194, 216, 202, 195, 186, 200, 194, 215, 198, 200}, counts);
    ImageBatches again = ImageBatches.of(data).batchSize(300).shuffle(true).seed(7).build();
    assertArrayEquals(first(batches, 3).images(), first(again, 3).images(), 0f);
    assertNotEquals(Arrays.toString(first(batches, 3).labels()), Arrays.toString(first(batches, 4).labels()));
  }

  @Test
  void normalisesToZeroMeanAndUnitVariancePerChannel() throws IOException {
    ImageDataset data = fashion();
    ChannelStats stats = ChannelStats.of(data);
    ImageBatches batches = ImageBatches.of(data).batchSize(500).build();
    double[] sum = new double[3];
    double[] squares = new double[3];
    long n = 0;
    try (ImageBatches.Epoch epoch = batches.epoch(0)) {
      while (epoch.hasNext()) {
        float[] images = epoch.next().images();
        for (int i = 0; i < images.length; i++) {
          sum[i % 3] += images[i];
          squares[i % 3] += images[i] * images[i];
        }
        n += images.length / 3;
      }
    }
    for (int c = 0; c < 3; c++) {
      assertEquals(0, sum[c] / n, 1e-5, "mean of channel " + c);
      assertEquals(1, squares[c] / n, 1e-4, "variance of channel " + c);
    }
    // The padded grey images' statistics (Python over the 28x28 subset gives mean 0.28394 of its pixels; the 32x32
    // canvas adds black pixels: 0.28394 x 784/1024).
    assertEquals(0.283938292817 * 784 / 1024, stats.mean(0), 1e-9);
  }

  /** Each augmented image is its source shifted by (dy, dx) in [-4, 4] on a black canvas, maybe flipped. */
  @Test
  void augmentationIsACropOfThePaddedImageAndAFlip() throws IOException {
    ImageDataset data = fashion().head(64);
    ChannelStats identity = new ChannelStats(new double[] {0, 0, 0}, new double[] {1 / 255.0, 1 / 255.0, 1 / 255.0});
    ImageBatches plain = ImageBatches.of(data).batchSize(64).stats(identity).build();
    ImageBatches augmented = ImageBatches.of(data).batchSize(64).stats(identity).augment(true).seed(3).build();
    ImageBatches.Batch original = first(plain, 0);
    ImageBatches.Batch moved = first(augmented, 0);
    int changed = 0;
    for (int i = 0; i < 64; i++) {
      boolean found = false;
      for (int dy = -4; dy <= 4 && !found; dy++) {
        for (int dx = -4; dx <= 4 && !found; dx++) {
          for (boolean flip : new boolean[] {false, true}) {
            if (matches(original.images(), moved.images(), i, dy, dx, flip)) {
              found = true;
              changed += (dy != 0 || dx != 0 || flip) ? 1 : 0;
              break;
            }
          }
        }
      }
      assertTrue(found, "image " + i + " is no crop/flip of its source");
    }
    assertTrue(changed > 50, "most images moved: " + changed);
  }

  private static boolean matches(float[] source, float[] moved, int i, int dy, int dx, boolean flip) {
    for (int r = 0; r < 32; r++) {
      for (int c = 0; c < 32; c++) {
        int sr = r + dy;
        int sc = (flip ? 31 - c : c) + dx;
        float expected = sr >= 0 && sr < 32 && sc >= 0 && sc < 32 ? source[((i * 32 + sr) * 32 + sc) * 3] : 0f;
        if (moved[((i * 32 + r) * 32 + c) * 3] != expected) {
          return false;
        }
      }
    }
    return true;
  }

  private static ImageBatches.Batch first(ImageBatches batches, int epoch) {
    try (ImageBatches.Epoch e = batches.epoch(epoch)) {
      return e.next();
    }
  }

  /** Rows are contiguous streams; windows continue them; targets are the next tokens. */
  @Test
  void tokenWindowsByHand() {
    int[] tokens = new int[21];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = i;
    }
    TokenBatches batches = new TokenBatches(tokens, 2, 3);
    assertEquals(3, batches.windows()); // rows 0..9 and 10..19; (10 - 1) / 3 windows
    assertArrayEquals(new int[] {0, 1, 2, 10, 11, 12}, batches.inputs(0));
    assertArrayEquals(new int[] {1, 2, 3, 11, 12, 13}, batches.targets(0));
    assertArrayEquals(new int[] {6, 7, 8, 16, 17, 18}, batches.inputs(2));
    assertArrayEquals(new int[] {7, 8, 9, 17, 18, 19}, batches.targets(2));
    assertEquals(18, batches.tokensUsed());
    assertThrows(IllegalArgumentException.class, () -> new TokenBatches(tokens, 10, 3));
  }
}
