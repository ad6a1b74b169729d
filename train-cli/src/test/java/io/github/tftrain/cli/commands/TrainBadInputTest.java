package io.github.tftrain.cli.commands;

import static io.github.tftrain.cli.commands.TrainRuns.testdata;
import static io.github.tftrain.cli.commands.TrainRuns.train;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.tftrain.optimizers.Optimizers;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad flags and bad input: exit 2, one line on err that names the problem (the flag, file or value, and the valid
 * choices where there is a list), no stack trace, and no run directory: everything is checked before anything is
 * written.
 */
class TrainBadInputTest {
  @TempDir static Path tmp;
  private static Path truncatedGzip;
  private static Path garbageTestImages;
  private static Path truncatedCifar;
  private static Path badKeyPreset;
  private static Path badValuePreset;
  private static Path notARun;
  private static Path occupied;

  private static final String WRN = "wrn-10-2";
  private static final String IDX = "testdata/fashion-mnist";

  @BeforeAll
  static void files() throws IOException {
    truncatedGzip = copy("fashion-mnist", "truncated");
    Path images = truncatedGzip.resolve("train-images-idx3-ubyte.gz");
    byte[] whole = Files.readAllBytes(images);
    Files.write(images, java.util.Arrays.copyOf(whole, whole.length / 2));

    garbageTestImages = copy("fashion-mnist", "garbage");
    byte[] noise = new byte[4096];
    new java.util.Random(3).nextBytes(noise);
    // a valid gzip stream of garbage: the decompression works, the IDX header does not
    try (OutputStream out = new java.util.zip.GZIPOutputStream(
        Files.newOutputStream(garbageTestImages.resolve("t10k-images-idx3-ubyte.gz")))) {
      out.write(noise);
    }

    truncatedCifar = copy("fashion-mnist-cifar10", "cifar-truncated");
    try (var channel = Files.newByteChannel(truncatedCifar.resolve("data_batch_3.bin"), StandardOpenOption.WRITE)) {
      channel.truncate(3073L * 100 + 1000);
    }

    badKeyPreset = Files.writeString(tmp.resolve("bad-key.conf"), "model = wrn-10-2\ncolour = red\n");
    badValuePreset = Files.writeString(tmp.resolve("bad-value.conf"),
        "model = wrn-10-2\ndata = testdata/fashion-mnist\nepochs = many\n");
    notARun = Files.createDirectories(tmp.resolve("not-a-run"));
    occupied = Files.createDirectories(tmp.resolve("occupied"));
    Files.writeString(occupied.resolve("notes.txt"), "mine");
  }

  private static Path copy(String name, String to) throws IOException {
    Path dir = Files.createDirectories(tmp.resolve(to));
    try (Stream<Path> files = Files.list(testdata(name))) {
      for (Path f : files.toList()) {
        Files.copy(f, dir.resolve(f.getFileName()));
      }
    }
    return dir;
  }

