package io.github.tftrain.trainer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Where the running code comes from, for config.json: the git commit of the checkout that built it, when the jar or
 * classes sit inside one (a clone built with the {@code tftrain} script), and whether tracked files differed from
 * it. Empty when unknown (an installed jar, no git).
 */
public final class Provenance {
  private Provenance() {}

  /** {"git_commit": SHA, "git_dirty": bool} for the checkout holding this code, or empty. */
  public static Map<String, Object> git() {
    Optional<Path> root = checkoutRoot();
    if (root.isEmpty()) {
      return Map.of();
    }
    Map<String, Object> out = new LinkedHashMap<>();
    Optional<String> sha = run(root.get(), "rev-parse", "HEAD").map(String::strip).or(() -> readHead(root.get()));
    if (sha.isEmpty() || !sha.get().matches("[0-9a-f]{40}")) {
      return Map.of();
    }
    out.put("git_commit", sha.get());
    run(root.get(), "status", "--porcelain", "--untracked-files=no").ifPresent(s -> out.put("git_dirty",
        !s.isBlank()));
    return out;
  }

  private static Optional<Path> checkoutRoot() {
    try {
      Path here = Path.of(Provenance.class.getProtectionDomain().getCodeSource().getLocation().toURI())
          .toAbsolutePath();
      for (Path p = here; p != null; p = p.getParent()) {
        if (Files.exists(p.resolve(".git"))) {
          return Optional.of(p);
        }
      }
    } catch (Exception e) {
      // no code source (custom class loaders): unknown
    }
    return Optional.empty();
  }

  /** git's output, or empty when git is missing, fails or takes more than five seconds. */
  private static Optional<String> run(Path root, String... args) {
    String[] command = new String[args.length + 3];
    command[0] = "git";
    command[1] = "-C";
    command[2] = root.toString();
    System.arraycopy(args, 0, command, 3, args.length);
    try {
      Process git = new ProcessBuilder(command).redirectErrorStream(true).start();
      byte[] output = git.getInputStream().readAllBytes();
      if (!git.waitFor(5, TimeUnit.SECONDS) || git.exitValue() != 0) {
        git.destroyForcibly();
        return Optional.empty();
      }
      return Optional.of(new String(output, StandardCharsets.UTF_8));
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /** Without git: .git/HEAD, then the ref it names (loose or packed). */
  private static Optional<String> readHead(Path root) {
    try {
      Path git = root.resolve(".git");
      String head = Files.readString(git.resolve("HEAD"), StandardCharsets.UTF_8).strip();
      if (!head.startsWith("ref: ")) {
        return Optional.of(head);
      }
      String ref = head.substring(5);
      Path loose = git.resolve(ref);
      if (Files.isRegularFile(loose)) {
        return Optional.of(Files.readString(loose, StandardCharsets.UTF_8).strip());
      }
      Path packed = git.resolve("packed-refs");
      if (Files.isRegularFile(packed)) {
        for (String line : Files.readAllLines(packed, StandardCharsets.UTF_8)) {
          if (line.endsWith(" " + ref)) {
            return Optional.of(line.substring(0, line.indexOf(' ')));
          }
        }
      }
    } catch (IOException e) {
      // unreadable: unknown
    }
    return Optional.empty();
  }
}
