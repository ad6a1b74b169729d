package io.github.tftrain.optimizers;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The declaration of one hyperparameter: key, type, default, allowed values and a one-line description. An optimizer
 * declares each of its hyperparameters once, as a constant; setting it from text ({@code --set key=value}), the typed
 * builder method, validation, {@code toString}, the CLI's list of valid keys, {@code tftrain optimizers} and the
 * README's tables all read that constant.
 *
 * <pre>{@code
 * public static final Hyperparameter<Double> BETA1 =
 *     Hyperparameter.real("beta1", 0.9, Range.unitInterval(), "decay of the first moment");
 * }</pre>
 *
 * @param <V> Double, Long, Boolean or an enum type
 */
public final class Hyperparameter<V> {
  /** How a value is written and parsed. */
  public enum Kind {
    /** A double. */
    REAL,
    /** A long. */
    INTEGER,
    /** true or false. */
    FLAG,
    /** One of an enum's constants, written in lower case. */
    CHOICE
  }

  private final String key;
  private final Kind kind;
  private final Class<V> type;
  private final V defaultValue;
  private final String defaultText;
  private final Range range;
  private final String description;
  private final boolean perVariable;

  private Hyperparameter(
      String key,
      Kind kind,
      Class<V> type,
      V defaultValue,
      String defaultText,
      Range range,
      String description,
      boolean perVariable) {
    if (key == null || !key.matches("[a-z][A-Za-z0-9]*")) {
      throw new IllegalArgumentException("a hyperparameter key is a lowerCamelCase word, got '" + key + "'");
    }
    this.key = key;
    this.kind = kind;
    this.type = type;
    this.defaultValue = defaultValue;
    this.defaultText = defaultText;
    this.range = range;
    this.description = Objects.requireNonNull(description, "description");
    this.perVariable = perVariable;
  }

  /** A real number with a default and a range. */
  public static Hyperparameter<Double> real(String key, double defaultValue, Range range, String description) {
    if (!range.contains(defaultValue)) {
      throw new IllegalArgumentException(key + ": default " + defaultValue + " is not " + range);
    }
    return new Hyperparameter<>(key, Kind.REAL, Double.class, defaultValue, null, range, description, false);
  }

  /**
   * A real number that may stay unset (then {@link OptimizerConfig#get} returns null and the optimizer resolves it,
   * e.g. KaFiStO's adaptive R). {@code unsetText} says what unset means, for documentation ("adaptive").
   */
  public static Hyperparameter<Double> optionalReal(String key, Range range, String unsetText, String description) {
    return new Hyperparameter<>(key, Kind.REAL, Double.class, null, unsetText, range, description, false);
  }

  /** An integer with a default and a range. */
  public static Hyperparameter<Long> integer(String key, long defaultValue, Range range, String description) {
    if (!range.contains(defaultValue)) {
      throw new IllegalArgumentException(key + ": default " + defaultValue + " is not " + range);
    }
    return new Hyperparameter<>(key, Kind.INTEGER, Long.class, defaultValue, null, range, description, false);
  }

  /** true or false. */
  public static Hyperparameter<Boolean> flag(String key, boolean defaultValue, String description) {
    return new Hyperparameter<>(key, Kind.FLAG, Boolean.class, defaultValue, null, null, description, false);
  }

  /** One of an enum's constants (written and parsed in lower case). */
  public static <E extends Enum<E>> Hyperparameter<E> choice(
      String key, Class<E> type, E defaultValue, String description) {
    return new Hyperparameter<>(key, Kind.CHOICE, type, defaultValue, null, null, description, false);
  }

  /**
   * This hyperparameter with a default that depends on others: unset until set, and documented by
   * {@code defaultText} (e.g. {@code "0.01 (dynamics), 1.0 (vanilla)"}). The optimizer resolves the value.
   */
  public Hyperparameter<V> withDerivedDefault(String text) {
    return new Hyperparameter<>(key, kind, type, null, text, range, description, perVariable);
  }

  /**
   * This hyperparameter, allowed to differ per variable group ({@code group[.*bias].weightDecay=0}). Only the
   * optimizer's per-element hyperparameters are: quantities shared by all variables (KaFiStO's filter) are not.
   */
  public Hyperparameter<V> perVariable() {
    return new Hyperparameter<>(key, kind, type, defaultValue, defaultText, range, description, true);
  }

  /** This hyperparameter with another default (the same declaration for an optimizer whose default differs). */
  public Hyperparameter<V> withDefault(V value) {
    Hyperparameter<V> copy =
        new Hyperparameter<>(key, kind, type, value, null, range, description, perVariable);
    copy.check("default", value);
    return copy;
  }

  /** The key: the builder's method name and the CLI's {@code --set} name. */
  public String key() {
    return key;
  }

