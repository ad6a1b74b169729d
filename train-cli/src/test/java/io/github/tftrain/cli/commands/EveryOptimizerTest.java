package io.github.tftrain.cli.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.tftrain.cli.app.Tftrain;
import io.github.tftrain.optimizers.Optimizers;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every registered optimizer works from the command line: {@code tftrain compare} trains each of them (through the
 * same code as {@code tftrain train --optimizer NAME}) and tabulates its run, and {@code tftrain trace} descends a
 * quadratic with each, in float32 and float64.
 */
class EveryOptimizerTest {

  private static String[] run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Tftrain.execute(new PrintWriter(out), new PrintWriter(err), args);
    return new String[] {String.valueOf(code), out.toString(), err.toString()};
  }

  @Test
  void compareTrainsEveryRegisteredOptimizer(@TempDir Path dir) throws IOException {
    List<String> names = Optimizers.names();
    Path out = dir.resolve("compare");
    String[] c = run("compare", "--optimizers", String.join(",", names), "--model", "wrn-10-1", "--data",
        "testdata/fashion-mnist", "--steps", "2", "--batch-size", "8", "--out", out.toString(), "--quiet",
        "--threads", "2");
    assertEquals("0", c[0], c[2]);
    List<String> csv = Files.readAllLines(out.resolve("comparison.csv"), StandardCharsets.UTF_8);
    assertEquals(names.size() + 1, csv.size(), csv.toString());
    for (String name : names) {
      assertTrue(csv.stream().anyMatch(l -> l.startsWith(name + ",")), name + " in " + csv);
      List<String> metrics = Files.readAllLines(out.resolve(name).resolve("metrics.csv"), StandardCharsets.UTF_8);
      List<String> header = List.of(metrics.get(0).split(",", -1));
      String[] last = metrics.get(metrics.size() - 1).split(",", -1);
      assertEquals("2", last[header.indexOf("step")], name);
      double loss = Double.parseDouble(last[header.indexOf("loss")]);
      assertTrue(Double.isFinite(loss) && loss > 0, name + ": loss " + loss);
    }
  }

  /**
   * 0.5 x0² + 5 x1² from (3, 2) (loss 24.5): 20 steps with each optimizer's defaults lower the loss, in both
   * precisions (ADOPT's first step only records g², Apollo's warmup starts at lr/1000: both still descend).
   */
  @Test
  void traceDescendsWithEveryRegisteredOptimizer() {
    for (String name : Optimizers.names()) {
      for (String dtype : List.of("float32", "float64")) {
        String[] t = run("trace", "--optimizer", name, "--function", "quadratic", "--steps", "20", "--dtype", dtype);
        assertEquals("0", t[0], name + " " + dtype + ": " + t[2]);
        List<String> lines = t[1].lines().toList();
        assertEquals(22, lines.size(), name + " " + dtype);
        double first = Double.parseDouble(lines.get(1).split(",")[1]);
        double last = Double.parseDouble(lines.get(21).split(",")[1]);
        assertEquals(24.5, first, 1e-12, name);
        assertTrue(last < first, name + " " + dtype + ": loss " + first + " -> " + last);
      }
    }
  }
}
