package io.github.tftrain.optimizers;

import java.util.Arrays;
import java.util.Locale;
import io.github.tftrain.optimizers.schedule.Schedule;

/**
 * Range checks for hyperparameters. Every failure is an {@link IllegalArgumentException} whose message names the
 * optimizer, the parameter, the allowed range and the rejected value, e.g.
 * {@code "adam: beta1 must be in [0, 1), got 1.2"}.
 */
final class Hyperparameters {
  private Hyperparameters() {}

  static IllegalArgumentException invalid(String optimizer, String name, String range, Object value) {
    return new IllegalArgumentException(
        optimizer + ": " + name + " must be " + range + ", got " + value);
  }

  static double finite(String optimizer, String name, double value) {
    if (!Double.isFinite(value)) {
      throw invalid(optimizer, name, "a finite number", value);
    }
    return value;
  }

  static double nonNegative(String optimizer, String name, double value) {
    if (!(value >= 0) || !Double.isFinite(value)) {
      throw invalid(optimizer, name, ">= 0", value);
    }
    return value;
  }

  static double positive(String optimizer, String name, double value) {
    if (!(value > 0) || !Double.isFinite(value)) {
      throw invalid(optimizer, name, "> 0", value);
    }
    return value;
  }

  /** A decay rate: in [0, 1). */
  static double unitInterval(String optimizer, String name, double value) {
    if (!(value >= 0 && value < 1)) {
      throw invalid(optimizer, name, "in [0, 1)", value);
    }
    return value;
  }

  static long nonNegative(String optimizer, String name, long value) {
    if (value < 0) {
      throw invalid(optimizer, name, ">= 0", value);
    }
    return value;
  }

  /** A schedule whose every value is >= 0 (learning rates, gains). */
  static Schedule nonNegative(String optimizer, String name, Schedule schedule) {
    if (schedule == null) {
      throw new IllegalArgumentException(optimizer + ": " + name + " must not be null");
    }
    double min = schedule.minimumValue();
    if (!(min >= 0)) {
      throw invalid(optimizer, name, ">= 0 at every step", schedule + " (reaches " + min + ")");
    }
    if (Double.isInfinite(schedule.maximumValue())) {
      throw invalid(optimizer, name, "bounded", schedule + " (grows without bound)");
    }
    return schedule;
  }

  /** Parses a case-insensitive enum value, listing the allowed names on failure. */
  static <E extends Enum<E>> E parseEnum(String optimizer, String name, Class<E> type, String text) {
    for (E constant : type.getEnumConstants()) {
      if (constant.name().equalsIgnoreCase(text.trim())) {
        return constant;
      }
    }
    String allowed =
        Arrays.stream(type.getEnumConstants())
            .map(e -> e.name().toLowerCase(Locale.ROOT))
            .reduce((a, b) -> a + "|" + b)
            .orElse("");
    throw invalid(optimizer, name, "one of " + allowed, "'" + text + "'");
  }
}
