package io.github.tftrain.data;

import java.util.Arrays;

/**
 * Labelled images held in memory as bytes (0-255), height x width x channels per image (channel-last, the layout
 * TensorFlow's CPU convolutions use). Immutable: the transforming methods return new datasets.
 */
public final class ImageDataset {
  private final String source;
  private final byte[] pixels;
  private final int[] labels;
  private final int height;
  private final int width;
  private final int channels;
  private final int classes;
  private final java.util.List<String> classNames;

  /**
   * A dataset whose classes are named by their index ("0", "1", ...).
   *
   * @param source where the images came from (for messages)
   * @param pixels count x height x width x channels bytes, channel-last
   * @param labels one label in [0, classes) per image
   */
  public ImageDataset(String source, byte[] pixels, int[] labels, int height, int width, int channels, int classes) {
    this(source, pixels, labels, height, width, channels, indexNames(classes));
  }

  /**
   * @param source where the images came from (for messages)
   * @param pixels count x height x width x channels bytes, channel-last
   * @param labels one label in [0, classNames.size()) per image
   * @param classNames the name of each class, by label
   */
  public ImageDataset(String source, byte[] pixels, int[] labels, int height, int width, int channels,
      java.util.List<String> classNames) {
    int classes = classNames.size();
    if ((long) labels.length * height * width * channels != pixels.length) {
      throw new IllegalArgumentException(
          source + ": " + pixels.length + " pixel bytes for " + labels.length + " images of " + height + "x" + width
              + "x" + channels);
    }
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= classes) {
        throw new IllegalArgumentException(source + ": record " + i + " has label " + labels[i] + ", outside [0, "
            + classes + ")");
      }
    }
    this.source = source;
    this.pixels = pixels;
    this.labels = labels;
    this.height = height;
    this.width = width;
    this.channels = channels;
    this.classes = classes;
    this.classNames = java.util.List.copyOf(classNames);
  }

  private static java.util.List<String> indexNames(int classes) {
    java.util.List<String> names = new java.util.ArrayList<>();
    for (int i = 0; i < classes; i++) {
      names.add(Integer.toString(i));
    }
    return names;
  }

  /** The name of each class, by label: the folder names of an image-folder dataset, else "0", "1", .... */
  public java.util.List<String> classNames() {
    return classNames;
  }

  public String source() {
    return source;
  }

  public int count() {
    return labels.length;
  }

  public int height() {
    return height;
  }

  public int width() {
    return width;
  }

  public int channels() {
    return channels;
  }

  /** The number of classes the labels range over. */
  public int classes() {
    return classes;
  }

  /** Bytes per image. */
  public int imageSize() {
    return height * width * channels;
  }

  public int label(int index) {
    return labels[index];
  }

  /** The pixel byte (0-255) of image {@code index} at row, column, channel. */
  public int pixel(int index, int row, int column, int channel) {
    return pixels[((index * height + row) * width + column) * channels + channel] & 0xff;
  }

  /** A copy of the labels. */
  public int[] labels() {
    return labels.clone();
  }

  /**
   * CRC-32 of the content: the shape, the class names, the pixels and the labels, as eight hex digits. Equal for
   * equal data wherever it was read from (the workers of a data-parallel run compare it).
   */
  public String crc32() {
    return new Checksum().ints(count(), height, width, channels).strings(classNames).bytes(pixels).ints(labels).hex();
  }

  /** Direct read access for batching (not copied; callers must not modify it). */
  byte[] rawPixels() {
    return pixels;
  }

  /**
   * The images centred on a larger canvas with black borders (MNIST-style 28x28 to 32x32 for the CIFAR models).
   */
  public ImageDataset padTo(int newHeight, int newWidth) {
    if (newHeight < height || newWidth < width) {
      throw new IllegalArgumentException(
          source + ": cannot pad " + height + "x" + width + " images to " + newHeight + "x" + newWidth);
    }
    int top = (newHeight - height) / 2;
    int left = (newWidth - width) / 2;
    byte[] out = new byte[count() * newHeight * newWidth * channels];
    for (int i = 0; i < count(); i++) {
      for (int r = 0; r < height; r++) {
        int from = ((i * height + r) * width) * channels;
        int to = ((i * newHeight + r + top) * newWidth + left) * channels;
        System.arraycopy(pixels, from, out, to, width * channels);
      }
    }
    return new ImageDataset(source, out, labels, newHeight, newWidth, channels, classNames);
  }

  /** Grey images repeated into three channels. */
  public ImageDataset toRgb() {
    if (channels != 1) {
      throw new IllegalArgumentException(source + ": toRgb needs 1 channel, has " + channels);
    }
    byte[] out = new byte[pixels.length * 3];
    for (int p = 0; p < pixels.length; p++) {
      out[3 * p] = pixels[p];
      out[3 * p + 1] = pixels[p];
      out[3 * p + 2] = pixels[p];
    }
    return new ImageDataset(source, out, labels, height, width, 3, classNames);
  }

  /** The first {@code n} images. */
  public ImageDataset head(int n) {
    if (n < 0 || n > count()) {
      throw new IllegalArgumentException(source + ": has " + count() + " images, asked for " + n);
    }
    return new ImageDataset(
        source, Arrays.copyOf(pixels, n * imageSize()), Arrays.copyOf(labels, n), height, width, channels,
        classNames);
  }

  @Override
  public String toString() {
    return source + " (" + count() + " images, " + height + "x" + width + "x" + channels + ", " + classes
        + " classes)";
  }
}
