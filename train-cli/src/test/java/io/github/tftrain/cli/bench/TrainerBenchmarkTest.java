package io.github.tftrain.cli.bench;

import io.github.tftrain.cli.ExitCodes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.tftrain.cli.app.Tftrain;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** {@code bench trainer} rejects bad arguments before building or timing anything (its timings are never tested). */
class TrainerBenchmarkTest {

  @Test
  void rejectsAnUnknownOptimizerWithExitCode2() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Tftrain.execute(new PrintWriter(out), new PrintWriter(err), "bench", "trainer", "--optimizers",
        "kafisto,nosuch");
    assertEquals(ExitCodes.BAD_INPUT, code, err.toString());
    assertTrue(err.toString().contains("unknown optimizer 'nosuch' for the benchmark; valid: "
        + String.join(", ", io.github.tftrain.optimizers.Optimizers.names())), err.toString());
    assertEquals("", out.toString(), "nothing is timed");
  }

  @Test
  void rejectsASettingNoSelectedOptimizerHas() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Tftrain.execute(new PrintWriter(out), new PrintWriter(err), "bench", "trainer", "--optimizers",
        "sgd,adam", "--set", "kernel=graph");
    assertEquals(ExitCodes.BAD_INPUT, code, err.toString());
    assertTrue(err.toString().contains("--set kernel: none of the selected optimizers has this hyperparameter"),
        err.toString());
    assertEquals("", out.toString(), "nothing is timed");
  }

  @Test
  void groupKeysGoToTheOptimizersWithTheirKeyAndAreValidated() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    // group[...].momentum is sgd's only: adam rejects nothing, sgd rejects a momentum group (not per-variable)
    int code = Tftrain.execute(new PrintWriter(out), new PrintWriter(err), "bench", "trainer", "--optimizers",
        "sgd,adam", "--set", "group[rank=1].momentum=0.5");
    assertEquals(ExitCodes.BAD_INPUT, code, err.toString());
    assertTrue(err.toString().contains("sgd: momentum is shared by all variables and cannot be set per group "
        + "(group[rank=1])"), err.toString());
    assertEquals("", out.toString(), "nothing is timed");
  }
}
