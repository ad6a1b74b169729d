package io.github.tftrain.optimizers.client;

import java.io.DataInputStream;
import java.io.IOException;
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
