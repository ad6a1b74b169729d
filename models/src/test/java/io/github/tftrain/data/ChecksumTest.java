package io.github.tftrain.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data checksums that the workers of a data-parallel run compare: equal for the same content read from
 * different folders and files, different when any value, label, name or word differs.
 */
class ChecksumTest {

  /**
   * One 1x2 grey image (pixels 7, 200), label 1 of classes "0", "1". Expected from Python's zlib.crc32 over the
   * layout the javadoc gives: int32 little-endian count, height, width, channels; the class-name count, each name's
   * UTF-8 length and bytes; the pixel count and pixels; the labels.
   */
  @Test
  void anImageDatasetsChecksumIsTheCrc32OfItsDocumentedLayout() {
    ImageDataset one = new ImageDataset("hand", new byte[] {7, (byte) 200}, new int[] {1}, 1, 2, 1, 2);
    assertEquals("8fda520f", one.crc32());
  }

  @Test
  void imagesReadFromGzipAndFromRawFilesHaveOneChecksumThatEveryValueChanges(@TempDir Path dir) throws IOException {
    Path shipped = TestData.dir("fashion-mnist");
    for (String name : List.of("train-images-idx3-ubyte", "train-labels-idx1-ubyte")) {
      try (InputStream in = new GZIPInputStream(Files.newInputStream(shipped.resolve(name + ".gz")))) {
        Files.write(dir.resolve(name), in.readAllBytes());
      }
    }
    ImageDataset gz = IdxReader.readSplit(shipped, "train", 10);
    ImageDataset raw = IdxReader.readSplit(dir, "train", 10);
    assertEquals(gz.crc32(), raw.crc32());

    byte[] labels = Files.readAllBytes(dir.resolve("train-labels-idx1-ubyte"));
    labels[8 + 1234] = (byte) ((labels[8 + 1234] + 1) % 10); // one label
    Files.write(dir.resolve("train-labels-idx1-ubyte"), labels);
    assertNotEquals(gz.crc32(), IdxReader.readSplit(dir, "train", 10).crc32());
    labels[8 + 1234] = (byte) ((labels[8 + 1234] + 9) % 10);
    Files.write(dir.resolve("train-labels-idx1-ubyte"), labels);
    assertEquals(gz.crc32(), IdxReader.readSplit(dir, "train", 10).crc32());

    byte[] images = Files.readAllBytes(dir.resolve("train-images-idx3-ubyte"));
    images[16 + 500 * 784 + 400] ^= 1; // one bit of one pixel
    Files.write(dir.resolve("train-images-idx3-ubyte"), images);
    assertNotEquals(gz.crc32(), IdxReader.readSplit(dir, "train", 10).crc32());

    assertNotEquals(gz.crc32(), gz.head(gz.count() - 1).crc32());
    ImageDataset renamed = new ImageDataset("renamed", new byte[] {7, (byte) 200}, new int[] {1}, 1, 2, 1,
        List.of("0", "x"));
    assertNotEquals(new ImageDataset("hand", new byte[] {7, (byte) 200}, new int[] {1}, 1, 2, 1, 2).crc32(),
        renamed.crc32());
  }

  @Test
  void aCorpusChecksumFollowsItsWordsAndTokens(@TempDir Path dir) throws IOException {
    Path a = Files.createDirectories(dir.resolve("a"));
    Path b = Files.createDirectories(dir.resolve("b"));
    for (Path d : List.of(a, b)) {
      Files.writeString(d.resolve("ptb.train.txt"), " a b a \n c b \n");
      Files.writeString(d.resolve("ptb.valid.txt"), " a c \n");
      Files.writeString(d.resolve("ptb.test.txt"), " b b \n");
    }
    assertEquals(TextCorpus.read(a).crc32(), TextCorpus.read(b).crc32());
    Files.writeString(b.resolve("ptb.test.txt"), " b a \n"); // one held-out token
    assertNotEquals(TextCorpus.read(a).crc32(), TextCorpus.read(b).crc32());
    Files.writeString(b.resolve("ptb.test.txt"), " b b \n");
    Files.writeString(b.resolve("ptb.train.txt"), " a b a \n d b \n"); // another word, the same ids
    Files.writeString(b.resolve("ptb.valid.txt"), " a d \n");
    assertNotEquals(TextCorpus.read(a).crc32(), TextCorpus.read(b).crc32());
  }

  @Test
  void aTableChecksumFollowsItsFeaturesAndLabels() {
    CsvTable table = new CsvTable("t", List.of("x", "y"), new float[][] {{1f, 2f}, {3f, 4f}}, new int[] {0, 1});
    assertEquals(table.crc32(),
        new CsvTable("u", List.of("x", "y"), new float[][] {{1f, 2f}, {3f, 4f}}, new int[] {0, 1}).crc32());
    assertNotEquals(table.crc32(),
        new CsvTable("t", List.of("x", "y"), new float[][] {{1f, 2f}, {3f, Math.nextUp(4f)}}, new int[] {0, 1})
            .crc32());
    assertNotEquals(table.crc32(),
        new CsvTable("t", List.of("x", "y"), new float[][] {{1f, 2f}, {3f, 4f}}, new int[] {1, 1}).crc32());
    assertNotEquals(table.crc32(),
        new CsvTable("t", List.of("x", "z"), new float[][] {{1f, 2f}, {3f, 4f}}, new int[] {0, 1}).crc32());
  }
}
