package io.github.tftrain.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads IDX files (MNIST, Fashion-MNIST), gzipped or raw: images with magic 2051 (count, rows, columns, then one
 * byte per pixel) and labels with magic 2049 (count, then one byte per label). Every size is checked against the
 * header: a file that ends early or runs on names the file and the byte offset, a label out of range names its
 * record.
 */
public final class IdxReader {
  /** Images magic number. */
  public static final int IMAGES_MAGIC = 2051;
  /** Labels magic number. */
  public static final int LABELS_MAGIC = 2049;

  private IdxReader() {}

  /**
   * Reads a split from a folder, e.g. {@code train} from {@code train-images-idx3-ubyte[.gz]} and
   * {@code train-labels-idx1-ubyte[.gz]} ({@code t10k} for the test split of MNIST and Fashion-MNIST).
   *
   * @param classes the number of classes (10 for MNIST and Fashion-MNIST)
   */
  public static ImageDataset readSplit(Path dir, String split, int classes) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new DataFormatException(dir + ": not a directory");
    }
    Path images =
        DataFiles.firstExisting(
            dir, split + " images", List.of(split + "-images-idx3-ubyte.gz", split + "-images-idx3-ubyte"));
    Path labels =
        DataFiles.firstExisting(
            dir, split + " labels", List.of(split + "-labels-idx1-ubyte.gz", split + "-labels-idx1-ubyte"));
    return read(images, labels, classes);
  }

  /** Reads an image file and its label file. */
  public static ImageDataset read(Path imagesFile, Path labelsFile, int classes) throws IOException {
    byte[] images = DataFiles.readMaybeGzipped(imagesFile);
    byte[] labels = DataFiles.readMaybeGzipped(labelsFile);
    checkHeader(imagesFile, images, IMAGES_MAGIC, 16, "images");
    checkHeader(labelsFile, labels, LABELS_MAGIC, 8, "labels");
    int count = DataFiles.readInt(images, 4);
    int rows = DataFiles.readInt(images, 8);
    int columns = DataFiles.readInt(images, 12);
    if (count < 0 || rows <= 0 || columns <= 0 || (long) rows * columns * count > Integer.MAX_VALUE - 16) {
      throw new DataFormatException(
          imagesFile + ": header declares " + count + " images of " + rows + "x" + columns + ", not a valid size");
    }
    checkLength(imagesFile, images.length, 16, count, rows * columns, "image");
    int labelCount = DataFiles.readInt(labels, 4);
    if (labelCount != count) {
      throw new DataFormatException(
          labelsFile + ": " + labelCount + " labels for the " + count + " images of " + imagesFile.getFileName());
    }
    checkLength(labelsFile, labels.length, 8, labelCount, 1, "label");
    int[] out = new int[count];
    for (int i = 0; i < count; i++) {
      out[i] = labels[8 + i] & 0xff;
      if (out[i] >= classes) {
        throw new DataFormatException(
            labelsFile + ": record " + i + " (byte offset " + (8 + i) + ") has label " + out[i] + ", outside [0, "
                + classes + ")");
      }
    }
    byte[] pixels = java.util.Arrays.copyOfRange(images, 16, images.length);
    return new ImageDataset(imagesFile.toString(), pixels, out, rows, columns, 1, classes);
  }

  private static void checkHeader(Path file, byte[] data, int magic, int headerBytes, String kind)
      throws DataFormatException {
    if (data.length < headerBytes) {
      throw new DataFormatException(
          file + ": " + data.length + " bytes, too short for the " + headerBytes + "-byte IDX " + kind + " header");
    }
    int found = DataFiles.readInt(data, 0);
    if (found != magic) {
      String other = found == IMAGES_MAGIC ? " (an images file)" : found == LABELS_MAGIC ? " (a labels file)" : "";
      throw new DataFormatException(
          file + ": IDX magic number " + found + other + ", expected " + magic + " for " + kind);
    }
  }

  /** A payload of exactly count records; otherwise the first incomplete record and where the data ends. */
  private static void checkLength(Path file, long length, int header, int count, int recordBytes, String kind)
      throws DataFormatException {
    long expected = header + (long) count * recordBytes;
    if (length < expected) {
      long complete = (length - header) / recordBytes;
      throw new DataFormatException(
          file + ": truncated: the header declares " + count + " " + kind + "s (" + expected + " bytes) but the data"
              + " ends at byte offset " + length + ", inside " + kind + " record " + complete);
    }
    if (length > expected) {
      throw new DataFormatException(
          file + ": " + (length - expected) + " bytes after the " + count + " " + kind + "s the header declares"
              + " (from byte offset " + expected + ")");
    }
  }
}
