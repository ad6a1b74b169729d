package io.github.tftrain.cli.commands;

import io.github.tftrain.cli.settings.Settings;
import io.github.tftrain.cli.jobs.RunOptimizer;
import io.github.tftrain.cli.settings.TrainConfig;
import io.github.tftrain.cli.runs.Runs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The trainer warns, on stderr in one line, when an optimizer's own warmup (Apollo's {@code warmup}, default 500
 * steps) covers the whole run: such a run never reaches its learning rate and never uses {@code --schedule}.
 */
class WarmupWarningTest {
  /** The main job's length: 2,000 training images in batches of 64 (the last, partial one dropped), 8 epochs. */
  private static final long MAIN_STEPS_PER_EPOCH = 31;

  private static TrainConfig resolve(String... args) {
    TrainCommand command = new TrainCommand();
    new CommandLine(command).parseArgs(args);
    return Settings.resolve(command.options());
  }

  /** What the trainer prints to stderr before the run, for a run of 8 epochs of 31 steps (or --steps). */
  private static String warnings(String... flags) {
    List<String> args = new ArrayList<>(List.of("--model", "wrn-10-1", "--data", "testdata/fashion-mnist",
        "--batch-size", "64"));
    args.addAll(List.of(flags));
    if (!args.contains("--steps")) {
      args.addAll(List.of("--epochs", "8"));
    }
    StringWriter err = new StringWriter();
    Runs.warn(new PrintWriter(err), resolve(args.toArray(new String[0])), MAIN_STEPS_PER_EPOCH);
    return err.toString();
  }

  @Test
  void theTextNamesTheOptimizerTheWarmupTheRunAndTheFix() {
    Optional<String> warning = RunOptimizer.warmupWarning("apollo", 500, 248, 1);
    assertEquals(Optional.of("warning: apollo's warmup of 500 updates covers the whole run of 248 steps, so the "
        + "learning rate never reaches its target and the schedule is never used; shorten it with --set warmup=N "
        + "(e.g. --set warmup=24, a tenth of the run; in a preset: set.apollo.warmup = N)"), warning);
    // a warmup as long as the run covers it too (the last step has t = 247 < 248); one step shorter does not
    assertTrue(RunOptimizer.warmupWarning("apollo", 248, 248, 1).isPresent());
    assertEquals(Optional.empty(), RunOptimizer.warmupWarning("apollo", 247, 248, 1));
    assertEquals(Optional.empty(), RunOptimizer.warmupWarning("apollo", 0, 5, 1));
    assertTrue(RunOptimizer.warmupWarning("apollo", 5, 1, 1).orElseThrow().contains("--set warmup=1"),
        "the suggestion is at least one step");
  }

  /** With accumulate = N a run of S steps makes S / N updates, and the warmup counts updates. */
  @Test
  void withAccumulationTheWarmupIsComparedWithTheUpdates() {
    // 248 steps, 4 batches per update: 62 updates; a warmup of 100 updates covers them (it would not cover 248 steps)
    assertEquals(Optional.of("warning: apollo's warmup of 100 updates covers the whole run of 62 updates (248 steps, "
        + "accumulate=4), so the learning rate never reaches its target and the schedule is never used; shorten it "
        + "with --set warmup=N (e.g. --set warmup=6, a tenth of the run; in a preset: set.apollo.warmup = N)"),
        RunOptimizer.warmupWarning("apollo", 100, 248, 4));
    assertEquals(Optional.empty(), RunOptimizer.warmupWarning("apollo", 61, 248, 4));
    String err = warnings("--optimizer", "apollo", "--set", "warmup=100", "--set", "accumulate=4");
    assertTrue(err.startsWith("warning: apollo's warmup of 100 updates covers the whole run of 62 updates"), err);
  }

  @Test
  void apolloWithItsDefaultWarmupOnAShortRunWarnsInOneLine() {
    String err = warnings("--optimizer", "apollo", "--schedule", "cosine");
    assertEquals(1, err.lines().count(), err);
    assertTrue(err.startsWith("warning: apollo's warmup of 500 updates covers the whole run of 248 steps"), err);
    assertTrue(err.contains("--set warmup=24"), err);

    assertEquals(1, warnings("--optimizer", "apollo", "--steps", "100", "--set", "warmup=100").lines().count());
  }

  @Test
  void noWarningWhenTheRunOutlastsTheWarmupOrThereIsNone() {
    assertEquals("", warnings("--optimizer", "apollo", "--set", "warmup=25"));
    assertEquals("", warnings("--optimizer", "apollo", "--set", "warmup=247"));
    assertEquals("", warnings("--optimizer", "apollo", "--steps", "501"));
    assertEquals("", warnings("--optimizer", "apollo", "--set", "warmup=0"));
    for (String optimizer : List.of("kafisto", "sgd", "adam", "adamw")) {
      assertEquals("", warnings("--optimizer", optimizer, "--steps", "10"), optimizer);
    }
  }
}
