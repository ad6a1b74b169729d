package io.github.tftrain.cli.commands;

import io.github.tftrain.trainer.Plots;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tftrain plot}: one chart of a metrics.csv column over groups of finished runs, each group drawn as the mean
 * of its runs with a min-max band, as {@code compare} draws its best configurations; for runs of different studies
 * (a variant of an optimizer against its default from another study, say).
 */
@Command(
    name = "plot",
    mixinStandardHelpOptions = true,
    description = {
      "Chart a metrics.csv column of groups of runs: each LABEL=RUN[,RUN...] is one line, the mean of its runs "
          + "(seeds) with a band from their minimum to their maximum, by step or by epoch.",
      "Example: tftrain plot --column loss --out variants.png paper=runs/a/seed-1,runs/a/seed-2 "
          + "authors=runs/b/seed-1,runs/b/seed-2"
    })
public final class PlotCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(arity = "1..*", paramLabel = "LABEL=RUN[,RUN...]",
      description = "A line of the chart: its label and the run directories it averages.")
  List<String> groups;

  @Option(names = "--column", defaultValue = "loss", paramLabel = "NAME",
      description = "The metrics.csv column (default loss), e.g. test_error, valid_ppl, effective_step.")
  String column;

  @Option(names = "--by", defaultValue = "step", paramLabel = "step|epoch",
      description = "The x axis: every logged row by step (default), or one point per epoch (the mean of its rows).")
  String by;

  @Option(names = "--out", required = true, paramLabel = "PNG", description = "The chart to write.")
  Path out;

  @Override
  public Integer call() throws IOException {
    if (!by.equals("step") && !by.equals("epoch")) {
      throw new IllegalArgumentException("--by must be step or epoch, got '" + by + "'");
    }
    Map<String, List<Path>> runsByLabel = new LinkedHashMap<>();
    for (String group : groups) {
      int eq = group.indexOf('=');
      if (eq <= 0 || eq == group.length() - 1) {
        throw new IllegalArgumentException("'" + group + "' is not LABEL=RUN[,RUN...]");
      }
      String label = group.substring(0, eq);
      if (runsByLabel.containsKey(label)) {
        throw new IllegalArgumentException("label '" + label + "' is given twice");
      }
      List<Path> files = new ArrayList<>();
      for (String run : group.substring(eq + 1).split(",")) {
        Path metrics = Path.of(run).resolve("metrics.csv");
        if (!Files.isRegularFile(metrics)) {
          throw new IllegalArgumentException(run + " is not a run directory (no metrics.csv)");
        }
        requireColumn(metrics);
        files.add(metrics);
      }
      runsByLabel.put(label, files);
    }
    Plots.bands(runsByLabel, column, by.equals("step"), null, out);
    spec.commandLine().getOut().println("wrote " + out);
    return 0;
  }

  private void requireColumn(Path metrics) throws IOException {
    List<String> columns = Plots.Table.columns(metrics);
    if (!columns.contains(column)) {
      throw new IllegalArgumentException(metrics + " has no column '" + column + "'; it has "
          + String.join(", ", columns));
    }
  }
}
