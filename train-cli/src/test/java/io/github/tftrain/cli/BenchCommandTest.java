package io.github.tftrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The benchmark command runs and reports every optimizer (its timings are measured, never asserted). */
class BenchCommandTest {

  @Test
  void printsATableWithEveryOptimizer() {
    CliRun run =
        CliRun.of("bench", "optimizers", "--params", "2000", "--variables", "2", "--warmup", "0", "--steps", "2");
    assertEquals(0, run.exitCode(), run.err());
    List<String> lines = run.out().lines().toList();
    assertTrue(lines.get(0).startsWith("update step, float32, 2 tensors"), lines.get(0));
    assertTrue(lines.get(0).contains("KaFiStO/Apollo kernel graph") || lines.get(0).contains("KaFiStO/Apollo kernel native"), lines.get(0));
    for (String label :
        List.of("TF-Java Adam (fused ApplyAdam)", "tftrain adam", "tftrain adamw", "tftrain sgd (momentum 0.9)",
            "tftrain kafisto (dynamics)", "tftrain kafisto (vanilla)", "tftrain apollo")) {
      assertTrue(lines.stream().anyMatch(l -> l.startsWith("2,000") && l.contains(label)), label + " in " + run.out());
    }
    assertTrue(run.out().contains("kafisto: "), run.out());
    assertTrue(run.out().contains("apollo: "), run.out());
  }

  @Test
  void rejectsBadArguments() {
    CliRun unknown = CliRun.of("bench", "optimizers", "--optimizers", "lamb");
    assertEquals(2, unknown.exitCode());
    assertTrue(unknown.err().contains("unknown optimizer 'lamb' for the benchmark"), unknown.err());
    CliRun small = CliRun.of("bench", "optimizers", "--params", "5", "--variables", "10");
    assertEquals(2, small.exitCode());
    assertTrue(small.err().contains("--params values must be >= --variables (10), got 5"), small.err());
    CliRun missing = CliRun.of("bench");
    assertEquals(2, missing.exitCode());
    assertTrue(missing.err().contains("missing benchmark: optimizers"), missing.err());
  }
}
