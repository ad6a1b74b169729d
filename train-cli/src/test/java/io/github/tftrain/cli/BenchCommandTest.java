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
    // Minimal bytes per parameter, from the state each optimizer keeps: read x and g, write x (12), plus a read and
    // a write of each per-parameter state tensor (8 each).
    java.util.Map<String, Integer> bytes = new java.util.LinkedHashMap<>();
    bytes.put("TF-Java Adam (fused ApplyAdam)", 28);
    bytes.put("tftrain adam ", 28);
    bytes.put("tftrain adamw ", 28);
    bytes.put("tftrain sgd ", 20);
    bytes.put("tftrain kafisto  ", 28);
    bytes.put("tftrain kafisto (vanilla)", 12);
    bytes.put("tftrain apollo ", 36);
    bytes.forEach(
        (label, expected) -> {
          String row =
              lines.stream().filter(l -> l.startsWith("2,000") && l.contains(label)).findFirst().orElse(null);
          assertTrue(row != null, label + " in " + run.out());
          assertEquals(String.valueOf(expected), row.trim().split("\\s+")[row.trim().split("\\s+").length - 3],
              "B/param of " + label + ": " + row);
        });
    for (String name : io.github.tftrain.optimizers.Optimizers.names()) {
      assertTrue(lines.stream().anyMatch(l -> l.startsWith("2,000") && l.contains("tftrain " + name + " ")),
          name + " in " + run.out());
    }
    assertTrue(run.out().contains("kafisto: "), run.out());
    assertTrue(run.out().contains("apollo: "), run.out());
  }

  @Test
  void modelBenchmarkPrintsEveryFamily() {
    CliRun run =
        CliRun.of("bench", "models", "--models", "wrn-10-1,dcgan,lstm-tiny,transformer-tiny", "--batch-size", "2",
            "--bptt", "5", "--vocabulary", "50", "--warmup", "0", "--steps", "1");
    assertEquals(0, run.exitCode(), run.err());
    List<String> lines = run.out().lines().toList();
    assertTrue(lines.get(0).startsWith("training step (forward + backward + adam update), float32"), lines.get(0));
    assertTrue(lines.get(2).matches("wrn-10-1 +[0-9,]+ +2 +[0-9.]+ +[0-9.]+ +[0-9,]+ images/s"), lines.get(2));
    assertTrue(lines.get(3).matches("dcgan +[0-9,]+ +2 .* images/s"), lines.get(3));
    assertTrue(lines.get(4).matches("lstm-tiny +[0-9,]+ +2x5 .* tokens/s"), lines.get(4));
    assertTrue(lines.get(5).matches("transformer-tiny +[0-9,]+ +2x5 .* tokens/s"), lines.get(5));
  }

  /** With --data the batches come through the prefetching pipeline, and the report says what that cost. */
  @Test
  void modelBenchmarkOnRealData() {
    CliRun images =
        CliRun.of("bench", "models", "--models", "wrn-10-1", "--batch-size", "4", "--warmup", "1", "--steps", "2",
            "--data", "../testdata/fashion-mnist");
    assertEquals(0, images.exitCode(), images.err());
    assertTrue(images.out().matches("(?s).*wrn-10-1: batches of \\.\\./testdata/fashion-mnist \\(shuffled, random "
        + "crop \\+ flip, prefetch 2\\): building one took [0-9.]+ ms on the pipeline thread; each step waited "
        + "[0-9.]+ ms for it.*"), images.out());
    CliRun text =
        CliRun.of("bench", "models", "--models", "lstm-tiny", "--batch-size", "2", "--bptt", "5", "--warmup", "0",
            "--steps", "2", "--data", "../testdata/wikitext");
    assertEquals(0, text.exitCode(), text.err());
    assertTrue(text.out().contains("lstm-tiny: BPTT windows of ../testdata/wikitext (LSTM state carried"), text.out());
    CliRun mismatch = CliRun.of("bench", "models", "--models", "wrn-10-1,lstm-tiny", "--data", "../testdata/ptb");
    assertEquals(2, mismatch.exitCode());
    assertTrue(mismatch.err().contains("../testdata/ptb: no image dataset; expected data_batch_1.bin"), mismatch.err());
    assertEquals("", mismatch.out(), "nothing is timed when a model cannot use the data");
  }

  @Test
  void modelBenchmarkRejectsBadArguments() {
    CliRun unknown = CliRun.of("bench", "models", "--models", "vgg16");
    assertEquals(2, unknown.exitCode());
    assertTrue(unknown.err().contains("unknown model 'vgg16'; valid: wrn-16-4, wrn-28-10, resnet18"), unknown.err());
    CliRun depth = CliRun.of("bench", "models", "--models", "wrn-18-2");
    assertEquals(2, depth.exitCode());
    assertTrue(depth.err().contains("a WideResNet needs depth 6n + 4"), depth.err());
    CliRun precision = CliRun.of("bench", "models", "--precision", "fp16");
    assertEquals(2, precision.exitCode());
    assertTrue(precision.err().contains("unknown precision 'fp16'; valid: float32, mixed-bfloat16"), precision.err());
    CliRun batch = CliRun.of("bench", "models", "--batch-size", "0");
    assertEquals(2, batch.exitCode());
    assertTrue(batch.err().contains("--batch-size must be >= 1, got 0"), batch.err());
    CliRun key = CliRun.of("bench", "models", "--optimizer", "kafisto", "--set", "gamma=2");
    assertEquals(2, key.exitCode());
    assertTrue(key.err().contains("unknown hyperparameter 'gamma' for kafisto"), key.err());
  }

  @Test
  void rejectsBadArguments() {
    CliRun unknown = CliRun.of("bench", "optimizers", "--optimizers", "nosuch");
    assertEquals(2, unknown.exitCode());
    assertTrue(unknown.err().contains("unknown optimizer 'nosuch' for the benchmark"), unknown.err());
    CliRun small = CliRun.of("bench", "optimizers", "--params", "5", "--variables", "10");
    assertEquals(2, small.exitCode());
    assertTrue(small.err().contains("--params values must be >= --variables (10), got 5"), small.err());
    CliRun missing = CliRun.of("bench");
    assertEquals(2, missing.exitCode());
    assertTrue(missing.err().contains("missing benchmark: optimizers, models, trainer or distributed"), missing.err());
    CliRun oneWorker = CliRun.of("bench", "distributed", "--workers", "1");
    assertEquals(2, oneWorker.exitCode());
    assertTrue(oneWorker.err().contains("need --workers >= 2"), oneWorker.err());
    CliRun uneven = CliRun.of("bench", "distributed", "--batch-size", "63");
    assertEquals(2, uneven.exitCode());
    assertTrue(uneven.err().contains("divides by --workers"), uneven.err());
  }
}
