package io.github.tftrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tftrain trace}: CSV values against hand-computed trajectories, plots, divergence and bad input. */
class TraceCommandTest {

  /** SGD, lr 0.1, on 0.5 x0² + 5 x1² from (3, 2): the gradient is (x0, 10 x1), so x0 ← 0.9 x0 and x1 ← 0. */
  @Test
  void sgdOnTheQuadraticByHand() {
    CliRun run =
        CliRun.of(
            "trace", "--optimizer", "sgd", "--function", "quadratic", "--steps", "3", "--dtype", "float64",
            "--set", "lr=0.1");
    assertEquals(0, run.exitCode(), run.err());
    List<String> lines = run.out().lines().toList();
    assertEquals("step,loss,x0,x1", lines.get(0));
    assertEquals(5, lines.size());
    double[][] expected = {{3, 2}, {2.7, 0}, {2.43, 0}, {2.187, 0}};
    for (int k = 0; k <= 3; k++) {
      String[] cells = lines.get(k + 1).split(",");
      assertEquals(k, Integer.parseInt(cells[0]));
      double x0 = expected[k][0];
      double x1 = expected[k][1];
      assertEquals(0.5 * x0 * x0 + 5 * x1 * x1, Double.parseDouble(cells[1]), 1e-12, "loss at step " + k);
      assertEquals(x0, Double.parseDouble(cells[2]), 1e-12, "x0 at step " + k);
      assertEquals(x1, Double.parseDouble(cells[3]), 1e-12, "x1 at step " + k);
    }
    // %.17g: every number has 17 significant digits, so a double round-trips through the text.
    for (String line : lines.subList(1, lines.size())) {
      String[] cells = line.split(",");
      for (int i = 1; i < cells.length; i++) {
        assertEquals(17, significantDigits(cells[i]), line);
      }
    }
  }

  /** Row 0 is the start; the default inits are the issue's; float32 values print exactly as widened to double. */
  @Test
  void defaultStartsAndFloat32(@TempDir Path dir) throws Exception {
    Path csv = dir.resolve("trace.csv");
    CliRun run =
        CliRun.of("trace", "--optimizer", "kafisto", "--function", "rosenbrock", "--steps", "5", "--out", csv.toString());
    assertEquals(0, run.exitCode(), run.err());
    assertEquals("", run.out());
    List<String> lines = Files.readAllLines(csv);
    assertEquals(7, lines.size());
    assertEquals("0,12.500000000000000,-1.5000000000000000,2.0000000000000000", lines.get(1));
    for (String line : lines.subList(1, lines.size())) {
      float x0 = (float) Double.parseDouble(line.split(",")[2]);
      assertEquals((double) x0, Double.parseDouble(line.split(",")[2]), 0.0, "float32 value: " + line);
    }
    assertStart("beale", "1.0000000000000000,1.5000000000000000");
    assertStart("rastrigin", "-2.5000000000000000,1.5000000000000000");
    assertStart("quadratic", "3.0000000000000000,2.0000000000000000");
  }

  private static int significantDigits(String number) {
    String mantissa = number.replaceFirst("[eE].*", "").replace("-", "").replace(".", "");
    String digits = mantissa.replaceFirst("^0+(?=\\d)", "");
    return digits.matches("0+") ? mantissa.length() : digits.length(); // zero prints 17 zeros
  }

