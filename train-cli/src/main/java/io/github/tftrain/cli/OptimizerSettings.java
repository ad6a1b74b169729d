package io.github.tftrain.cli;

import io.github.tftrain.optimizers.OptimizerBuilder;
import io.github.tftrain.optimizers.OptimizerConfig;
import io.github.tftrain.optimizers.Optimizers;
import io.github.tftrain.optimizers.VariableGroup;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Optimizer hyperparameters as the commands take them ({@code --set KEY=VALUE}, a preset's {@code set.OPT.KEY}):
 * plain keys and variable-group keys {@code group[SELECTOR].KEY}. The optimizer's builder parses and validates them
 * (without a graph); this class only splits the text and names the key a group sets.
 */
public final class OptimizerSettings {

  private OptimizerSettings() {}

  /**
   * The registered optimizer names, for picocli's {@code completionCandidates}: an option's help text shows them as
   * {@code ${COMPLETION-CANDIDATES}}, so it lists what the registry holds (providers' optimizers included).
   */
  public static final class Names implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
      return Optimizers.names().iterator();
    }
  }

  /**
   * The index of the '=' that separates key and value in {@code text}: the first one outside a group selector's
   * brackets, so {@code group[rank<=1].weightDecay=0} splits after {@code weightDecay}; -1 if there is none.
   */
  public static int separator(String text) {
    int depth = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '[') {
        depth++;
      } else if (c == ']') {
        depth = Math.max(0, depth - 1);
      } else if (c == '=' && depth == 0) {
        return i;
      }
    }
    return -1;
  }

  /**
   * The settings as given, with keys that picocli cut inside a selector joined again: picocli splits {@code --set}
   * at the first '=', so {@code group[rank=1].weightDecay=0} arrives as key {@code group[rank} and value
   * {@code 1].weightDecay=0}.
   */
  public static Map<String, String> rejoined(Map<String, String> parsed) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : parsed.entrySet()) {
      String key = e.getKey();
      String value = e.getValue();
      if (key.indexOf('[') >= 0 && key.indexOf(']') < 0 && value != null) {
        String text = key + "=" + value;
        int eq = separator(text);
        if (eq > 0) {
          key = text.substring(0, eq);
          value = text.substring(eq + 1);
        }
      }
      out.put(key.strip(), value);
    }
    return out;
  }

  /** The hyperparameter a key sets: {@code KEY} for both {@code KEY} and {@code group[SELECTOR].KEY}. */
  public static String baseKey(String key) {
    return VariableGroup.baseKey(key);
  }

  /** Whether {@code key} is a variable-group key {@code group[SELECTOR].KEY}. */
  public static boolean isGroupKey(String key) {
    return VariableGroup.isGroupKey(key);
  }

  /**
   * A fresh builder of {@code optimizer} with {@code settings} applied in order (unvalidated).
   *
   * @throws IllegalArgumentException for an unknown optimizer (listing the registered ones), an unknown key (listing
   *     the optimizer's) or a value that does not parse
   */
  public static OptimizerBuilder<?, ?> builder(String optimizer, Map<String, String> settings) {
    OptimizerBuilder<?, ?> builder = Optimizers.builder(optimizer);
    settings.forEach(builder::set);
    return builder;
  }

  /**
   * Checks {@code settings} for {@code optimizer} as building it would, without a graph: keys, values, ranges, group
   * keys (only per-variable hyperparameters may differ per group) and the optimizer's cross-checks.
   *
   * @return the validated configuration
   * @throws IllegalArgumentException naming the optimizer, the key and what it takes
   */
  public static OptimizerConfig validate(String optimizer, Map<String, String> settings) {
    return builder(optimizer, settings).validate();
  }
}
