package io.github.tftrain.cli.models;

import io.github.tftrain.data.ChannelStats;
import io.github.tftrain.data.CifarReader;
import io.github.tftrain.data.ImageBatches;
import io.github.tftrain.data.ImageDataset;
import io.github.tftrain.data.TextCorpus;
import io.github.tftrain.data.TokenBatches;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Real batches from the repository's testdata. */
final class Fixtures {
  private Fixtures() {}

  static Path testdata(String name) {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isDirectory(dir.resolve("testdata").resolve(name))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException("testdata/" + name + " not found above " + Path.of("").toAbsolutePath());
    }
    return dir.resolve("testdata").resolve(name);
  }

  /** The first {@code size} Fashion-MNIST training images (CIFAR-10 layout: 32x32x3), normalised by {@code stats}. */
  static ImageBatches.Batch imageBatch(int size, ChannelStats stats) {
    try {
      ImageDataset data =
          CifarReader.read(testdata("fashion-mnist-cifar10"), CifarReader.Variant.CIFAR10, "train").head(size);
      ImageBatches batches =
          ImageBatches.of(data).batchSize(size).stats(stats != null ? stats : ChannelStats.of(data)).build();
      try (ImageBatches.Epoch epoch = batches.epoch(0)) {
        return epoch.next();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static TextCorpus ptb() {
    try {
      return TextCorpus.read(testdata("ptb"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The first BPTT window of the PTB-layout training split. */
  static TokenBatches ptbWindows(TextCorpus corpus, int batch, int steps) {
    return new TokenBatches(corpus.split("train"), batch, steps);
  }

  /** key, value, key, value, ... */
  static Map<String, String> settings(String... keyValues) {
    Map<String, String> map = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      map.put(keyValues[i], keyValues[i + 1]);
    }
    return map;
  }
}
