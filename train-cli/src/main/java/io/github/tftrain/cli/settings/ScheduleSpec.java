package io.github.tftrain.cli.settings;

import io.github.tftrain.optimizers.schedule.Schedule;
import java.util.Locale;

/**
 * A learning-rate schedule as written on the command line, in epochs, turned into a {@link Schedule} over the
 * optimizer's steps once the steps per epoch are known:
 *
 * <pre>
 * constant                    the base value throughout (default)
 * step:E:G                    times G every E epochs                  (step:30:0.1)
 * multistep:E1,E2,...:G       times G at each listed epoch             (multistep:60,120,160:0.2)
 * cosine                      cosine annealing to 0 over the run
 * cosine:MIN                  ... to MIN                               (cosine:1e-5)
 * warmup:E+SPEC               linear warmup from 0 over E epochs, multiplying SPEC   (warmup:5+cosine)
 * </pre>
 *
 * The base value is the optimizer's learning rate (KaFiStO: the gain). Epoch counts may be fractional.
 */
public record ScheduleSpec(String text) {
  public ScheduleSpec {
    text = text == null ? "constant" : text.trim().toLowerCase(Locale.ROOT);
    check(text);
  }

  private static void check(String text) {
    // builds once with dummy sizes so that every syntax error surfaces when the flag is read
    build(text, 1.0, 100, 10_000);
  }

  /**
   * @param base the learning rate at step 0
   * @param stepsPerEpoch optimizer steps per epoch
   * @param totalSteps steps in the whole run (cosine's period)
   */
  public Schedule toSchedule(double base, long stepsPerEpoch, long totalSteps) {
    return build(text, base, stepsPerEpoch, totalSteps);
  }

  private static Schedule build(String text, double base, long stepsPerEpoch, long totalSteps) {
    if (text.startsWith("warmup:")) {
      int plus = text.indexOf('+');
      if (plus < 0) {
        throw bad(text, "warmup needs '+' and a schedule after it, e.g. warmup:5+cosine");
      }
      double epochs = number(text, text.substring("warmup:".length(), plus), "warmup epochs");
      long steps = Math.max(1, Math.round(epochs * stepsPerEpoch));
      return build(text.substring(plus + 1), base, stepsPerEpoch, totalSteps).withLinearWarmup(steps, 0.0);
    }
    String[] parts = text.split(":", -1);
    switch (parts[0]) {
      case "constant" -> {
        expectParts(text, parts, 1);
        return Schedule.constant(base);
      }
      case "step" -> {
        expectParts(text, parts, 3);
        double epochs = number(text, parts[1], "epochs between decays");
        if (epochs <= 0) {
          throw bad(text, "the step's period E must be > 0 epochs, got '" + parts[1] + "'");
        }
        return Schedule.step(base, Math.max(1, Math.round(epochs * stepsPerEpoch)), number(text, parts[2], "gamma"));
      }
      case "multistep" -> {
        expectParts(text, parts, 3);
        String[] items = parts[1].split(",");
        long[] milestones = new long[items.length];
        for (int i = 0; i < items.length; i++) {
          milestones[i] = Math.round(number(text, items[i], "milestone") * stepsPerEpoch);
        }
        try {
          return Schedule.multiStep(base, milestones, number(text, parts[2], "gamma"));
        } catch (IllegalArgumentException e) {
          throw bad(text, e.getMessage());
        }
      }
      case "range" -> {
        // the learning-rate range test's sweep (tftrain lr-find): absolute values, the base lr is not used
        expectParts(text, parts, 3);
        double start = number(text, parts[1], "start");
        double end = number(text, parts[2], "end");
        if (!(start > 0) || !(end > start)) {
          throw bad(text, "range needs 0 < START < END");
        }
        return Schedule.exponential(start, end, Math.max(2, totalSteps));
      }
      case "cosine" -> {
        if (parts.length > 2) {
          throw bad(text, "cosine takes at most one value, the minimum");
        }
        double min = parts.length == 2 ? number(text, parts[1], "minimum") : 0.0;
        return Schedule.cosine(base, Math.max(1, totalSteps), min);
      }
      default -> throw bad(text, "unknown schedule '" + parts[0] + "'");
    }
  }

  private static void expectParts(String text, String[] parts, int n) {
    if (parts.length != n) {
      throw bad(text, parts[0] + " takes " + (n - 1) + " value(s) separated by ':'");
    }
  }

  private static double number(String text, String value, String what) {
    try {
      double v = Double.parseDouble(value.trim());
      if (!Double.isFinite(v) || v < 0) {
        throw bad(text, what + " must be a finite number >= 0, got '" + value + "'");
      }
      return v;
    } catch (NumberFormatException e) {
      throw bad(text, what + " must be a number, got '" + value + "'");
    }
  }

  private static IllegalArgumentException bad(String text, String why) {
    return new IllegalArgumentException(
        "--schedule '" + text + "': " + why + " (valid: constant, step:E:G, multistep:E1,E2:G, cosine[:MIN], "
            + "warmup:E+SCHEDULE)");
  }

  @Override
  public String toString() {
    return text;
  }
}
