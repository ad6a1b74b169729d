package io.github.tftrain.optimizers.client;

import java.io.DataInputStream;
import java.io.IOException;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/** Reads the repository's Fashion-MNIST IDX subset (testdata/fashion-mnist) with plain Java. */
final class FashionMnistSubset {
  final float[] pixels; // count * 784, scaled to [0, 1]
  final int[] labels;
  final int count;

  private FashionMnistSubset(float[] pixels, int[] labels) {
    this.pixels = pixels;
    this.labels = labels;
    this.count = labels.length;
  }

  static Path directory() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isDirectory(dir.resolve("testdata/fashion-mnist"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException("testdata/fashion-mnist not found above " + Path.of("").toAbsolutePath());
    }
    return dir.resolve("testdata/fashion-mnist");
  }

  static FashionMnistSubset load(String split) throws IOException {
    Path dir = directory();
    int[] labels;
    try (DataInputStream in = open(dir.resolve(split + "-labels-idx1-ubyte.gz"))) {
      check(in.readInt(), 2049, split);
      labels = new int[in.readInt()];
      for (int i = 0; i < labels.length; i++) {
        labels[i] = in.readUnsignedByte();
      }
    }
    float[] pixels;
    try (DataInputStream in = open(dir.resolve(split + "-images-idx3-ubyte.gz"))) {
      check(in.readInt(), 2051, split);
      int n = in.readInt();
      int size = in.readInt() * in.readInt();
      if (n != labels.length || size != 784) {
        throw new IOException(split + ": " + n + " images of " + size + " pixels for " + labels.length + " labels");
      }
      byte[] raw = new byte[n * size];
      in.readFully(raw);
      pixels = new float[raw.length];
      for (int i = 0; i < raw.length; i++) {
        pixels[i] = (raw[i] & 0xff) / 255f;
      }
    }
    return new FashionMnistSubset(pixels, labels);
  }

  /** Images [start, start + count) (fewer at the end) as a [n, 784] float32 tensor. */
  TFloat32 pixels(int start, int count) {
    int n = Math.min(count, this.count - start);
    float[] slice = new float[n * 784];
    System.arraycopy(pixels, start * 784, slice, 0, slice.length);
    return TFloat32.tensorOf(Shape.of(n, 784), DataBuffers.of(slice, true, false));
  }

  /** The fraction of images whose label the predicted class ids match. */
  double accuracy(TInt64 guesses) {
    int correct = 0;
    for (int i = 0; i < count; i++) {
      if (guesses.getLong(i) == labels[i]) {
        correct++;
      }
    }
    return (double) correct / count;
  }

  /**
   * Whether README.md contains, word for word (whitespace aside), the code between the README-SNIPPET markers of a
   * test source file of this package.
   */
  static boolean readmeShows(String testFile) throws IOException {
    Path root = directory().getParent().getParent();
    String readme = normalize(java.nio.file.Files.readString(root.resolve("README.md")));
    String source =
        java.nio.file.Files.readString(
            root.resolve("tf-optimizers/src/test/java/io/github/tftrain/optimizers/client/" + testFile));
    String snippet =
        source.substring(
            source.indexOf("// README-SNIPPET-BEGIN") + "// README-SNIPPET-BEGIN".length(),
            source.indexOf("    // README-SNIPPET-END"));
    return readme.contains(normalize(snippet));
  }

  private static String normalize(String text) {
    return text.replaceAll("\\s+", " ").trim();
  }

  private static DataInputStream open(Path path) throws IOException {
    InputStream in = new GZIPInputStream(Files.newInputStream(path));
    return new DataInputStream(new java.io.BufferedInputStream(in));
  }

  private static void check(int magic, int expected, String split) throws IOException {
    if (magic != expected) {
      throw new IOException(split + ": IDX magic " + magic + ", expected " + expected);
    }
  }
}
