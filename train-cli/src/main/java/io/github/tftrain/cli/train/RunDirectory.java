package io.github.tftrain.cli.train;

import io.github.tftrain.cli.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A run's folder:
 *
 * <pre>
 * config.json      every resolved setting, versions, seed
 * metrics.csv      one row per logging window (and per evaluation)
 * events/          TensorBoard event files (scalars; GAN sample images)
 * checkpoints/     step-NNNNNNNNN/ folders (the latest few and the best), best.json
 * saved_model/     the final SavedModel: a serving signature and a "train" signature
 * plots/           PNG curves (loss, metric, lr) and GAN sample grids
 * </pre>
 */
public final class RunDirectory {
  private final Path root;

  private RunDirectory(Path root) {
    this.root = root;
  }

  /**
   * Creates a new run folder with its subfolders.
   *
   * @throws IllegalArgumentException if the folder exists and is not empty
   */
  public static RunDirectory create(Path root) throws IOException {
    if (Files.exists(root) && (!Files.isDirectory(root) || !isEmpty(root))) {
      throw new IllegalArgumentException(
          "run directory " + root + " already exists; continue it with --resume --run-dir " + root
              + ", or choose another --run-dir");
    }
    RunDirectory run = new RunDirectory(root);
    for (Path dir : new Path[] {root, run.checkpoints(), run.events(), run.plots()}) {
      Files.createDirectories(dir);
    }
    return run;
  }

  /**
   * Opens an existing run folder.
   *
   * @throws IllegalArgumentException if it has no config.json
   */
  public static RunDirectory open(Path root) {
    if (!Files.isRegularFile(root.resolve("config.json"))) {
      throw new IllegalArgumentException(root + ": not a tftrain run directory (no config.json)");
    }
    return new RunDirectory(root);
  }

  private static boolean isEmpty(Path dir) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.findAny().isEmpty();
    }
  }

  public Path root() {
    return root;
  }

  public Path config() {
    return root.resolve("config.json");
  }

  public Path metrics() {
    return root.resolve("metrics.csv");
  }

  public Path checkpoints() {
    return root.resolve("checkpoints");
  }

  public Path events() {
    return root.resolve("events");
  }

  public Path savedModel() {
    return root.resolve("saved_model");
  }

  public Path plots() {
    return root.resolve("plots");
  }

  /** Writes config.json atomically. */
  public void writeConfig(Map<String, Object> config) throws IOException {
    AtomicFiles.write(config(), out -> out.write(Json.write(config).getBytes(StandardCharsets.UTF_8)));
  }

  /** Reads config.json's "train" object. */
  @SuppressWarnings("unchecked")
  public TrainConfig readConfig() throws IOException {
    Map<String, Object> all = Json.parseObject(Files.readString(config(), StandardCharsets.UTF_8));
    Object train = all.get("train");
    if (!(train instanceof Map)) {
      throw new IllegalArgumentException(config() + ": no \"train\" settings");
    }
    return TrainConfig.fromMap((Map<String, Object>) train);
  }
}
