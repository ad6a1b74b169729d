package io.github.tftrain.cli.commands;

import io.github.tftrain.cli.settings.RunOptions;
import io.github.tftrain.cli.settings.RunSettings;
import io.github.tftrain.cli.settings.Settings;
import io.github.tftrain.cli.settings.TrainConfig;
import io.github.tftrain.trainer.Progress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a {@code tftrain compare} study trains: every optimizer × every point of its hyperparameter grid × every seed,
 * one run directory each, and how their results are summarised (mean ± standard deviation over seeds; per optimizer
 * the grid point with the best mean validation metric, and the spread of that mean over the grid).
 */
final class Study {
  /** One run of the study. */
  record Trial(String optimizer, Map<String, String> point, long seed, TrainConfig config, Path dir) {
    /** The grid point as text: {@code lr=0.1,momentum=0.9}, or {@code default}. */
    String pointLabel() {
      return label(point);
    }
  }

  private Study() {}

  static String label(Map<String, String> point) {
    if (point.isEmpty()) {
      return "default";
    }
    List<String> parts = new ArrayList<>();
    point.forEach((k, v) -> parts.add(k + "=" + v));
    return String.join(",", parts);
  }

  /**
   * The trials, resolved (a bad optimizer, key or value fails here, before anything trains).
   *
   * @param grid {@code KEY.OPTIMIZER} → values (e.g. {@code lr.sgd} → 0.03, 0.1, 0.3)
   * @param seeds the seeds, or empty for the run settings' own seed
   * @param root the study's folder: one optimizer, no grid and no seeds keep the plain {@code root/OPTIMIZER}
   */
  static List<Trial> plan(RunOptions options, List<String> optimizers, Map<String, String> grid, List<Long> seeds,
      Path root) {
    Map<String, Map<String, List<String>>> byOptimizer = new LinkedHashMap<>();
    for (Map.Entry<String, String> entry : grid.entrySet()) {
      int dot = entry.getKey().lastIndexOf('.');
      if (dot <= 0 || dot == entry.getKey().length() - 1) {
        throw new IllegalArgumentException("--grid " + entry.getKey() + "=...: the key is KEY.OPTIMIZER, e.g. "
            + "lr.sgd=0.03,0.1,0.3");
      }
      String optimizer = entry.getKey().substring(dot + 1).toLowerCase(Locale.ROOT);
      if (!optimizers.contains(optimizer)) {
        throw new IllegalArgumentException("--grid " + entry.getKey() + ": " + optimizer + " is not one of "
            + "--optimizers " + String.join(",", optimizers));
      }
      List<String> values = new ArrayList<>();
      for (String value : entry.getValue().split(",")) {
        if (!value.isBlank()) {
          values.add(value.trim());
        }
      }
      if (values.isEmpty()) {
        throw new IllegalArgumentException("--grid " + entry.getKey() + ": no values");
      }
      byOptimizer.computeIfAbsent(optimizer, o -> new LinkedHashMap<>())
          .put(entry.getKey().substring(0, dot), values);
    }
    boolean plain = grid.isEmpty() && seeds.isEmpty();
    List<Trial> trials = new ArrayList<>();
    for (String optimizer : optimizers) {
      for (Map<String, String> point : points(byOptimizer.getOrDefault(optimizer, Map.of()))) {
        List<Long> perPoint = new ArrayList<>(seeds);
        if (perPoint.isEmpty()) {
          perPoint.add(null); // the run settings' own seed
        }
        for (Long seed : perPoint) {
          Map<String, String> set = new LinkedHashMap<>(options.get(RunSettings.SET).orElse(Map.of()));
          set.putAll(point);
          RunOptions trial = options.with(RunSettings.OPTIMIZER, optimizer)
              .with(RunSettings.SET, set.isEmpty() ? null : set);
          if (seed != null) {
            trial = trial.with(RunSettings.SEED, seed);
          }
          TrainConfig config = Settings.resolve(trial);
          Path dir = plain ? root.resolve(optimizer)
              : root.resolve(optimizer).resolve(label(point)).resolve("seed-" + config.seed());
          trials.add(new Trial(optimizer, point, config.seed(), config, dir));
        }
      }
    }
    return trials;
  }

