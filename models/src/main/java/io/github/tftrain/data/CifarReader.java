package io.github.tftrain.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the CIFAR binary versions: CIFAR-10 ({@code data_batch_1.bin} .. {@code data_batch_5.bin},
 * {@code test_batch.bin}; records of 1 label byte + 3,072 pixel bytes) and CIFAR-100 ({@code train.bin},
 * {@code test.bin}; records of a coarse and a fine label byte + 3,072 pixel bytes; the fine label is used). Pixels
 * are stored channel-planar (1,024 red, 1,024 green, 1,024 blue, each row-major 32x32) and returned channel-last.
 */
public final class CifarReader {
  /** The two CIFAR variants. */
  public enum Variant {
    CIFAR10(1, 10, List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
        "data_batch_5.bin"), List.of("test_batch.bin")),
    CIFAR100(2, 100, List.of("train.bin"), List.of("test.bin"));

    final int labelBytes;
    final int classes;
    final List<String> trainFiles;
    final List<String> testFiles;

    Variant(int labelBytes, int classes, List<String> trainFiles, List<String> testFiles) {
      this.labelBytes = labelBytes;
      this.classes = classes;
      this.trainFiles = trainFiles;
      this.testFiles = testFiles;
    }

    /** Bytes per record. */
    public int recordBytes() {
      return labelBytes + PIXELS;
    }

    /** The files of a split ("train" or "test"). */
    public List<String> files(String split) {
      return switch (split) {
        case "train" -> trainFiles;
        case "test" -> testFiles;
        default -> throw new IllegalArgumentException("CIFAR splits are train and test, not '" + split + "'");
      };
    }
  }

  static final int SIDE = 32;
  static final int PIXELS = SIDE * SIDE * 3;

  private CifarReader() {}

  /**
   * Reads a split. Every file of the split must exist; a missing one is reported with the full list expected.
   *
   * @param split "train" or "test"
   */
  public static ImageDataset read(Path dir, Variant variant, String split) throws IOException {
    List<String> names = variant.files(split);
    List<String> missing = new ArrayList<>();
    for (String name : names) {
      if (!Files.isRegularFile(dir.resolve(name))) {
        missing.add(name);
      }
    }
    if (!missing.isEmpty()) {
      throw new DataFormatException(
          dir + ": missing " + String.join(", ", missing) + " of the " + variant + " " + split + " split (expected "
              + String.join(", ", names) + ")");
    }
    List<byte[]> contents = new ArrayList<>();
    int total = 0;
    for (String name : names) {
      byte[] data = Files.readAllBytes(dir.resolve(name));
      checkWholeRecords(dir.resolve(name), data.length, variant.recordBytes());
      contents.add(data);
      total += data.length / variant.recordBytes();
    }
    byte[] pixels = new byte[total * PIXELS];
    int[] labels = new int[total];
    int index = 0;
    for (int f = 0; f < names.size(); f++) {
      byte[] data = contents.get(f);
      int records = data.length / variant.recordBytes();
      for (int r = 0; r < records; r++, index++) {
        int base = r * variant.recordBytes();
        int label = data[base + variant.labelBytes - 1] & 0xff; // CIFAR-100: the second (fine) label byte
        if (label >= variant.classes) {
          throw new DataFormatException(
              dir.resolve(names.get(f)) + ": record " + r + " (byte offset " + base + ") has label " + label
                  + ", outside [0, " + variant.classes + ")");
        }
        labels[index] = label;
        int from = base + variant.labelBytes;
        for (int p = 0; p < SIDE * SIDE; p++) {
          for (int c = 0; c < 3; c++) {
            pixels[index * PIXELS + p * 3 + c] = data[from + c * SIDE * SIDE + p];
          }
        }
      }
    }
    return new ImageDataset(dir + " (" + variant + " " + split + ")", pixels, labels, SIDE, SIDE, 3, variant.classes);
  }

  private static void checkWholeRecords(Path file, long length, int recordBytes) throws DataFormatException {
    if (length == 0) {
      throw new DataFormatException(file + ": empty file");
    }
    if (length % recordBytes != 0) {
      long record = length / recordBytes;
      throw new DataFormatException(
          file + ": " + length + " bytes is not a whole number of " + recordBytes + "-byte records: record " + record
              + " is cut off at byte offset " + length + " (it starts at " + record * recordBytes + ")");
    }
  }
}
