package io.github.tftrain.cli.commands;

import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * The shipped image data read without the project's readers, straight from the file formats (IDX as in LeCun's
 * MNIST page, CIFAR-10 binary as on Krizhevsky's page, the padding as testdata/README.md states it), and a reference
 * evaluation of logits in plain Java: what the tests compare the run's numbers with.
 */
final class ReferenceData {
  private ReferenceData() {}

  /** Images as bytes in [count, height, width, channels] order, with their labels. */
  record Images(byte[] pixels, int[] labels, int count, int height, int width, int channels) {}

  /**
   * An IDX split ("train" or "t10k") of 28x28 grey images, centred in 32x32 with 2 black pixels on every side and
   * repeated into R, G and B (what testdata/README.md says the CIFAR copy holds).
   */
  static Images idxPaddedRgb(Path dir, String split) throws IOException {
    Images raw = idxRaw(dir, split);
    byte[] grey = raw.pixels();
    int[] labels = raw.labels();
    int count = raw.count();
    int rows = raw.height();
    int cols = raw.width();
    int size = 32;
    int top = (size - rows) / 2;
    int left = (size - cols) / 2;
    byte[] out = new byte[count * size * size * 3];
    for (int i = 0; i < count; i++) {
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
          byte v = grey[(i * rows + r) * cols + c];
          int at = ((i * size + r + top) * size + c + left) * 3;
          out[at] = v;
          out[at + 1] = v;
          out[at + 2] = v;
        }
      }
    }
    return new Images(out, labels, count, size, size, 3);
  }

  /** An IDX split ("train" or "t10k") as stored: 28x28 grey images, one channel. */
  static Images idxRaw(Path dir, String split) throws IOException {
    byte[] grey;
    int count;
    int rows;
    int cols;
    try (DataInputStream in = gunzip(dir.resolve(split + "-images-idx3-ubyte.gz"))) {
      if (in.readInt() != 0x00000803) {
        throw new IOException("not an IDX image file");
      }
      count = in.readInt();
      rows = in.readInt();
      cols = in.readInt();
      grey = in.readNBytes(count * rows * cols);
    }
    int[] labels;
    try (DataInputStream in = gunzip(dir.resolve(split + "-labels-idx1-ubyte.gz"))) {
      if (in.readInt() != 0x00000801 || in.readInt() != count) {
        throw new IOException("not an IDX label file for these images");
      }
      labels = new int[count];
      for (int i = 0; i < count; i++) {
        labels[i] = in.readUnsignedByte();
      }
    }
    return new Images(grey, labels, count, rows, cols, 1);
  }

  private static DataInputStream gunzip(Path file) throws IOException {
    return new DataInputStream(new GZIPInputStream(Files.newInputStream(file)));
  }

  /** CIFAR-10 binary files: records of 1 label byte and 3,072 channel-planar pixel bytes, turned to HWC order. */
  static Images cifar(Path... files) throws IOException {
    int record = 1 + 3 * 1024;
    int count = 0;
    byte[][] contents = new byte[files.length][];
    for (int f = 0; f < files.length; f++) {
      contents[f] = Files.readAllBytes(files[f]);
      if (contents[f].length % record != 0) {
        throw new IOException(files[f] + ": not whole records");
      }
      count += contents[f].length / record;
    }
    byte[] pixels = new byte[count * 3 * 1024];
    int[] labels = new int[count];
    int i = 0;
    for (byte[] content : contents) {
      for (int start = 0; start < content.length; start += record, i++) {
        labels[i] = content[start] & 0xff;
        for (int ch = 0; ch < 3; ch++) {
          for (int p = 0; p < 1024; p++) {
            pixels[(i * 1024 + p) * 3 + ch] = content[start + 1 + ch * 1024 + p];
          }
        }
      }
    }
    return new Images(pixels, labels, count, 32, 32, 3);
  }

  /** Per-channel mean and (population) standard deviation of pixel / 255, two passes in double. */
  static double[][] meanStd(Images images) {
    int c = images.channels();
    double[] mean = new double[c];
    double[] var = new double[c];
    long n = images.pixels().length / c;
    for (int p = 0; p < images.pixels().length; p++) {
      mean[p % c] += (images.pixels()[p] & 0xff) / 255.0;
    }
    for (int k = 0; k < c; k++) {
      mean[k] /= n;
    }
    for (int p = 0; p < images.pixels().length; p++) {
      double d = (images.pixels()[p] & 0xff) / 255.0 - mean[p % c];
      var[p % c] += d * d;
    }
    double[] std = new double[c];
    for (int k = 0; k < c; k++) {
      std[k] = Math.sqrt(var[k] / n);
    }
    return new double[][] {mean, std};
  }

  /** (pixel / 255 - mean_c) / std_c as float32, in the images' order. */
  static float[] normalise(Images images, double[] mean, double[] std) {
    int c = images.channels();
    float[] out = new float[images.pixels().length];
    for (int p = 0; p < out.length; p++) {
      out[p] = (float) (((images.pixels()[p] & 0xff) / 255.0 - mean[p % c]) / std[p % c]);
    }
    return out;
  }

  /** Mean cross-entropy, top-1 and top-5 error of [count, classes] logits, in double. */
  record Evaluation(double loss, double top1Error, double top5Error) {}

  /**
   * A label is in the top k when fewer than k classes score strictly higher and its own score is finite (TensorFlow's
   * InTopK counts ties as hits and non-finite rows as misses).
   */
  static Evaluation evaluate(float[] logits, int classes, int[] labels) {
    int count = labels.length;
    if (logits.length != count * classes) {
      throw new IllegalArgumentException(logits.length + " logits for " + count + " x " + classes);
    }
    double loss = 0;
    int miss1 = 0;
    int miss5 = 0;
    for (int i = 0; i < count; i++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < classes; k++) {
        max = Math.max(max, logits[i * classes + k]);
      }
      double sum = 0;
      for (int k = 0; k < classes; k++) {
        sum += Math.exp(logits[i * classes + k] - max);
      }
      float own = logits[i * classes + labels[i]];
      loss += max + Math.log(sum) - own;
      int higher = 0;
      for (int k = 0; k < classes; k++) {
        if (logits[i * classes + k] > own) {
          higher++;
        }
      }
      boolean finite = Float.isFinite(own);
      if (!finite || higher >= 1) {
        miss1++;
      }
      if (!finite || higher >= Math.min(5, classes)) {
        miss5++;
      }
    }
    return new Evaluation(loss / count, (double) miss1 / count, (double) miss5 / count);
  }

  /** Floats as little-endian bytes (the file format between the test and its child JVM). */
  static void writeFloats(Path file, float[] values) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    buffer.asFloatBuffer().put(values);
    Files.write(file, buffer.array());
  }

  static float[] readFloats(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    float[] values = new float[bytes.length / 4];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
    return values;
  }
}
