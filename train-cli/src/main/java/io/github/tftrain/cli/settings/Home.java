package io.github.tftrain.cli.settings;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the tftrain checkout is: the folder holding {@code testdata/}. Found from the system property
 * {@code tftrain.home}, else from the location of the running jar or classes (train-cli/target/...), else from the
 * working directory upwards.
 */
public final class Home {
  private Home() {}

  /** The checkout's root, if one can be found. */
  public static Optional<Path> root() {
    String property = System.getProperty("tftrain.home");
    if (property != null && !property.isBlank()) {
      return Optional.of(Path.of(property).toAbsolutePath());
    }
    try {
      Path code = Path.of(Home.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      Optional<Path> fromCode = upwards(code);
      if (fromCode.isPresent()) {
        return fromCode;
      }
    } catch (URISyntaxException | RuntimeException e) {
      // fall through to the working directory
    }
    return upwards(Path.of("").toAbsolutePath());
  }

  private static Optional<Path> upwards(Path start) {
    for (Path dir = start; dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve("testdata")) && Files.isDirectory(dir.resolve("train-cli"))) {
        return Optional.of(dir);
      }
    }
    return Optional.empty();
  }

  /**
   * A folder of the shipped testdata.
   *
   * @throws IllegalArgumentException if there is no checkout to find it in
   */
  public static Path testdata(String name) {
    Path root =
        root().orElseThrow(() -> new IllegalArgumentException(
            "cannot find tftrain's testdata/ (run from the checkout, or set -Dtftrain.home=DIR)"));
    return root.resolve("testdata").resolve(name);
  }
}
