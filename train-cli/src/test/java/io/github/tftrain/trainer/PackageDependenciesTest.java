package io.github.tftrain.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The packages of every module's main code, read from their sources: no package depends on itself through others
 * (no import cycles), and the trainer library depends on neither the command line nor picocli.
 */
class PackageDependenciesTest {
  private static final Pattern PACKAGE = Pattern.compile("(?m)^package ([\\w.]+);");
  private static final Pattern REFERENCE = Pattern.compile("\\b(io\\.github\\.tftrain(?:\\.[a-z]\\w*)+)\\.[A-Z]");

  @Test
  void noPackageDependsOnItselfAndTheTrainerStandsAlone() throws IOException {
    Map<String, Set<String>> uses = new TreeMap<>();
    Set<String> trainerImports = new TreeSet<>();
    Path root = root();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path file : files.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/main/java/"))
          .toList()) {
        String text = Files.readString(file);
        Matcher p = PACKAGE.matcher(text);
        if (!p.find()) {
          continue;
        }
        String pkg = p.group(1);
        String code = text.replaceAll("//.*|/\\*[\\s\\S]*?\\*/", "");
        Matcher m = REFERENCE.matcher(code);
        while (m.find()) {
          if (!m.group(1).equals(pkg)) {
            uses.computeIfAbsent(pkg, k -> new TreeSet<>()).add(m.group(1));
          }
        }
        if (pkg.equals("io.github.tftrain.trainer")) {
          Matcher imports = Pattern.compile("(?m)^import ([\\w.]+)\\.\\w+;").matcher(code);
          while (imports.find()) {
            trainerImports.add(imports.group(1));
          }
        }
      }
    }
    assertTrue(uses.size() > 8, "found the packages: " + uses.keySet());
    List<String> cycles = new ArrayList<>();
    for (String pkg : uses.keySet()) {
      for (String used : uses.get(pkg)) {
        if (reaches(uses, used, pkg, new HashSet<>())) {
          cycles.add(pkg + " -> " + used + " -> ... -> " + pkg);
        }
      }
    }
    assertEquals(List.of(), cycles, "import cycles");
    for (String imported : trainerImports) {
      assertTrue(!imported.startsWith("picocli") && !imported.startsWith("io.github.tftrain.cli"),
          "the trainer library imports " + imported);
    }
  }

  private static boolean reaches(Map<String, Set<String>> uses, String from, String to, Set<String> seen) {
    if (from.equals(to)) {
      return true;
    }
    for (String next : uses.getOrDefault(from, Set.of())) {
      if (seen.add(next) && reaches(uses, next, to, seen)) {
        return true;
      }
    }
    return false;
  }

  private static Path root() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isDirectory(dir.resolve("tf-optimizers"))) {
      dir = dir.getParent();
    }
    return dir;
  }
}