  /** Name, the flags (before --run-dir), and fragments the message must contain. */
  static Stream<Arguments> cases() {
    return Stream.of(
        bad("unknown model", List.of("--model", "wrn-x", "--data", IDX), "unknown model 'wrn-x'", "valid:",
            "resnet18"),
        bad("unknown optimizer", List.of("--model", WRN, "--data", IDX, "--optimizer", "nosuch"),
            "unknown optimizer 'nosuch'", "valid: " + String.join(", ", Optimizers.names())),
        bad("unknown preset", List.of("--preset", "nope"), "unknown preset 'nope'", "main"),
        bad("missing preset file", List.of("--preset", "/nonexistent/p.conf"), "--preset /nonexistent/p.conf",
            "no such file"),
        bad("preset with an unknown key", List.of("--preset", "@bad-key.conf"), "bad-key.conf:2",
            "unknown key 'colour'"),
        bad("preset with a bad value", List.of("--preset", "@bad-value.conf"), "bad-value.conf",
            "epochs = 'many'"),
        bad("--set with an unknown key", List.of("--model", WRN, "--data", IDX, "--set", "nokey=1"),
            "unknown hyperparameter 'nokey' for kafisto", "valid keys:"),
        bad("--set with a group key of an unknown hyperparameter", List.of("--model", WRN, "--data", IDX,
            "--optimizer", "adamw", "--set", "group[.*bias].nokey=0"), "unknown hyperparameter 'nokey' for adamw",
            "group[SELECTOR].KEY"),
        bad("--set with a group key that is not per-variable", List.of("--model", WRN, "--data", IDX,
            "--optimizer", "adam", "--set", "group[.*bias|.*beta].beta1=0.5"), "adam: beta1 is shared by all",
            "cannot be set per group (group[.*bias|.*beta])", "per-variable keys: weightDecay"),
        bad("--set with a group key and a bad value", List.of("--model", WRN, "--data", IDX, "--optimizer", "adamw",
            "--set", "group[rank<=1].weightDecay=-1"), "adamw: weightDecay must be >= 0, got -1"),
        bad("--set with a group key and a bad selector", List.of("--model", WRN, "--data", IDX, "--optimizer",
            "adamw", "--set", "group[(].weightDecay=0"), "group[(]", "not a regular expression"),
        bad("--set with a group that matches no variable", List.of("--model", WRN, "--data", IDX, "--optimizer",
            "adamw", "--set", "group[.*bais].weightDecay=0"), "--set group[.*bais] matches none of the",
            "variables (", "of the model: fix the regular expression"),
        bad("--schedule step with a zero period", List.of("--model", WRN, "--data", IDX, "--schedule",
            "step:0:0.1"), "--schedule 'step:0:0.1'", "period E must be > 0 epochs"),
        bad("--threads 0", List.of("--model", WRN, "--data", IDX, "--threads", "0"), "--threads must be >= 1, got 0"),
        bad("--set with a negative lr", List.of("--model", WRN, "--data", IDX, "--set", "lr=-1"), "lr must be >= 0"),
        bad("--set with a non-number", List.of("--model", WRN, "--data", IDX, "--optimizer", "sgd", "--set",
            "momentum=abc"), "momentum", "'abc'"),
        bad("missing data folder", List.of("--model", WRN, "--data", "/nonexistent/data"),
            "--data /nonexistent/data", "no such folder"),
        bad("truncated gzip", List.of("--model", WRN, "--data", "@truncated"), "train-images-idx3-ubyte.gz",
            "truncated"),
        bad("garbage IDX", List.of("--model", WRN, "--data", "@garbage"), "t10k-images-idx3-ubyte.gz", "magic"),
        bad("truncated CIFAR record", List.of("--model", WRN, "--data", "@cifar-truncated"), "data_batch_3.bin",
            "cut off"),
        bad("language model on images", List.of("--model", "lstm-tiny", "--data", IDX), "lstm-tiny",
            "needs a text corpus"),
        bad("classifier on text", List.of("--model", WRN, "--data", "testdata/ptb"), WRN,
            "needs an image dataset"),
        bad("--epochs 0", List.of("--model", WRN, "--data", IDX, "--epochs", "0"), "--epochs must be > 0, got 0"),
        bad("--epochs and --steps", List.of("--model", WRN, "--data", IDX, "--epochs", "1", "--steps", "3"),
            "--epochs or --steps"),
        bad("--batch-size beyond the data", List.of("--model", WRN, "--data", IDX, "--batch-size", "5000"),
            "--batch-size 5000", "2000 training images"),
        bad("--on-nan", List.of("--model", WRN, "--data", IDX, "--on-nan", "maybe"), "--on-nan must be stop or skip",
            "'maybe'"),
        bad("--schedule", List.of("--model", WRN, "--data", IDX, "--schedule", "garbage"),
            "unknown schedule 'garbage'", "cosine"),
        bad("--dropout on a ResNet", List.of("--model", "resnet18", "--data", IDX, "--dropout", "0.3"),
            "--dropout", "resnet18"),
        bad("--n-critic beyond the data", List.of("--model", "dcgan", "--data", IDX, "--n-critic", "1000"),
            "--n-critic 1000"),
        bad("--task without --workers", List.of("--model", WRN, "--data", IDX, "--task", "1"),
            "--task needs --workers"),
        bad("--workers without --task", List.of("--model", WRN, "--data", IDX, "--workers", "localhost:1,localhost:2"),
            "--workers needs --task"),
        bad("--task outside --workers", List.of("--model", WRN, "--data", IDX, "--workers", "localhost:1,localhost:2",
            "--task", "2"), "--task must be in [0, 2) for 2 workers, got 2"),
        bad("--workers address without a port", List.of("--model", WRN, "--data", IDX, "--workers",
            "localhost,localhost:2", "--task", "0"), "'localhost' is not HOST:PORT"),
        bad("--local-workers 0", List.of("--model", WRN, "--data", IDX, "--local-workers", "0"),
            "--local-workers must be in [1, 64], got 0"),
        bad("--collective-communication", List.of("--model", WRN, "--data", IDX, "--collective-communication",
            "pigeon"), "--collective-communication must be auto, ring or nccl, got 'pigeon'"),
        bad("--collective-timeout 0", List.of("--model", WRN, "--data", IDX, "--collective-timeout", "0"),
            "--collective-timeout must be a finite number of seconds > 0"));
  }

