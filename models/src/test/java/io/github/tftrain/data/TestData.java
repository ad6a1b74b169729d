package io.github.tftrain.data;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the repository's testdata folder from the module's working directory. */
final class TestData {
  private TestData() {}

  static Path dir(String name) {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isDirectory(dir.resolve("testdata").resolve(name))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException("testdata/" + name + " not found above " + Path.of("").toAbsolutePath());
    }
    return dir.resolve("testdata").resolve(name);
  }
}
