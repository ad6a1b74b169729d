package io.github.tftrain.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The IDX reader on the Fashion-MNIST subset and on corrupted copies (expected values computed in Python). */
class IdxReaderTest {

  @Test
  void readsTheFashionMnistSubset() throws IOException {
    ImageDataset train = IdxReader.readSplit(TestData.dir("fashion-mnist"), "train", 10);
    assertEquals(2000, train.count());
    assertEquals(28, train.height());
    assertEquals(28, train.width());
    assertEquals(1, train.channels());
    assertEquals(9, train.label(0)); // the first Fashion-MNIST image is an ankle boot
    int[] counts = new int[10];
    for (int label : train.labels()) {
      counts[label]++;
    }
    assertArrayEquals(new int[] {194, 216, 202, 195, 186, 200, 194, 215, 198, 200}, counts);
    assertEquals(76247, pixelSum(train, 0));
    assertEquals(49119, pixelSum(train, 1999));
    ImageDataset test = IdxReader.readSplit(TestData.dir("fashion-mnist"), "t10k", 10);
    assertEquals(500, test.count());
    assertEquals(9, test.label(0));
  }

  @Test
  void padsAndRepeatsChannelsForTheCifarModels() throws IOException {
    ImageDataset train = IdxReader.readSplit(TestData.dir("fashion-mnist"), "train", 10);
    ImageDataset padded = train.padTo(32, 32).toRgb();
    assertEquals(32, padded.height());
    assertEquals(3, padded.channels());
    assertEquals(3 * 76247, pixelSum(padded, 0));
    for (int c = 0; c < 3; c++) {
      assertEquals(0, padded.pixel(0, 0, 0, c));
      assertEquals(0, padded.pixel(0, 1, 31, c));
      assertEquals(train.pixel(0, 13, 14, 0), padded.pixel(0, 15, 16, c));
    }
  }

  @Test
  void readsRawFilesToo(@TempDir Path dir) throws IOException {
    write(dir.resolve("train-images-idx3-ubyte"), idx(2051, new int[] {2, 2, 2}, new byte[] {1, 2, 3, 4, 5, 6, 7, 8}),
        false);
    write(dir.resolve("train-labels-idx1-ubyte"), idx(2049, new int[] {2}, new byte[] {3, 7}), false);
    ImageDataset data = IdxReader.readSplit(dir, "train", 10);
    assertEquals(2, data.count());
    assertEquals(7, data.label(1));
    assertEquals(8, data.pixel(1, 1, 1, 0));
  }

  @Test
  void reportsCorruptFilesByFileAndOffset(@TempDir Path dir) throws IOException {
    Path images = dir.resolve("train-images-idx3-ubyte.gz");
    Path labels = dir.resolve("train-labels-idx1-ubyte.gz");
    byte[] pixels = new byte[3 * 4];
    write(labels, idx(2049, new int[] {3}, new byte[] {0, 1, 2}), true);

    write(images, idx(2051, new int[] {3, 2, 2}, java.util.Arrays.copyOf(pixels, 10)), true);
    assertMessage(dir, images + ": truncated: the header declares 3 images (28 bytes) but the data ends at byte "
        + "offset 26, inside image record 2");

    write(images, idx(2051, new int[] {3, 2, 2}, java.util.Arrays.copyOf(pixels, 13)), true);
    assertMessage(dir, images + ": 1 bytes after the 3 images the header declares (from byte offset 28)");

    write(images, idx(2049, new int[] {3, 2, 2}, pixels), true);
    assertMessage(dir, images + ": IDX magic number 2049 (a labels file), expected 2051 for images");

    write(images, idx(2051, new int[] {3, 2, 2}, pixels), true);
    write(labels, idx(2049, new int[] {3}, new byte[] {0, 10, 2}), true);
    assertMessage(dir, labels + ": record 1 (byte offset 9) has label 10, outside [0, 10)");

    write(labels, idx(2049, new int[] {2}, new byte[] {0, 1}), true);
    assertMessage(dir, labels + ": 2 labels for the 3 images of train-images-idx3-ubyte.gz");

    Files.write(images, new byte[] {0x1f, (byte) 0x8b, 8, 0, 0});
    assertMessage(dir, images + ": truncated gzip data");

    Files.delete(images);
    assertMessage(dir, dir + ": missing train images; expected one of: train-images-idx3-ubyte.gz, "
        + "train-images-idx3-ubyte");
  }

  private static void assertMessage(Path dir, String message) {
    DataFormatException e = assertThrows(DataFormatException.class, () -> IdxReader.readSplit(dir, "train", 10));
    assertEquals(message, e.getMessage());
  }

  static int pixelSum(ImageDataset data, int index) {
    int sum = 0;
    for (int r = 0; r < data.height(); r++) {
      for (int c = 0; c < data.width(); c++) {
        for (int k = 0; k < data.channels(); k++) {
          sum += data.pixel(index, r, c, k);
        }
      }
    }
    return sum;
  }

  static byte[] idx(int magic, int[] dims, byte[] payload) {
    byte[] out = new byte[4 + 4 * dims.length + payload.length];
    putInt(out, 0, magic);
    for (int i = 0; i < dims.length; i++) {
      putInt(out, 4 + 4 * i, dims[i]);
    }
    System.arraycopy(payload, 0, out, 4 + 4 * dims.length, payload.length);
    return out;
  }

  private static void putInt(byte[] out, int at, int v) {
    out[at] = (byte) (v >>> 24);
    out[at + 1] = (byte) (v >>> 16);
    out[at + 2] = (byte) (v >>> 8);
    out[at + 3] = (byte) v;
  }

  static void write(Path file, byte[] content, boolean gzip) throws IOException {
    try (OutputStream out = gzip ? new GZIPOutputStream(Files.newOutputStream(file)) : Files.newOutputStream(file)) {
      out.write(content);
    }
  }
}