  private static Arguments bad(String name, List<String> flags, String... fragments) {
    return Arguments.of(name, flags, List.of(fragments));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void exitsTwoWithOneLineAndNoRunDirectory(String name, List<String> flags, List<String> fragments) {
    Path runDir = tmp.resolve("run-" + name.replaceAll("[^A-Za-z0-9]+", "-"));
    List<String> args = new ArrayList<>();
    for (String flag : flags) {
      args.add(flag.startsWith("@") ? tmp.resolve(flag.substring(1)).toString() : flag);
    }
    args.add("--run-dir");
    args.add(runDir.toString());
    TrainRuns.Cli cli = train(args.toArray(String[]::new));
    assertBadInput(cli, fragments);
    assertFalse(Files.exists(runDir), "no run directory for bad input");
    String flag = flags.get(flags.size() - 2);
    if (flag.startsWith("--") && !flag.equals("--data") && !flag.equals("--set")) {
      assertEquals(cli.err().indexOf(flag + " "), cli.err().lastIndexOf(flag + " "),
          () -> flag + " named once:\n" + cli);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("resumeCases")
  void resumeProblemsExitTwoAndWriteNothing(String name, List<String> args, List<String> fragments)
      throws IOException {
    List<String> before = TrainRuns.list(tmp);
    List<String> inOccupied = TrainRuns.list(occupied);
    List<String> resolved = args.stream().map(a -> a.startsWith("@") ? tmp.resolve(a.substring(1)).toString() : a)
        .toList();
    TrainRuns.Cli cli = train(resolved.toArray(String[]::new));
    assertBadInput(cli, fragments);
    assertEquals(before, TrainRuns.list(tmp), "nothing created");
    assertEquals(List.of(), TrainRuns.list(notARun), "nothing written into a folder that is not a run");
    assertEquals(inOccupied, TrainRuns.list(occupied), "an existing run directory is left alone");
  }

  static Stream<Arguments> resumeCases() {
    return Stream.of(
        bad("--resume without --run-dir", List.of("--resume"), "--resume needs --run-dir"),
        bad("--resume on a folder without config.json", List.of("--resume", "--run-dir", "@not-a-run"),
            "not-a-run", "no config.json"),
        bad("--resume on a missing folder", List.of("--resume", "--run-dir", "@missing"), "missing",
            "no such run directory"),
        bad("--resume with settings", List.of("--resume", "--run-dir", "@not-a-run", "--steps", "5", "--lr", "0.1"),
            "(only --epochs or --steps may extend it, and --data may say where its dataset is now); drop --lr"),
        bad("existing non-empty --run-dir", List.of("--model", WRN, "--data", IDX, "--steps", "1", "--run-dir",
            "@occupied"), "occupied already exists", "--resume"));
  }

  private static void assertBadInput(TrainRuns.Cli cli, List<String> fragments) {
    assertEquals(2, cli.exitCode(), cli::toString);
    String err = cli.err().strip();
    assertFalse(err.contains("\n"), () -> "one line on err:\n" + cli);
    assertTrue(err.startsWith("tftrain train: "), cli::toString);
    for (String fragment : fragments) {
      assertTrue(err.contains(fragment), () -> "err lacks '" + fragment + "':\n" + cli);
    }
    assertFalse(err.contains("Exception") || err.contains("\tat "), () -> "no stack trace or exception name:\n" + cli);
    assertEquals("", cli.out(), "nothing on out");
  }
}
