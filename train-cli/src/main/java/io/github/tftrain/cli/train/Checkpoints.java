package io.github.tftrain.cli.train;

import io.github.tftrain.cli.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.tensorflow.Session;

/**
 * A run's checkpoints: {@code checkpoints/step-NNNNNNNNN/} folders holding the graph's variables
 * ({@code variables.index}, {@code variables.data-*}: model, optimizer state, global steps), {@code state.json}
 * (where the run is: epoch, batch, metrics accumulators) and whatever else the job keeps (the LSTM's carried state).
 *
 * <p>Atomic: a checkpoint is written into {@code .partial-step-N/} and renamed to {@code step-N/} only when complete,
 * so a process killed mid-write leaves the previous checkpoints as they were; stale partial folders are removed on
 * the next start. The latest {@code keep} checkpoints are kept, and the best one named in {@code best.json}.
 */
class Checkpoints {
  private static final Pattern NAME = Pattern.compile("step-(\\d{9,})");
  private final Path dir;
  private final int keep;

  /** A complete checkpoint. */
  record Saved(long step, Path dir) {
    /** The variables' prefix for {@code Session.restore}. */
    String prefix() {
      return dir.resolve("variables").toString();
    }
  }

  /** Writes what a job keeps next to the variables. */
  @FunctionalInterface
  interface Extra {
    Map<String, Object> write(Path dir) throws IOException;
  }

  Checkpoints(Path dir, int keep) {
    if (keep < 1) {
      throw new IllegalArgumentException("--keep-checkpoints must be >= 1, got " + keep);
    }
    this.dir = dir;
    this.keep = keep;
  }

  /** Removes folders of writes that never completed. */
  void removePartials() throws IOException {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path p : entries.filter(p -> p.getFileName().toString().startsWith(".partial-")).toList()) {
        deleteTree(p);
      }
    }
  }

  /**
   * Saves the session's variables and the run's state as checkpoint {@code step} (replacing one of the same step).
   *
   * @param state the trainer's state (JSON-able)
   * @param extra the job's extra state, whose JSON-able description joins state.json under "job"
   */
  Saved save(Session session, long step, Map<String, Object> state, Extra extra) throws IOException {
    Files.createDirectories(dir);
    String name = String.format("step-%09d", step);
    Path partial = dir.resolve(".partial-" + name);
    deleteTree(partial);
    Files.createDirectories(partial);
    session.save(partial.resolve("variables").toString());
    Map<String, Object> all = new java.util.LinkedHashMap<>(state);
    all.put("job", extra.write(partial));
    writeState(partial, all);
    Path target = dir.resolve(name);
    deleteTree(target);
    try {
      Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(partial, target);
    }
    prune();
    return new Saved(step, target);
  }

  /** Writes state.json (a hook: the fault-injection test fails here, between the variables and the rename). */
  void writeState(Path partial, Map<String, Object> state) throws IOException {
    Files.writeString(partial.resolve("state.json"), Json.write(state), StandardCharsets.UTF_8);
  }

  /** The complete checkpoints, oldest first. */
  List<Saved> list() throws IOException {
    List<Saved> saved = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return saved;
    }
    try (Stream<Path> entries = Files.list(dir)) {
      entries.forEach(p -> {
        Matcher m = NAME.matcher(p.getFileName().toString());
        if (m.matches() && Files.isRegularFile(p.resolve("state.json"))) {
          saved.add(new Saved(Long.parseLong(m.group(1)), p));
        }
      });
    }
    saved.sort(Comparator.comparingLong(Saved::step));
    return saved;
  }

  Optional<Saved> latest() throws IOException {
    List<Saved> all = list();
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  /** The checkpoint best.json names, if it still exists. */
  Optional<Saved> best() throws IOException {
    Path file = dir.resolve("best.json");
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    long step = ((Number) Json.parseObject(Files.readString(file)).get("step")).longValue();
    return list().stream().filter(s -> s.step() == step).findFirst();
  }

  /** Records checkpoint {@code step} as the best, with its metric. */
  void markBest(long step, String metric, double value) throws IOException {
    Map<String, Object> best = new java.util.LinkedHashMap<>();
    best.put("step", step);
    best.put("metric", metric);
    best.put("value", value);
    AtomicFiles.write(dir.resolve("best.json"), out -> out.write(Json.write(best).getBytes(StandardCharsets.UTF_8)));
  }

  /** The state.json of a checkpoint. */
  static Map<String, Object> readState(Saved saved) throws IOException {
    return Json.parseObject(Files.readString(saved.dir().resolve("state.json"), StandardCharsets.UTF_8));
  }

  /** Keeps the latest {@code keep} and the best. */
  private void prune() throws IOException {
    List<Saved> all = list();
    Optional<Saved> best = best();
    for (int i = 0; i < all.size() - keep; i++) {
      Saved s = all.get(i);
      if (best.isEmpty() || best.get().step() != s.step()) {
        deleteTree(s.dir());
      }
    }
  }

  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
