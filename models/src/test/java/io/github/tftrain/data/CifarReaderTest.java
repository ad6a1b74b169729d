package io.github.tftrain.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.tftrain.data.CifarReader.Variant;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CIFAR readers on the CIFAR-10 copy of the Fashion-MNIST subset, a CIFAR-100 file made here, and corruptions. */
class CifarReaderTest {

  /** The CIFAR-10 copy (written by testdata's Python script) equals the IDX images padded to 32x32 RGB. */
  @Test
  void cifar10CopyMatchesTheIdxImages() throws IOException {
    ImageDataset cifar = CifarReader.read(TestData.dir("fashion-mnist-cifar10"), Variant.CIFAR10, "train");
    ImageDataset idx = IdxReader.readSplit(TestData.dir("fashion-mnist"), "train", 10).padTo(32, 32).toRgb();
    assertEquals(2000, cifar.count());
    assertEquals(10, cifar.classes());
    assertEquals(idx.count(), cifar.count());
    for (int i = 0; i < idx.count(); i += 37) {
      assertEquals(idx.label(i), cifar.label(i), "label " + i);
      for (int r = 0; r < 32; r++) {
        for (int c = 0; c < 32; c++) {
          for (int k = 0; k < 3; k++) {
            assertEquals(idx.pixel(i, r, c, k), cifar.pixel(i, r, c, k), "image " + i + " at " + r + "," + c);
          }
        }
      }
    }
    ImageDataset test = CifarReader.read(TestData.dir("fashion-mnist-cifar10"), Variant.CIFAR10, "test");
    assertEquals(500, test.count());
    assertEquals(9, test.label(0));
  }

  /** CIFAR-100 records carry coarse then fine label; channels are planar. */
  @Test
  void cifar100UsesTheFineLabel(@TempDir Path dir) throws IOException {
    byte[] record = new byte[3074];
    record[0] = 3; // coarse
    record[1] = 42; // fine
    record[2] = 10; // red plane, pixel (0, 0)
    record[2 + 1024 + 33] = 20; // green plane, pixel (1, 1)
    record[2 + 2048 + 1023] = (byte) 250; // blue plane, pixel (31, 31)
    Files.write(dir.resolve("train.bin"), concat(record, record));
    Files.write(dir.resolve("test.bin"), record);
    ImageDataset train = CifarReader.read(dir, Variant.CIFAR100, "train");
    assertEquals(2, train.count());
    assertEquals(100, train.classes());
    assertEquals(42, train.label(1));
    assertEquals(10, train.pixel(1, 0, 0, 0));
    assertEquals(20, train.pixel(1, 1, 1, 1));
    assertEquals(250, train.pixel(1, 31, 31, 2));
    assertEquals(0, train.pixel(1, 31, 31, 0));

    record[1] = 100;
    Files.write(dir.resolve("test.bin"), concat(new byte[3074], record));
    DataFormatException label =
        assertThrows(DataFormatException.class, () -> CifarReader.read(dir, Variant.CIFAR100, "test"));
    assertEquals(dir.resolve("test.bin") + ": record 1 (byte offset 3074) has label 100, outside [0, 100)",
        label.getMessage());
  }

  @Test
  void reportsCorruptAndMissingFiles(@TempDir Path dir) throws IOException {
    Path source = TestData.dir("fashion-mnist-cifar10");
    for (String name : Variant.CIFAR10.files("train")) {
      Files.copy(source.resolve(name), dir.resolve(name));
    }
    byte[] batch = Files.readAllBytes(dir.resolve("data_batch_3.bin"));
    Files.write(dir.resolve("data_batch_3.bin"), Arrays.copyOf(batch, batch.length - 100));
    DataFormatException truncated =
        assertThrows(DataFormatException.class, () -> CifarReader.read(dir, Variant.CIFAR10, "train"));
    assertEquals(dir.resolve("data_batch_3.bin") + ": 1229100 bytes is not a whole number of 3073-byte records: "
        + "record 399 is cut off at byte offset 1229100 (it starts at 1226127)", truncated.getMessage());

    batch[3073 * 5] = 12;
    Files.write(dir.resolve("data_batch_3.bin"), batch);
    DataFormatException label =
        assertThrows(DataFormatException.class, () -> CifarReader.read(dir, Variant.CIFAR10, "train"));
    assertEquals(dir.resolve("data_batch_3.bin") + ": record 5 (byte offset 15365) has label 12, outside [0, 10)",
        label.getMessage());

    Files.delete(dir.resolve("data_batch_2.bin"));
    DataFormatException missing =
        assertThrows(DataFormatException.class, () -> CifarReader.read(dir, Variant.CIFAR10, "train"));
    assertEquals(dir + ": missing data_batch_2.bin of the CIFAR10 train split (expected data_batch_1.bin, "
        + "data_batch_2.bin, data_batch_3.bin, data_batch_4.bin, data_batch_5.bin)", missing.getMessage());

    Files.write(dir.resolve("test_batch.bin"), new byte[0]);
    DataFormatException empty =
        assertThrows(DataFormatException.class, () -> CifarReader.read(dir, Variant.CIFAR10, "test"));
    assertEquals(dir.resolve("test_batch.bin") + ": empty file", empty.getMessage());
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