  private static void assertStart(String function, String start) {
    CliRun run = CliRun.of("trace", "--optimizer", "adam", "--function", function, "--steps", "1");
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().lines().toList().get(1).endsWith(start), run.out());
  }

  @Test
  void initAndHyperparametersAreApplied() {
    CliRun run =
        CliRun.of(
            "trace", "--optimizer", "sgd", "--function", "quadratic", "--init=1,-1", "--steps", "1", "--dtype",
            "float64", "--set", "lr=0.5", "--set", "momentum=0.9");
    assertEquals(0, run.exitCode(), run.err());
    // x = (1, -1) - 0.5 (1, -10) = (0.5, 4); loss 0.5·0.25 + 5·16 = 80.125
    assertTrue(run.out().contains("\n1,80.125000000000000,0.50000000000000000,4.0000000000000000\n"), run.out());
  }

  @Test
  void writesAReadablePlot(@TempDir Path dir) throws Exception {
    Path png = dir.resolve("trace.png");
    CliRun run =
        CliRun.of("trace", "--optimizer", "apollo", "--function", "beale", "--steps", "50", "--plot", png.toString());
    assertEquals(0, run.exitCode(), run.err());
    BufferedImage image = ImageIO.read(png.toFile());
    assertEquals(900, image.getWidth());
    assertEquals(720, image.getHeight());
    try (var files = Files.list(dir)) {
      assertEquals(List.of(png), files.toList(), "no temporary files left behind");
    }
  }

  /** SGD with lr 1 on Rosenbrock explodes; the run stops at the first non-finite loss and keeps the rows before. */
  @Test
  void stopsAtANonFiniteLossKeepingRowsSoFar(@TempDir Path dir) throws Exception {
    Path csv = dir.resolve("trace.csv");
    CliRun run =
        CliRun.of(
            "trace", "--optimizer", "sgd", "--function", "rosenbrock", "--set", "lr=1", "--steps", "100", "--out",
            csv.toString());
    assertEquals(1, run.exitCode());
    assertTrue(run.err().matches("(?s).*the loss became NaN or infinite at step (\\d+); stopped, kept rows 0\\.\\.\\d+.*"),
        run.err());
    int step = Integer.parseInt(run.err().replaceAll("(?s).*at step (\\d+);.*", "$1"));
    List<String> lines = Files.readAllLines(csv);
    assertEquals(step + 1, lines.size(), "header + rows 0.." + (step - 1));
    for (String line : lines.subList(1, lines.size())) {
      for (String cell : line.split(",")) {
        assertTrue(Double.isFinite(Double.parseDouble(cell)), line);
      }
    }
  }

  @Test
  void badInputExitsTwoWithAMessageAndNoStackTrace(@TempDir Path dir) {
    assertBad(List.of("trace", "--optimizer", "kafisto", "--function", "rosenbrock", "--set", "gamma=1"),
        "unknown hyperparameter 'gamma' for kafisto; valid keys: "
            + String.join(", ", io.github.tftrain.optimizers.Optimizers.builder("kafisto").keys()));
    assertBad(List.of("trace", "--optimizer", "kafisto", "--function", "rosenbrock", "--set", "alpha=2"),
        "kafisto: alpha must be in [0, 1), got 2.0");
    assertBad(List.of("trace", "--optimizer", "adam", "--function", "rosenbrock", "--set", "beta1=x"),
        "adam: beta1 must be a number, got 'x'");
    assertBad(List.of("trace", "--optimizer", "nosuch", "--function", "rosenbrock"),
        "unknown optimizer 'nosuch'; valid: " + String.join(", ", io.github.tftrain.optimizers.Optimizers.names()));
    assertBad(List.of("trace", "--optimizer", "adam", "--function", "rosenbrock", "--set", "group[x].beta2=0.5"),
        "adam: beta2 is shared by all variables and cannot be set per group (group[x])");
    assertBad(List.of("trace", "--optimizer", "sgd", "--function", "himmelblau"),
        "unknown function 'himmelblau'; valid: rosenbrock, quadratic, beale, rastrigin");
    assertBad(List.of("trace", "--optimizer", "sgd", "--function", "beale", "--init=1"),
        "--init must be two numbers x0,x1, got '1'");
    assertBad(List.of("trace", "--optimizer", "sgd", "--function", "beale", "--steps", "0"),
        "--steps must be >= 1, got 0");
    assertBad(List.of("trace", "--optimizer", "sgd", "--function", "beale", "--dtype", "float16"),
        "--dtype must be float32 or float64, got 'float16'");
    assertBad(List.of("trace", "--optimizer", "sgd", "--function", "beale", "--steps", "many"),
        "Invalid value for option '--steps': 'many' is not an int");
    assertBad(List.of("trace", "--function", "beale"), "Missing required option: '--optimizer=NAME'");
    assertBad(List.of("trace", "--optimizer", "sgd", "--function", "beale", "--frobnicate"),
        "Unknown option: '--frobnicate'");
    Path plot = dir.resolve("far.png");
    assertBad(List.of("trace", "--optimizer", "sgd", "--function", "rosenbrock", "--init=1e30,1e30", "--plot",
        plot.toString(), "--out", dir.resolve("far.csv").toString()),
        "--init 1e30,1e30: rosenbrock's loss is not finite there (in float32)");
    assertFalse(Files.exists(plot), "no plot of an empty path");
    assertFalse(Files.exists(dir.resolve("far.csv")), "no CSV of an empty path");
    Path missing = dir.resolve("no/such/dir/trace.csv");
    assertBad(List.of("trace", "--optimizer", "sgd", "--function", "beale", "--out", missing.toString()),
        "--out " + missing + ": directory " + missing.getParent() + " does not exist");
    assertFalse(Files.exists(missing));
  }

  private static void assertBad(List<String> args, String message) {
    CliRun run = CliRun.of(args.toArray(new String[0]));
    assertEquals(2, run.exitCode(), args + " -> " + run.err());
    assertTrue(run.err().contains(message), args + " -> " + run.err());
    assertFalse(run.err().contains("\tat "), "no stack trace: " + run.err());
    assertFalse(run.err().contains("Exception"), "no exception names: " + run.err());
    assertEquals("", run.out(), "nothing on stdout for " + args);
  }
}