  /** How values are written. */
  public Kind kind() {
    return kind;
  }

  /** Double, Long, Boolean or the enum type. */
  public Class<V> type() {
    return type;
  }

  /** The default, or null when it is unset or derived (see {@link #defaultText()}). */
  public V defaultValue() {
    return defaultValue;
  }

  /** The default as the documentation writes it (numbers short: 0.9, 500, 1e-8, 2.5e-3). */
  public String defaultText() {
    if (defaultValue instanceof Double) {
      return shortNumber((Double) defaultValue);
    }
    return defaultValue != null ? format(defaultValue) : defaultText;
  }

  /** 0, 500, 0.9, 0.001, 1e-8, 2.5e-4: what a person writes (and {@link #parse} reads back). */
  static String shortNumber(double value) {
    if (value == 0) {
      return "0";
    }
    double magnitude = Math.abs(value);
    if (magnitude >= 1e-3 && magnitude < 1e6) {
      return java.math.BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }
    String text = Double.toString(value); // e.g. 1.0E-8
    int e = text.indexOf('E');
    if (e < 0) {
      return text;
    }
    String mantissa = text.substring(0, e).replaceFirst("\\.0$", "");
    return mantissa + "e" + text.substring(e + 1);
  }

  /** The allowed values in words: a range, "true or false", or the choices separated by '|'. */
  public String allowed() {
    switch (kind) {
      case FLAG:
        return "true or false";
      case CHOICE:
        return "one of " + String.join("|", choices());
      default:
        return range.toString();
    }
  }

  /** The one-line description. */
  public String description() {
    return description;
  }

  /** Whether groups of variables may override it. */
  public boolean isPerVariable() {
    return perVariable;
  }

  /** The lower-case names of a choice's constants; empty for other kinds. */
  public List<String> choices() {
    if (kind != Kind.CHOICE) {
      return List.of();
    }
    return Arrays.stream(type.getEnumConstants())
        .map(e -> ((Enum<?>) e).name().toLowerCase(Locale.ROOT))
        .collect(Collectors.toList());
  }

  /**
   * Parses a value from text.
   *
   * @param optimizer the optimizer's name, for the message
   * @throws IllegalArgumentException naming the optimizer, the key and what it takes
   */
  public V parse(String optimizer, String text) {
    if (text == null) {
      throw new IllegalArgumentException(optimizer + ": no value given for " + key);
    }
    String trimmed = text.trim();
    switch (kind) {
      case REAL:
        try {
          return type.cast(Double.parseDouble(trimmed));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(optimizer + ": " + key + " must be a number, got '" + text + "'", e);
        }
      case INTEGER:
        try {
          return type.cast(Long.parseLong(trimmed));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(optimizer + ": " + key + " must be an integer, got '" + text + "'", e);
        }
      case FLAG:
        if (trimmed.equalsIgnoreCase("true") || trimmed.equalsIgnoreCase("false")) {
          return type.cast(Boolean.parseBoolean(trimmed));
        }
        throw new IllegalArgumentException(optimizer + ": " + key + " must be true or false, got '" + text + "'");
      default:
        for (V constant : type.getEnumConstants()) {
          if (((Enum<?>) constant).name().equalsIgnoreCase(trimmed)) {
            return constant;
          }
        }
        throw invalid(optimizer, "'" + text + "'");
    }
  }

  /**
   * Checks a value against the declaration.
   *
   * @return the value
   * @throws IllegalArgumentException "optimizer: key must be RANGE, got VALUE"
   */
  public V check(String optimizer, V value) {
    if (value == null) {
      throw new IllegalArgumentException(optimizer + ": " + key + " must not be null");
    }
    if (!type.isInstance(value)) {
      throw new IllegalArgumentException(
          optimizer + ": " + key + " takes a " + type.getSimpleName() + ", got " + value.getClass().getSimpleName());
    }
    if (kind == Kind.REAL && !range.contains((Double) value)) {
      throw invalid(optimizer, format(value));
    }
    if (kind == Kind.INTEGER && !range.contains((Long) value)) {
      throw invalid(optimizer, format(value));
    }
    return value;
  }

  /** Writes a value as {@link #parse} reads it. */
  public String format(Object value) {
    if (value == null) {
      return defaultText == null ? "unset" : defaultText;
    }
    if (value instanceof Enum<?>) {
      return ((Enum<?>) value).name().toLowerCase(Locale.ROOT);
    }
    if (value instanceof Double) {
      return Double.toString((Double) value);
    }
    return value.toString();
  }

  private IllegalArgumentException invalid(String optimizer, String got) {
    return new IllegalArgumentException(optimizer + ": " + key + " must be " + allowed() + ", got " + got);
  }

  @Override
  public String toString() {
    return key;
  }
}
