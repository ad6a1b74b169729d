package io.github.tftrain.data;

import java.util.Arrays;

/**
 * Per-channel mean and standard deviation of pixel values scaled to [0, 1]; images are normalised as
 * {@code (p / 255 - mean_c) / std_c}. Compute them on the training split and reuse them for the test split.
 */
public final class ChannelStats {
  private final double[] mean;
  private final double[] std;

  public ChannelStats(double[] mean, double[] std) {
    if (mean.length != std.length || mean.length == 0) {
      throw new IllegalArgumentException("mean and std need one value per channel");
    }
    for (double s : std) {
      if (!(s > 0)) {
        throw new IllegalArgumentException("std must be > 0 in every channel, got " + Arrays.toString(std));
      }
    }
    this.mean = mean.clone();
    this.std = std.clone();
  }

  /** The statistics of a dataset, over all its pixels, in double precision. */
  public static ChannelStats of(ImageDataset data) {
    int c = data.channels();
    double[] sum = new double[c];
    double[] sumSquares = new double[c];
    byte[] pixels = data.rawPixels();
    for (int p = 0; p < pixels.length; p++) {
      double v = (pixels[p] & 0xff) / 255.0;
      sum[p % c] += v;
      sumSquares[p % c] += v * v;
    }
    long n = (long) pixels.length / c;
    double[] mean = new double[c];
    double[] std = new double[c];
    for (int k = 0; k < c; k++) {
      mean[k] = sum[k] / n;
      std[k] = Math.sqrt(Math.max(sumSquares[k] / n - mean[k] * mean[k], 0));
      if (std[k] == 0) {
        std[k] = 1; // a constant channel: centre it, do not divide by zero
      }
    }
    return new ChannelStats(mean, std);
  }

  /**
   * Mean 0.5 and standard deviation 0.5 in every channel: pixels map linearly onto [-1, 1], the range of a
   * generator that ends in tanh (the GAN's real images are scaled this way, not standardised).
   */
  public static ChannelStats minusOneToOne(int channels) {
    double[] half = new double[channels];
    Arrays.fill(half, 0.5);
    return new ChannelStats(half, half);
  }

  public double mean(int channel) {
    return mean[channel];
  }

  public double std(int channel) {
    return std[channel];
  }

  public int channels() {
    return mean.length;
  }

  /** Lookup table: normalised value of each byte value in each channel. */
  float[][] table() {
    float[][] t = new float[mean.length][256];
    for (int c = 0; c < mean.length; c++) {
      for (int v = 0; v < 256; v++) {
        t[c][v] = (float) ((v / 255.0 - mean[c]) / std[c]);
      }
    }
    return t;
  }

  @Override
  public String toString() {
    return "mean " + Arrays.toString(mean) + ", std " + Arrays.toString(std);
  }
}
