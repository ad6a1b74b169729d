package io.github.tftrain.cli.optimizers;

import io.github.tftrain.cli.ExitCodes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.tftrain.cli.app.Tftrain;
import io.github.tftrain.optimizers.Hyperparameter;
import io.github.tftrain.optimizers.OptimizerSpec;
import io.github.tftrain.optimizers.Optimizers;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code tftrain optimizers}: the listing names every registered optimizer, one optimizer's page shows its
 * declarations (defaults and ranges as the spec has them) and the common keys, the markdown has one table per
 * optimizer built from its documented hyperparameters, and an unknown name is one exit-2 line.
 */
class OptimizersCommandTest {
  record Cli(int code, String out, String err) {}

  static Cli cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Tftrain.execute(new PrintWriter(out), new PrintWriter(err), args);
    return new Cli(code, out.toString(), err.toString());
  }

  @Test
  void theListingHasOneLinePerRegisteredOptimizer() {
    Cli c = cli("optimizers");
    assertEquals(0, c.code, c.err);
    List<String> lines = c.out.lines().toList();
    assertEquals(Optimizers.names().size(), lines.size(), c.out);
    for (String name : Optimizers.names()) {
      OptimizerSpec spec = Optimizers.spec(name);
      assertTrue(lines.stream().anyMatch(l -> l.startsWith(name + " ") && l.endsWith(spec.summary())),
          name + " missing:\n" + c.out);
    }
  }

  @Test
  void oneOptimizerShowsItsHyperparametersAndTheCommonOnes() {
    Cli c = cli("optimizers", "adam");
    assertEquals(0, c.code, c.err);
    assertTrue(c.out.contains(Optimizers.spec("adam").source()), c.out);
    String beta1 = c.out.lines().filter(l -> l.startsWith("beta1 ")).findFirst().orElseThrow(() ->
        new AssertionError("no beta1 row:\n" + c.out));
    List<String> cells = List.of(beta1.trim().split("\\s{2,}"));
    assertEquals("0.9", cells.get(1), beta1);
    assertEquals("in [0, 1)", cells.get(2), beta1);
    for (String common : List.of("clipNorm", "lookaheadSteps", "lookaheadAlpha", "emaDecay", "accumulate")) {
      assertTrue(c.out.lines().anyMatch(l -> l.startsWith(common + " ")), common + " missing:\n" + c.out);
    }
    assertTrue(c.out.contains("per-variable keys: weightDecay"), c.out);
    assertTrue(c.out.contains("group[SELECTOR].KEY=VALUE") && c.out.contains("group[rank<2].weightDecay=0"), c.out);
    // names are case-insensitive, as --optimizer's are
    assertEquals(c.out, cli("optimizers", "ADAM").out);
  }

  @Test
  void markdownHasATablePerOptimizerFromItsSpec() {
    Cli c = cli("optimizers", "--markdown");
    assertEquals(0, c.code, c.err);
    assertEquals(OptimizerDocs.markdown(Optimizers.specs()), c.out);
    for (OptimizerSpec spec : Optimizers.specs()) {
      String heading = "**`" + spec.name() + "`** — " + OptimizerDocs.markdownCell(spec.summary());
      int at = c.out.indexOf(heading);
      assertTrue(at >= 0, heading + " missing");
      assertTrue(c.out.indexOf(OptimizerDocs.markdownCell(spec.source()), at) > at, spec.name() + "'s source");
      int table = c.out.indexOf("| key | default | allowed | meaning |", at);
      assertTrue(table > at, spec.name() + "'s table");
      List<String> rows = c.out.substring(table).lines().skip(2).takeWhile(l -> l.startsWith("|")).toList();
      List<Hyperparameter<?>> documented = spec.documentedHyperparameters();
      assertEquals(documented.size(), rows.size(), spec.name() + ": " + rows);
      for (int i = 0; i < rows.size(); i++) {
        Hyperparameter<?> p = documented.get(i);
        String[] cells = rows.get(i).split("(?<!\\\\)\\|", -1);
        assertEquals(6, cells.length, "four cells, '|' in the text escaped: " + rows.get(i));
        assertEquals("`" + p.key() + "`", cells[1].trim());
        assertEquals(p.defaultText() == null ? "unset" : p.defaultText(), cells[2].trim().replace("\\|", "|"));
        assertEquals(p.allowed(), cells[3].trim().replace("\\|", "|"));
        assertTrue(cells[4].trim().replace("\\|", "|").startsWith(p.description()), rows.get(i));
      }
    }
    Cli adam = cli("optimizers", "adam", "--markdown");
    assertTrue(adam.out.contains("| `beta1` | 0.9 | in [0, 1) | "), adam.out);
  }

  @Test
  void anUnknownNameIsOneLineAndExitTwo() {
    Cli c = cli("optimizers", "nosuch");
    assertEquals(ExitCodes.BAD_INPUT, c.code);
    assertEquals("", c.out);
    String err = c.err.strip();
    assertFalse(err.contains("\n"), err);
    assertEquals("tftrain optimizers: unknown optimizer 'nosuch'; valid: " + String.join(", ", Optimizers.names()),
        err);
  }
}