  /** Every combination of the keys' values, in order (one empty point when there is no grid). */
  private static List<Map<String, String>> points(Map<String, List<String>> keys) {
    List<Map<String, String>> points = new ArrayList<>();
    points.add(new LinkedHashMap<>());
    for (Map.Entry<String, List<String>> key : keys.entrySet()) {
      List<Map<String, String>> next = new ArrayList<>();
      for (Map<String, String> point : points) {
        for (String value : key.getValue()) {
          Map<String, String> extended = new LinkedHashMap<>(point);
          extended.put(key.getKey(), value);
          next.add(extended);
        }
      }
      points = next;
    }
    return points;
  }

  /** The results of one configuration (an optimizer at a grid point) over its seeds. */
  record Configuration(String optimizer, String point, List<CompareCommand.Row> runs) {
    Stats finalMetric() {
      return Stats.of(runs.stream().mapToDouble(CompareCommand.Row::finalMetric).toArray());
    }

    Stats bestMetric() {
      return Stats.of(runs.stream().mapToDouble(CompareCommand.Row::bestMetric).toArray());
    }

    Stats finalLoss() {
      return Stats.of(runs.stream().mapToDouble(CompareCommand.Row::finalLoss).toArray());
    }

    Stats seconds() {
      return Stats.of(runs.stream().mapToDouble(CompareCommand.Row::seconds).toArray());
    }

    /** What picks the grid winner: the mean best metric, else (no evaluation metric) the mean final loss. */
    double score() {
      double metric = bestMetric().mean();
      return Double.isNaN(metric) ? finalLoss().mean() : metric;
    }

    String exitCodes() {
      return String.join(" ", runs.stream().map(r -> Integer.toString(r.exitCode())).toList());
    }
  }

  /** Mean and sample standard deviation (n − 1; 0 for one value); NaN when any value is. */
  record Stats(double mean, double std, int n) {
    static Stats of(double[] values) {
      double sum = 0;
      for (double v : values) {
        sum += v;
      }
      double mean = sum / values.length;
      double squares = 0;
      for (double v : values) {
        squares += (v - mean) * (v - mean);
      }
      return new Stats(mean, values.length > 1 ? Math.sqrt(squares / (values.length - 1)) : 0, values.length);
    }

    String text() {
      if (Double.isNaN(mean)) {
        return "-";
      }
      return n > 1 ? String.format(Locale.ROOT, "%.4f ± %.4f", mean, std) : String.format(Locale.ROOT, "%.4f", mean);
    }
  }

  /** The configurations, grouped from the runs in plan order. */
  static List<Configuration> configurations(List<Trial> trials, List<CompareCommand.Row> rows) {
    Map<String, Configuration> byKey = new LinkedHashMap<>();
    for (int i = 0; i < trials.size(); i++) {
      Trial t = trials.get(i);
      byKey.computeIfAbsent(t.optimizer() + " " + t.pointLabel(),
          k -> new Configuration(t.optimizer(), t.pointLabel(), new ArrayList<>())).runs().add(rows.get(i));
    }
    return new ArrayList<>(byKey.values());
  }

  /** Per optimizer, its best configuration (lowest score). */
  static Map<String, Configuration> winners(List<Configuration> configurations) {
    Map<String, Configuration> winners = new LinkedHashMap<>();
    for (Configuration c : configurations) {
      Configuration best = winners.get(c.optimizer());
      if (best == null || c.score() < best.score()) {
        winners.put(c.optimizer(), c);
      }
    }
    return winners;
  }

