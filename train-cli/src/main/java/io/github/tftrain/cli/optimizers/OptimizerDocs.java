package io.github.tftrain.cli.optimizers;

import io.github.tftrain.optimizers.Hyperparameter;
import io.github.tftrain.optimizers.OptimizerSpec;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The optimizers' documentation, rendered from their {@link OptimizerSpec}s (nothing here is written by hand): the
 * one-line listing, one optimizer's hyperparameter tables as text, and the README's markdown.
 */
public final class OptimizerDocs {
  /** How a group key is written, for the texts below. */
  static final String GROUP_SYNTAX =
      "group[SELECTOR].KEY=VALUE sets a per-variable KEY for the variables SELECTOR picks: a regular expression on "
          + "the variable's name (group[.*bias|.*beta|.*gamma].weightDecay=0) or a rank condition with <, <=, =, >= "
          + "or > (group[rank<2].weightDecay=0); when several groups set a key for a variable, the last one wins";

  private OptimizerDocs() {}

  /** One line per optimizer: its name, padded, and its summary. */
  public static String list(Collection<OptimizerSpec> specs) {
    int width = specs.stream().mapToInt(s -> s.name().length()).max().orElse(0);
    StringBuilder out = new StringBuilder();
    for (OptimizerSpec spec : specs) {
      out.append(spec.name()).append(" ".repeat(width - spec.name().length() + 2)).append(spec.summary())
          .append('\n');
    }
    return out.toString();
  }

  /**
   * One optimizer as text: name and summary, source, a table of its own hyperparameters (key, default, allowed
   * values, description), a table of the ones every optimizer accepts, and which keys may differ per group.
   */
  public static String describe(OptimizerSpec spec) {
    StringBuilder out = new StringBuilder();
    out.append(spec.name()).append(" - ").append(spec.summary()).append('\n');
    out.append("source: ").append(spec.source()).append("\n\n");
    List<Hyperparameter<?>> own = spec.documentedHyperparameters();
    List<Hyperparameter<?>> common = common(spec);
    List<Hyperparameter<?>> all = new ArrayList<>(own);
    all.addAll(common);
    int[] widths = {"key".length(), "default".length(), "allowed".length()};
    for (Hyperparameter<?> p : all) {
      widths[0] = Math.max(widths[0], p.key().length());
      widths[1] = Math.max(widths[1], defaultText(p).length());
      widths[2] = Math.max(widths[2], p.allowed().length());
    }
    row(out, widths, "key", "default", "allowed", "description");
    for (Hyperparameter<?> p : own) {
      row(out, widths, p.key(), defaultText(p), p.allowed(), p.description());
    }
    out.append("\ncommon to every optimizer:\n");
    for (Hyperparameter<?> p : common) {
      row(out, widths, p.key(), defaultText(p), p.allowed(), p.description());
    }
    List<String> perVariable = perVariableKeys(spec);
    out.append("\nper-variable keys: ")
        .append(perVariable.isEmpty() ? "none (every key is shared by all variables)" : String.join(", ", perVariable))
        .append('\n');
    out.append(GROUP_SYNTAX).append(".\n");
    out.append("set them with --set KEY=VALUE (train, compare, trace, bench) or set.").append(spec.name())
        .append(".KEY = VALUE in a preset.\n");
    return out.toString();
  }

  /**
   * The README's markdown: the hyperparameters every optimizer accepts, then for each optimizer a line with its name,
   * summary and source and a table {@code | key | default | allowed | meaning |} of its own hyperparameters.
   */
  public static String markdown(Collection<OptimizerSpec> specs) {
    StringBuilder out = new StringBuilder();
    if (!specs.isEmpty()) {
      OptimizerSpec any = specs.iterator().next();
      out.append("Every optimizer also takes the keys below (`tftrain optimizers NAME` lists them with its own). "
          + "Keys marked \"per variable group\" may differ between variables: `--set 'group[SELECTOR].KEY=VALUE'` "
          + "(in a preset `set.OPT.group[SELECTOR].KEY = VALUE`), where SELECTOR is a regular expression on the "
          + "variable's name (`group[.*bias|.*beta|.*gamma].weightDecay=0`) or a rank condition with `<`, `<=`, "
          + "`=`, `>=` or `>` (`group[rank<2].weightDecay=0`); when several groups set a key for a variable, the "
          + "last one wins.\n\n");
      table(out, common(any));
    }
    for (OptimizerSpec spec : specs) {
      out.append('\n').append(markdown(spec));
    }
    return out.toString();
  }

  /** One optimizer's markdown: the heading line and its table. */
  public static String markdown(OptimizerSpec spec) {
    StringBuilder out = new StringBuilder();
    out.append("**`").append(spec.name()).append("`** — ").append(markdownCell(spec.summary())).append(". Source: ")
        .append(markdownCell(spec.source())).append(".\n\n");
    table(out, spec.documentedHyperparameters());
    return out.toString();
  }

  /** The hyperparameters every optimizer accepts (clipping and the wrappers), as this spec declares them. */
  static List<Hyperparameter<?>> common(OptimizerSpec spec) {
    List<Hyperparameter<?>> documented = spec.documentedHyperparameters();
    List<Hyperparameter<?>> common = new ArrayList<>();
    for (Hyperparameter<?> p : spec.hyperparameters()) {
      if (!documented.contains(p)) {
        common.add(p);
      }
    }
    return common;
  }

  static List<String> perVariableKeys(OptimizerSpec spec) {
    List<String> keys = new ArrayList<>();
    for (Hyperparameter<?> p : spec.hyperparameters()) {
      if (p.isPerVariable()) {
        keys.add(p.key());
      }
    }
    return keys;
  }

  private static String defaultText(Hyperparameter<?> p) {
    String text = p.defaultText();
    return text == null ? "unset" : text;
  }

  private static void row(StringBuilder out, int[] widths, String key, String defaultValue, String allowed,
      String description) {
    out.append(pad(key, widths[0])).append("  ").append(pad(defaultValue, widths[1])).append("  ")
        .append(pad(allowed, widths[2])).append("  ").append(description).append('\n');
  }

  private static String pad(String text, int width) {
    return text + " ".repeat(Math.max(0, width - text.length()));
  }

  private static void table(StringBuilder out, List<Hyperparameter<?>> parameters) {
    out.append("| key | default | allowed | meaning |\n|---|---|---|---|\n");
    for (Hyperparameter<?> p : parameters) {
      out.append("| `").append(p.key()).append("` | ").append(markdownCell(defaultText(p))).append(" | ")
          .append(markdownCell(p.allowed())).append(" | ").append(markdownCell(p.description()))
          .append(p.isPerVariable() ? " (per variable group)" : "").append(" |\n");
    }
  }

  /** Text for a markdown table cell: '|' escaped, no line breaks. */
  static String markdownCell(String text) {
    return text.replace("|", "\\|").replace('\n', ' ');
  }
}
