package io.github.tftrain.optimizers;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Variables that get their own values of some hyperparameters: selected by a regular expression on the variable's
 * op name (matching the whole name) or by rank.
 *
 * <p>Selectors, as the CLI writes them inside {@code group[...]}: a regular expression such as
 * {@code .*bias|.*beta|.*gamma}, or a rank condition {@code rank<2}, {@code rank<=1}, {@code rank=1},
 * {@code rank>=2}, {@code rank>1}. When several groups set the same hyperparameter for a variable, the last one
 * added wins.
 */
public final class VariableGroup {
  private static final Pattern RANK = Pattern.compile("rank\\s*(<=|>=|<|>|=)\\s*(\\d+)");
  private static final Pattern GROUP_KEY = Pattern.compile("group\\[(.*)\\]\\.([A-Za-z0-9]+)");

  private final String selector;
  private final Pattern pattern;
  private final String rankOperator;
  private final int rank;
  private final Map<Hyperparameter<?>, Object> values;

  private VariableGroup(String selector, Map<Hyperparameter<?>, Object> values) {
    this.selector = selector;
    Matcher m = RANK.matcher(selector.trim());
    if (m.matches()) {
      this.pattern = null;
      this.rankOperator = m.group(1);
      this.rank = Integer.parseInt(m.group(2));
    } else {
      try {
        this.pattern = Pattern.compile(selector);
      } catch (PatternSyntaxException e) {
        throw new IllegalArgumentException(
            "group[" + selector + "]: not a regular expression or rank condition: " + e.getDescription(), e);
      }
      this.rankOperator = null;
      this.rank = -1;
    }
    this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
  }

  /**
   * A group with no values yet.
   *
   * @param selector a regular expression on variable names, or a rank condition (see the class comment)
   * @throws IllegalArgumentException for an empty selector or a malformed expression
   */
  public static VariableGroup of(String selector) {
    if (selector == null || selector.isBlank()) {
      throw new IllegalArgumentException("group[]: the selector must not be empty");
    }
    return new VariableGroup(selector, Map.of());
  }

  /** Whether a text key is a group key {@code group[SELECTOR].KEY} (the CLI's and presets' form). */
  public static boolean isGroupKey(String key) {
    return key != null && GROUP_KEY.matcher(key.strip()).matches();
  }

  /** The selector of a group key {@code group[SELECTOR].KEY}. */
  public static String selectorOf(String groupKey) {
    Matcher m = GROUP_KEY.matcher(groupKey.strip());
    if (!m.matches()) {
      throw new IllegalArgumentException("not a group key group[SELECTOR].KEY: '" + groupKey + "'");
    }
    return m.group(1);
  }

  /** The hyperparameter a text key sets: {@code KEY} for both {@code KEY} and {@code group[SELECTOR].KEY}. */
  public static String baseKey(String key) {
    Matcher m = GROUP_KEY.matcher(key.strip());
    return m.matches() ? m.group(2) : key.strip();
  }

  /** This group with {@code parameter} set to {@code value} (validated when the optimizer's config is). */
  public <V> VariableGroup with(Hyperparameter<V> parameter, V value) {
    Map<Hyperparameter<?>, Object> copy = new LinkedHashMap<>(values);
    copy.put(parameter, value);
    return new VariableGroup(selector, copy);
  }

  /** The selector as given. */
  public String selector() {
    return selector;
  }

  /** The values this group sets. */
  public Map<Hyperparameter<?>, Object> values() {
    return values;
  }

  /** Whether the variable with this op name and rank belongs to the group. */
  public boolean matches(String variableName, int variableRank) {
    if (pattern != null) {
      return pattern.matcher(variableName).matches();
    }
    switch (rankOperator) {
      case "<":
        return variableRank < rank;
      case "<=":
        return variableRank <= rank;
      case ">":
        return variableRank > rank;
      case ">=":
        return variableRank >= rank;
      default:
        return variableRank == rank;
    }
  }

  @Override
  public String toString() {
    StringBuilder text = new StringBuilder("group[").append(selector).append("](");
    String sep = "";
    for (Map.Entry<Hyperparameter<?>, Object> e : values.entrySet()) {
      text.append(sep).append(e.getKey().key()).append('=').append(e.getKey().format(e.getValue()));
      sep = ", ";
    }
    return text.append(')').toString();
  }
}
