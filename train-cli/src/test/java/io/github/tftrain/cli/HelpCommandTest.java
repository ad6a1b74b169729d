package io.github.tftrain.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@code tftrain help} reaches nested commands, and {@code compare --help} lists only what compare takes. */
class HelpCommandTest {
  @Test
  void helpOfANestedCommandShowsThatCommandsOptions() {
    CliRun run = CliRun.of("help", "bench", "optimizers");
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().startsWith("Usage: tftrain bench optimizers"), run.out());
    assertTrue(run.out().contains("--variables"), run.out());
    CliRun top = CliRun.of("help", "bench");
    assertTrue(top.out().startsWith("Usage: tftrain bench "), top.out());
    assertTrue(CliRun.of("help").out().startsWith("Usage: tftrain "));
  }

  @Test
  void helpOfAnUnknownCommandNamesTheChoices() {
    CliRun run = CliRun.of("help", "bench", "nope");
    assertEquals(2, run.exitCode());
    assertTrue(run.err().contains("unknown command 'nope' for tftrain bench; valid: optimizers, models, trainer"),
        run.err());
  }

  @Test
  void compareHelpListsOnlyWhatCompareTakes() {
    String help = CliRun.of("compare", "--help").out();
    assertTrue(help.contains("--optimizers"), help);
    assertTrue(help.contains("--out"), help);
    assertTrue(help.contains("--epochs"), help);
    for (String notTaken : new String[] {"--run-dir", "--xla", "--optimizer="}) {
      assertFalse(help.contains(notTaken), notTaken + " in:\n" + help);
    }
    // still recognised, with the message that says what to use instead
    CliRun runDir = CliRun.of("compare", "--optimizers", "sgd", "--run-dir", "x");
    assertEquals(2, runDir.exitCode());
    assertTrue(runDir.err().contains("compare takes --out DIR"), runDir.err());
  }
}
