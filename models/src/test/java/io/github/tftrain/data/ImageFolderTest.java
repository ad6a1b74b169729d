package io.github.tftrain.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Format detection, and the same Fashion-MNIST images read from the IDX and the CIFAR-10 layout copies. */
class ImageFolderTest {
  @Test
  void detectsAndReadsBothTestdataLayouts() throws IOException {
    Path idx = TestData.dir("fashion-mnist");
    Path cifar = TestData.dir("fashion-mnist-cifar10");
    assertEquals(ImageFolder.Format.IDX, ImageFolder.detect(idx));
    assertEquals(ImageFolder.Format.CIFAR10, ImageFolder.detect(cifar));
    ImageDataset fromIdx = ImageFolder.read(idx, "train");
    ImageDataset fromCifar = ImageFolder.read(cifar, "train");
    assertEquals(32, fromIdx.height());
    assertEquals(3, fromIdx.channels());
    assertEquals(fromCifar.count(), fromIdx.count());
    // the CIFAR-layout copy holds the same images, padded and repeated the same way
    for (int i : new int[] {0, 777, 1999}) {
      assertEquals(fromIdx.label(i), fromCifar.label(i));
      for (int row = 0; row < 32; row += 5) {
        for (int column = 0; column < 32; column += 3) {
          for (int c = 0; c < 3; c++) {
            assertEquals(fromIdx.pixel(i, row, column, c), fromCifar.pixel(i, row, column, c));
          }
        }
      }
    }
    assertEquals(500, ImageFolder.read(idx, "test").count());
    assertEquals(500, ImageFolder.read(cifar, "test").count());
  }

  @Test
  void namesWhatItLookedFor(@TempDir Path empty) throws IOException {
    DataFormatException e = assertThrows(DataFormatException.class, () -> ImageFolder.read(empty, "train"));
    assertEquals(
        empty + ": no image dataset; expected data_batch_1.bin (CIFAR-10 binary), train.bin (CIFAR-100 binary), "
            + "train-images-idx3-ubyte[.gz] (IDX: MNIST, Fashion-MNIST) or train/CLASS/IMAGE files (image folders)",
        e.getMessage());
    Path file = Files.writeString(empty.resolve("x.txt"), "x");
    assertEquals(file + ": not a folder",
        assertThrows(DataFormatException.class, () -> ImageFolder.detect(file)).getMessage());
    assertThrows(IllegalArgumentException.class, () -> ImageFolder.read(TestData.dir("fashion-mnist"), "valid"));
  }
}