  /** The Markdown report: per optimizer its winner, then every configuration. */
  static String markdown(List<Configuration> configurations, String metric, List<String> command) {
    String m = metric == null ? "-" : metric;
    StringBuilder md = new StringBuilder();
    md.append("Command: `tftrain ").append(String.join(" ", command)).append("`\n\n");
    md.append("| optimizer | best configuration | seeds | final ").append(m).append(" | best ").append(m)
        .append(" | final train loss | best ").append(m).append(" over the grid (min – max of the means) | time per "
            + "run |\n|---|---|---|---|---|---|---|---|\n");
    Map<String, Configuration> winners = winners(configurations);
    for (Configuration w : winners.values()) {
      double low = Double.NaN;
      double high = Double.NaN;
      int points = 0;
      for (Configuration c : configurations) {
        if (c.optimizer().equals(w.optimizer())) {
          double v = c.bestMetric().mean();
          low = Double.isNaN(low) || v < low ? v : low;
          high = Double.isNaN(high) || v > high ? v : high;
          points++;
        }
      }
      String spread = points < 2 || Double.isNaN(low) ? "-"
          : String.format(Locale.ROOT, "%.4f – %.4f (%d points)", low, high, points);
      md.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %s | %s | %s | %s |%n", w.optimizer(), w.point(),
          w.runs().size(), w.finalMetric().text(), w.bestMetric().text(), w.finalLoss().text(), spread,
          Progress.duration(w.seconds().mean())));
    }
    md.append("\nEvery configuration (mean ± standard deviation over its seeds; exit codes per seed):\n\n");
    md.append("| optimizer | configuration | exit | final ").append(m).append(" | best ").append(m)
        .append(" | final train loss |\n|---|---|---|---|---|---|\n");
    for (Configuration c : configurations) {
      md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |%n", c.optimizer(), c.point(),
          c.exitCodes(), c.finalMetric().text(), c.bestMetric().text(), c.finalLoss().text()));
    }
    return md.toString();
  }

  /**
   * The report as one HTML page that opens in a browser: what was run (command, data, budget, versions from the
   * first run's config.json), the tables, and the charts inline.
   */
  static String html(String markdown, Trial first, int runs, Path root, List<String> charts) throws java.io.IOException {
    Map<String, Object> config = io.github.tftrain.trainer.Json.parseObject(java.nio.file.Files.readString(
        first.dir().resolve("config.json"), java.nio.charset.StandardCharsets.UTF_8));
    TrainConfig c = first.config();
    StringBuilder page = new StringBuilder("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>tftrain "
        + "compare</title><style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:"
        + "collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}code{background:#f4f4f4}"
        + "</style></head><body>\n<h1>tftrain compare</h1>\n");
    page.append("<p>Data: <code>").append(escape(c.data())).append("</code> (").append(escape(c.dataFormat()))
        .append("); model ").append(escape(c.model())).append("; budget per run: ")
        .append(c.steps() > 0 ? c.steps() + " steps" : c.epochs() + " epochs").append(" of batch ")
        .append(c.batchSize()).append("; ").append(runs).append(" runs; versions: <code>")
        .append(escape(String.valueOf(config.get("versions")))).append("</code></p>\n");
    boolean table = false;
    for (String line : markdown.split("\n")) {
      if (line.startsWith("|---")) {
        continue;
      }
      if (line.startsWith("|")) {
        if (!table) {
          page.append("<table>\n");
          table = true;
        }
        page.append("<tr>");
        String[] cells = line.substring(1, line.length() - 1).split("\\|");
        for (String cell : cells) {
          page.append("<td>").append(escape(cell.trim())).append("</td>");
        }
        page.append("</tr>\n");
        continue;
      }
      if (table) {
        page.append("</table>\n");
        table = false;
      }
      if (!line.isBlank()) {
        page.append("<p>").append(escape(line).replaceAll("`([^`]*)`", "<code>$1</code>")).append("</p>\n");
      }
    }
    if (table) {
      page.append("</table>\n");
    }
    for (String chart : charts) {
      byte[] png = java.nio.file.Files.readAllBytes(root.resolve(chart));
      page.append("<p><img alt=\"").append(chart).append("\" src=\"data:image/png;base64,")
          .append(java.util.Base64.getEncoder().encodeToString(png)).append("\"></p>\n");
    }
    return page.append("</body></html>\n").toString();
  }

  private static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  /** One CSV row per configuration. */
  static String csv(List<Configuration> configurations, String metric) {
    String m = metric == null ? "metric" : metric;
    StringBuilder csv = new StringBuilder("optimizer,configuration,seeds,exit_codes,final_" + m + "_mean,final_" + m
        + "_std,best_" + m + "_mean,best_" + m + "_std,final_train_loss_mean,seconds_mean\n");
    for (Configuration c : configurations) {
      csv.append(String.format(Locale.ROOT, "%s,\"%s\",%d,%s,%.17g,%.17g,%.17g,%.17g,%.17g,%.3f%n", c.optimizer(),
          c.point(), c.runs().size(), c.exitCodes(), c.finalMetric().mean(), c.finalMetric().std(),
          c.bestMetric().mean(), c.bestMetric().std(), c.finalLoss().mean(), c.seconds().mean()));
    }
    return csv.toString();
  }
}
