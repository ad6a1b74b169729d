package io.github.tftrain.optimizers;

import java.util.function.DoublePredicate;

/**
 * The allowed values of a numeric hyperparameter, with the words an error message and the documentation use for
 * them ("in [0, 1)", "&gt; 0").
 */
public final class Range {
  private final String description;
  private final DoublePredicate test;

  private Range(String description, DoublePredicate test) {
    this.description = description;
    this.test = test;
  }

  /** Any finite number. */
  public static Range finite() {
    return new Range("a finite number", Double::isFinite);
  }

  /** A finite number &gt;= {@code min}. */
  public static Range atLeast(double min) {
    return new Range(">= " + format(min), v -> v >= min && Double.isFinite(v));
  }

  /** A finite number &gt; {@code min}. */
  public static Range above(double min) {
    return new Range("> " + format(min), v -> v > min && Double.isFinite(v));
  }

  /** A decay rate or momentum: in [0, 1). */
  public static Range unitInterval() {
    return new Range("in [0, 1)", v -> v >= 0 && v < 1);
  }

  /** A fraction: in [0, 1]. */
  public static Range closedUnitInterval() {
    return new Range("in [0, 1]", v -> v >= 0 && v <= 1);
  }

  /** A fraction that excludes 0: in (0, 1]. */
  public static Range openClosedUnitInterval() {
    return new Range("in (0, 1]", v -> v > 0 && v <= 1);
  }

  /** A range with its own description, e.g. {@code "in [1, 10]"}. */
  public static Range of(String description, DoublePredicate test) {
    return new Range(description, test);
  }

  /** Whether {@code value} is allowed. */
  public boolean contains(double value) {
    return test.test(value);
  }

  /** The allowed values in words, as error messages and documentation say them. */
  @Override
  public String toString() {
    return description;
  }

  static String format(double value) {
    if (value == Math.rint(value) && Math.abs(value) < 1e15) {
      return Long.toString((long) value);
    }
    return Double.toString(value);
  }
}
