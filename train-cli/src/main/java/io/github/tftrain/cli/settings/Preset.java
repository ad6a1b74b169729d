package io.github.tftrain.cli.settings;


import io.github.tftrain.cli.OptimizerSettings;
import io.github.tftrain.optimizers.Optimizers;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A training configuration file: one {@code key = value} per line, {@code #} comments. Keys are the long names of
 * {@code tftrain train}'s flags without the dashes ({@code model}, {@code epochs}, {@code batch-size}, ...), plus
 * per-optimizer values chosen by the run's optimizer: {@code lr.NAME}, {@code schedule.NAME},
 * {@code weight-decay.NAME} and {@code set.NAME.KEY} (a hyperparameter as with {@code --set KEY=VALUE}). Flags given
 * on the command line override the file.
 *
 * <p>The presets shipped with tftrain live in the repository's {@code presets/} folder (and inside the jar); copy one
 * and pass its path to {@code --preset}.
 */
public final class Preset {
  /** The keys a preset may set: every run setting's that is a preset key ({@link RunSettings}), and its own two. */
  static final Set<String> KEYS = keys();

  private static Set<String> keys() {
    Set<String> keys = new java.util.TreeSet<>(Set.of("description", "expects-data"));
    for (RunSetting<?> setting : RunSettings.ALL) {
      if (setting.isPresetKey()) {
        keys.add(setting.name());
      }
    }
    return java.util.Collections.unmodifiableSet(keys);
  }

  /** The settings a preset may also give per optimizer (KEY.OPTIMIZER). */
  private static List<String> perOptimizerKeys() {
    return RunSettings.ALL.stream().filter(RunSetting::perOptimizer).map(RunSetting::name).toList();
  }

  private final String source;
  private final Map<String, String> values;

  private Preset(String source, Map<String, String> values) {
    this.source = source;
    this.values = Collections.unmodifiableMap(values);
  }

  /** The names of the presets shipped with tftrain. */
  public static List<String> names() {
    try (InputStream in = Preset.class.getResourceAsStream("/presets/index.txt")) {
      if (in == null) {
        return List.of();
      }
      List<String> names = new ArrayList<>();
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (!line.isBlank()) {
          names.add(line.trim());
        }
      }
      return names;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A shipped preset by name, or a file by path (anything with a '/' or ending in .conf).
   *
   * @throws IllegalArgumentException for an unknown name (listing the known ones), a missing file or a bad line
   */
  public static Preset load(String nameOrPath) {
    if (nameOrPath.contains("/") || nameOrPath.endsWith(".conf")) {
      Path file = Path.of(nameOrPath);
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException("--preset " + nameOrPath + ": no such file");
      }
      try {
        return parse(file.toString(), Files.readString(file, StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new IllegalArgumentException("--preset " + nameOrPath + ": " + e.getMessage(), e);
      }
    }
    try (InputStream in = Preset.class.getResourceAsStream("/presets/" + nameOrPath + ".conf")) {
      if (in == null) {
        throw new IllegalArgumentException(
            "unknown preset '" + nameOrPath + "'; valid: " + String.join(", ", names())
                + " (or the path of a .conf file)");
      }
      return parse("preset " + nameOrPath, new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Parses a preset's text; {@code source} names it in messages. */
  static Preset parse(String source, String text) {
    Map<String, String> values = new LinkedHashMap<>();
    try (BufferedReader reader = new BufferedReader(new java.io.StringReader(text))) {
      String line;
      int number = 0;
      while ((line = reader.readLine()) != null) {
        number++;
        String content = line.strip();
        if (content.isEmpty() || content.startsWith("#")) {
          continue;
        }
        int eq = OptimizerSettings.separator(content); // not an '=' inside group[rank<=1]
        if (eq <= 0) {
          throw new IllegalArgumentException(source + ":" + number + ": expected 'key = value', got '" + content + "'");
        }
        String key = content.substring(0, eq).strip();
        String value = content.substring(eq + 1).strip();
        if (!key.equals("description")) {
          int hash = value.indexOf(" #");
          if (hash >= 0) {
            value = value.substring(0, hash).strip();
          }
        }
        checkKey(source, number, key);
        if (values.put(key, value) != null) {
          throw new IllegalArgumentException(source + ":" + number + ": '" + key + "' is set twice");
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Preset(source, values);
  }

  private static void checkKey(String source, int line, String key) {
    if (KEYS.contains(key)) {
      return;
    }
    String[] parts = key.split("\\.", 3);
    boolean perOptimizer =
        (parts.length == 2 && perOptimizerKeys().contains(parts[0]))
            || (parts.length == 3 && parts[0].equals("set"));
    if (perOptimizer && Optimizers.names().contains(parts[1])) {
      return;
    }
    throw new IllegalArgumentException(
        source + ":" + line + ": unknown key '" + key + "'; valid: " + String.join(", ", KEYS.stream().sorted().toList())
            + ", " + String.join(", ", perOptimizerKeys().stream().map(k -> k + ".OPTIMIZER").toList())
            + ", set.OPTIMIZER.KEY");
  }

  /** Where the preset came from, for messages and config.json. */
  public String source() {
    return source;
  }

  /** A plain value. */
  public Optional<String> get(String key) {
    return Optional.ofNullable(values.get(key));
  }

  /** A per-optimizer value ({@code KEY.OPTIMIZER}, for the settings that may have one) for {@code optimizer}. */
  public Optional<String> forOptimizer(String key, String optimizer) {
    return Optional.ofNullable(values.get(key + "." + optimizer));
  }

  /** The {@code set.OPTIMIZER.KEY} hyperparameters for {@code optimizer}, in file order. */
  public Map<String, String> settings(String optimizer) {
    Map<String, String> settings = new LinkedHashMap<>();
    String prefix = "set." + optimizer + ".";
    values.forEach((k, v) -> {
      if (k.startsWith(prefix)) {
        settings.put(k.substring(prefix.length()), v);
      }
    });
    return settings;
  }

  /** Every key and value, in file order. */
  public Map<String, String> values() {
    return values;
  }
}
