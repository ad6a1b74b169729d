package io.github.tftrain.cli.trace;

import io.github.tftrain.cli.ExitCodes;

import io.github.tftrain.trainer.AtomicFiles;


import io.github.tftrain.cli.BadInputException;
import io.github.tftrain.cli.OptimizerSettings;

import io.github.tftrain.optimizers.OptimizerBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tftrain trace}: an optimizer's trajectory on a 2-D test function, as CSV and optionally a PNG. */
@Command(
    name = "trace",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Runs an optimizer on a 2-D test function held in one float variable of shape [2].",
      "Writes CSV 'step,loss,x0,x1' (row 0 = start, row k = after k steps, %%.17g) to stdout or --out."
    })
public final class TraceCommand implements Callable<Integer> {

  @Option(
      names = "--optimizer",
      required = true,
      paramLabel = "NAME",
      completionCandidates = OptimizerSettings.Names.class,
      description = "${COMPLETION-CANDIDATES}; 'tftrain optimizers' describes them")
  String optimizer;

  @Option(
      names = "--function",
      required = true,
      paramLabel = "F",
      description = "rosenbrock, quadratic, beale or rastrigin")
  String function;

  @Option(names = "--init", paramLabel = "x0,x1", description = "Starting point (default: the function's own)")
  String init;

  @Option(names = "--steps", paramLabel = "N", defaultValue = "200", description = "Steps (default: ${DEFAULT-VALUE})")
  int steps;

  @Option(
      names = "--dtype",
      paramLabel = "float32|float64",
      defaultValue = "float32",
      description = "Variable type (default: ${DEFAULT-VALUE})")
  String dtype;

  @Option(
      names = "--set",
      paramLabel = "key=value",
      description = "An optimizer hyperparameter (repeatable); 'tftrain optimizers NAME' lists the keys")
  Map<String, String> settings = new LinkedHashMap<>();

  @Option(names = "--out", paramLabel = "trace.csv", description = "CSV file (default: stdout)")
  Path out;

  @Option(names = "--plot", paramLabel = "trace.png", description = "Also draw contours and the path to a PNG")
  Path plot;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    // Everything is validated before anything is written.
    TestFunction f = TestFunction.parse(function);
    OptimizerBuilder<?, ?> builder = OptimizerSettings.builder(optimizer, OptimizerSettings.rejoined(settings));
    builder.validate(); // keys, values, groups and cross-checks, before anything is built or written
    double[] start = init == null ? f.start() : parsePoint(init);
    if (steps < 1) {
      throw new BadInputException("--steps must be >= 1, got " + steps);
    }
    boolean float64 = switch (dtype.toLowerCase(Locale.ROOT)) {
      case "float32" -> false;
      case "float64" -> true;
      default -> throw new BadInputException("--dtype must be float32 or float64, got '" + dtype + "'");
    };
    checkWritable("--out", out);
    checkWritable("--plot", plot);

    TraceRun.Outcome result = TraceRun.run(builder, f, start, steps, float64);
    if (result.rows().isEmpty()) {
      // not even the start has a finite loss: there is no path to write or plot
      throw new BadInputException(String.format(Locale.ROOT, "--init %s: %s's loss is not finite there (in %s); "
          + "start closer to its domain %s", init == null ? "(default)" : init, f.cliName(), dtype,
          java.util.Arrays.toString(f.domain())));
    }
    writeCsv(result.rows());
    if (plot != null) {
      TraceRun.Row last = result.rows().get(result.rows().size() - 1);
      String title = optimizer.toLowerCase(Locale.ROOT) + " on " + f.cliName() + " (" + dtype + ")";
      String subtitle =
          String.format(
              Locale.ROOT,
              "%d steps from (%.4g, %.4g): loss %.4g at (%.4g, %.4g)%s",
              last.step(),
              start[0],
              start[1],
              last.loss(),
              last.x0(),
              last.x1(),
              result.diverged() ? " - stopped: loss not finite at step " + result.nonFiniteStep() : "");
      TracePlot.write(f, result.rows(), title, subtitle, plot);
    }
    if (result.diverged()) {
      PrintWriter err = spec.commandLine().getErr();
      err.printf(
          "tftrain trace: the loss became NaN or infinite at step %d; stopped, kept rows 0..%d%n",
          result.nonFiniteStep(), result.nonFiniteStep() - 1);
      err.flush();
      return ExitCodes.FAILED;
    }
    return ExitCodes.OK;
  }

  private void writeCsv(List<TraceRun.Row> rows) throws IOException {
    String csv = csv(rows);
    if (out == null) {
      PrintWriter stdout = spec.commandLine().getOut();
      stdout.print(csv);
      stdout.flush();
      return;
    }
    AtomicFiles.write(out, stream -> stream.write(csv.getBytes(StandardCharsets.UTF_8)));
  }

  /** The CSV text: header, then one line per row with full double precision. */
  static String csv(List<TraceRun.Row> rows) {
    StringBuilder text = new StringBuilder("step,loss,x0,x1\n");
    for (TraceRun.Row r : rows) {
      text.append(String.format(Locale.ROOT, "%d,%.17g,%.17g,%.17g%n", r.step(), r.loss(), r.x0(), r.x1()));
    }
    return text.toString();
  }

  static double[] parsePoint(String text) {
    String[] parts = text.split(",");
    if (parts.length != 2) {
      throw new BadInputException("--init must be two numbers x0,x1, got '" + text + "'");
    }
    double[] point = new double[2];
    for (int i = 0; i < 2; i++) {
      try {
        point[i] = Double.parseDouble(parts[i].trim());
      } catch (NumberFormatException e) {
        throw new BadInputException("--init must be two numbers x0,x1, got '" + text + "'");
      }
      if (!Double.isFinite(point[i])) {
        throw new BadInputException("--init must be finite, got '" + text + "'");
      }
    }
    return point;
  }

  private static void checkWritable(String flag, Path path) {
    if (path == null) {
      return;
    }
    Path parent = path.toAbsolutePath().getParent();
    if (parent == null || !Files.isDirectory(parent)) {
      throw new BadInputException(flag + " " + path + ": directory " + parent + " does not exist");
    }
    if (Files.isDirectory(path)) {
      throw new BadInputException(flag + " " + path + " is a directory");
    }
    if (!Files.isWritable(parent)) {
      throw new BadInputException(flag + " " + path + ": directory " + parent + " is not writable");
    }
  }

}
