package io.github.tftrain.trainer;

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
 * the next start. The latest {@code keep} checkpoints are kept, and the best one: the run's state names it
 * ({@code best_step} in every state.json) and {@code best.json} records it for readers; a process killed between a
 * checkpoint and best.json leaves state.json right, and {@link #repairBest} rewrites best.json from it.
 */
public class Checkpoints {
  private static final Pattern NAME = Pattern.compile("step-(\\d{9,})");
  private final Path dir;
  private final int keep;

  /** A complete checkpoint. */
  public record Saved(long step, Path dir) {
    /** The variables' prefix for {@code Session.restore}. */
    public String prefix() {
      return dir.resolve("variables").toString();
    }
  }

  /** Writes what a job keeps next to the variables. */
  @FunctionalInterface
  public interface Extra {
    Map<String, Object> write(Path dir) throws IOException;
  }

  public Checkpoints(Path dir, int keep) {
    if (keep < 1) {
      throw new IllegalArgumentException("--keep-checkpoints must be >= 1, got " + keep);
    }
    this.dir = dir;
    this.keep = keep;
  }

  /** Removes folders of writes that never completed. */
  public void removePartials() throws IOException {
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
  public Saved save(Session session, long step, Map<String, Object> state, Extra extra) throws IOException {
    Object best = state.get("best_step");
    return save(session, step, state, extra, best instanceof Number n ? n.longValue() : -1);
  }

  /**
   * As {@link #save(Session, long, Map, Extra)}; rotation keeps checkpoint {@code bestStep} (-1: none) whatever
   * best.json says.
   */
  public Saved save(Session session, long step, Map<String, Object> state, Extra extra, long bestStep) throws IOException {
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
    prune(bestStep);
    return new Saved(step, target);
  }

  /** Writes state.json (a hook: the fault-injection test fails here, between the variables and the rename). */
  public void writeState(Path partial, Map<String, Object> state) throws IOException {
    Files.writeString(partial.resolve("state.json"), Json.write(state), StandardCharsets.UTF_8);
  }

  /** The complete checkpoints, oldest first. */
  public List<Saved> list() throws IOException {
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

  public Optional<Saved> latest() throws IOException {
    List<Saved> all = list();
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  /** The checkpoint best.json names, if it still exists. */
  public Optional<Saved> best() throws IOException {
    long step = bestJsonStep();
    return list().stream().filter(s -> s.step() == step).findFirst();
  }

  /** The step best.json names, or -1 when there is none. */
  private long bestJsonStep() throws IOException {
    Path file = dir.resolve("best.json");
    if (!Files.isRegularFile(file)) {
      return -1;
    }
    Object step = Json.parseObject(Files.readString(file), file).get("step");
    if (!(step instanceof Number n)) {
      throw new IllegalArgumentException(file + ": no \"step\" number");
    }
    return n.longValue();
  }

  /**
   * Makes best.json name checkpoint {@code bestStep} (from the run's state), when that checkpoint exists and best.json
   * is missing or names another step: a process killed between writing a checkpoint and best.json left it behind.
   *
   * @return whether best.json was rewritten
   */
  public boolean repairBest(long bestStep, String metric, double value) throws IOException {
    if (bestStep < 0 || metric == null || bestJsonStep() == bestStep
        || list().stream().noneMatch(s -> s.step() == bestStep)) {
      return false;
    }
    markBest(bestStep, metric, value);
    return true;
  }

  /**
   * Moves an unreadable checkpoint aside ({@code step-N.unreadable}), so that neither a resume nor {@code latest}
   * picks it again; it is kept for inspection.
   *
   * @return where it went
   */
  public Path setAside(Saved saved) throws IOException {
    Path aside = saved.dir().resolveSibling(saved.dir().getFileName() + ".unreadable");
    deleteTree(aside);
    Files.move(saved.dir(), aside);
    return aside;
  }

  /** Records checkpoint {@code step} as the best, with its metric. */
  public void markBest(long step, String metric, double value) throws IOException {
    Map<String, Object> best = new java.util.LinkedHashMap<>();
    best.put("step", step);
    best.put("metric", metric);
    best.put("value", value);
    AtomicFiles.write(dir.resolve("best.json"), out -> out.write(Json.write(best).getBytes(StandardCharsets.UTF_8)));
  }

  /** The state.json of a checkpoint. */
  public static Map<String, Object> readState(Saved saved) throws IOException {
    Path file = saved.dir().resolve("state.json");
    return Json.parseObject(Files.readString(file, StandardCharsets.UTF_8), file);
  }

  /** Keeps the latest {@code keep}, the run's best ({@code bestStep}) and the one best.json names. */
  private void prune(long bestStep) throws IOException {
    List<Saved> all = list();
    long recorded = bestJsonStep();
    for (int i = 0; i < all.size() - keep; i++) {
      Saved s = all.get(i);
      if (s.step() != bestStep && s.step() != recorded) {
        deleteTree(s.dir());
      }
    }
  }

  public static void deleteTree(Path root) throws IOException {
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
