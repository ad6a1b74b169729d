package io.github.tftrain.trainer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
 * run.lock         held by the process training the run (its PID inside)
 * </pre>
 */
public final class RunDirectory {
  private final Path root;

  private RunDirectory(Path root) {
    this.root = root;
  }

  /**
   * Checks that {@link #create} would accept {@code root}, creating nothing (a data-parallel chief checks before the
   * other workers commit to the run).
   *
   * @throws IllegalArgumentException if the folder is a file, or exists and is neither empty nor an unstarted run's
   */
  public static void checkNew(Path root) throws IOException {
    if (Files.exists(root) && !Files.isDirectory(root)) {
      throw new IllegalArgumentException("--run-dir " + root + " is a file, not a folder");
    }
    if (Files.isDirectory(root) && !isEmpty(root) && !isUnstarted(root)) {
      throw new IllegalArgumentException(
          "run directory " + root + " already exists; continue it with --resume --run-dir " + root
              + ", or choose another --run-dir");
    }
  }

  /**
   * Creates a new run folder with its subfolders. A folder left by a start that was interrupted before config.json
   * was written (empty subfolders and temporary files only) counts as empty and is cleared.
   *
   * @throws IllegalArgumentException if the folder exists and is not empty
   */
  public static RunDirectory create(Path root) throws IOException {
    checkNew(root);
    if (Files.isDirectory(root) && !isEmpty(root)) {
      try (Stream<Path> entries = Files.list(root)) {
        for (Path entry : entries.toList()) {
          Checkpoints.deleteTree(entry);
        }
      }
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
  public static RunDirectory open(Path root) throws IOException {
    if (!Files.isDirectory(root)) {
      throw new IllegalArgumentException(root + ": no such run directory");
    }
    if (!Files.isRegularFile(root.resolve("config.json"))) {
      if (isUnstarted(root)) {
        throw new IllegalArgumentException(root + ": the run was interrupted before it started (no config.json, no "
            + "checkpoint); start it again with its settings, without --resume (the folder is reused)");
      }
      throw new IllegalArgumentException(root + ": not a tftrain run directory (no config.json)");
    }
    return new RunDirectory(root);
  }

  private static boolean isEmpty(Path dir) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.findAny().isEmpty();
    }
  }

  /**
   * What a start leaves when it is stopped before config.json exists: no config.json, and no file in the tree but
   * temporary ones ({@code .NAME.*.tmp}) and a lock.
   */
  private static boolean isUnstarted(Path root) throws IOException {
    if (Files.exists(root.resolve("config.json"))) {
      return false;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      return walk.filter(Files::isRegularFile).allMatch(f -> isTemporary(f) || f.getFileName().toString()
          .equals(LOCK));
    }
  }

  private static boolean isTemporary(Path file) {
    String name = file.getFileName().toString();
    return (name.startsWith(".") && name.endsWith(".tmp")) || name.equals("metrics.csv.tmp");
  }

  /**
   * Removes what writes cut short by a killed process leave: temporary files of atomic writes (run folder and
   * checkpoints/), an unfinished SavedModel and unfinished checkpoints ({@code .partial-*}). Nothing a finished write
   * produced is touched.
   */
  public void removeInterruptedWrites() throws IOException {
    for (Path dir : new Path[] {root, checkpoints()}) {
      if (!Files.isDirectory(dir)) {
        continue;
      }
      try (Stream<Path> entries = Files.list(dir)) {
        for (Path entry : entries.toList()) {
          String name = entry.getFileName().toString();
          if ((Files.isRegularFile(entry) && isTemporary(entry)) || name.startsWith(".partial-")) {
            Checkpoints.deleteTree(entry);
          }
        }
      }
    }
  }

  private static final String LOCK = "run.lock";

  /**
   * Takes the run's lock: an OS lock on {@code run.lock}, held until {@link Lock#close()} or the end of the process
   * (the OS releases it however the process ends), with this process's PID in the file.
   *
   * @throws RunFailedException when another process holds it, naming that process's PID
   */
  public Lock lock() throws IOException {
    Path file = root.resolve(LOCK);
    FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
        StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null; // this JVM holds it already
    }
    if (lock == null) {
      channel.close();
      String holder = Files.readString(file, StandardCharsets.UTF_8).strip();
      throw new RunFailedException("run directory " + root + " is in use by another process"
          + (holder.isEmpty() ? "" : " (PID " + holder + ", in " + file + ")") + "; wait for it to finish, or stop"
          + " it (SIGTERM writes a checkpoint) and then --resume");
    }
    channel.truncate(0);
    channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
    channel.force(false);
    return new Lock(channel, lock);
  }

  /** A held run lock. */
  public static final class Lock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private Lock(FileChannel channel, FileLock lock) {
      this.channel = channel;
      this.lock = lock;
    }

    @Override
    public void close() throws IOException {
      try {
        lock.release();
      } finally {
        channel.close();
      }
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


}
