package io.github.tftrain.cli.settings;

import io.github.tftrain.cli.jobs.Jobs;

import io.github.tftrain.trainer.Json;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import io.github.tftrain.optimizers.CommonHyperparameters;
import io.github.tftrain.optimizers.LossAwareOptimizer;
import io.github.tftrain.optimizers.OptimizerConfig;
import io.github.tftrain.optimizers.VariableGroup;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import picocli.CommandLine;

/**
 * Settings layering: built-in defaults, then the preset, then the flags, parsed by picocli as the command line would
 * be; with nothing given, the shipped {@code main} preset (read here from presets/main.conf).
 */
class SettingsTest {
  private static TrainConfig resolve(String... args) {
    return Settings.resolve(RunOptions.parse(args));
  }

  private static final String PRESET = String.join("\n",
      "# a test preset",
      "description = layering test",
      "model = wrn-10-2",
      "data = testdata/fashion-mnist",
      "optimizer = sgd",
      "epochs = 3",
      "batch-size = 32",
      "seed = 11",
      "weight-decay = 1e-4",
      "lr.sgd = 0.05",
      "lr.adam = 0.002",
      "schedule.sgd = step:1:0.5",
      "set.sgd.momentum = 0.8",
      "");

  @Test
  void thePresetFileSetsWhatTheFlagsLeave(@TempDir Path tmp) throws IOException {
    Path file = Files.writeString(tmp.resolve("layering.conf"), PRESET);
    TrainConfig config = resolve("--preset", file.toString());
    assertEquals("wrn-10-2", config.model());
    assertEquals(Home.testdata("fashion-mnist").toAbsolutePath().normalize().toString(), config.data());
    assertEquals("idx", config.dataFormat());
    assertEquals("sgd", config.optimizer());
    assertEquals(3, config.epochs());
    assertEquals(0, config.steps());
    assertEquals(32, config.batchSize());
    assertEquals(11, config.seed());
    assertEquals("step:1:0.5", config.schedule());
    assertEquals(Map.of("lr", "0.05", "weightDecay", "1e-4", "momentum", "0.8"), config.hyperparameters());
    assertEquals(file.toString(), config.preset());
    assertEquals(50, config.logEvery(), "not in the preset: the built-in default");
  }

  @Test
  void flagsOverrideThePreset(@TempDir Path tmp) throws IOException {
    Path file = Files.writeString(tmp.resolve("layering.conf"), PRESET);
    // another optimizer picks its own per-optimizer values; --steps replaces the preset's epochs
    TrainConfig adam = resolve("--preset", file.toString(), "--optimizer", "adam", "--batch-size", "16", "--steps",
        "7", "--seed", "2");
    assertEquals("adam", adam.optimizer());
    assertEquals(16, adam.batchSize());
    assertEquals(7, adam.steps());
    assertEquals(0, adam.epochs());
    assertEquals(2, adam.seed());
    assertEquals("constant", adam.schedule(), "schedule.sgd is not Adam's");
    assertEquals(Map.of("lr", "0.002", "weightDecay", "1e-4"), adam.hyperparameters(),
        "lr.adam; set.sgd.* does not apply");

    // --lr, --set and --schedule beat lr.sgd, set.sgd.* and schedule.sgd
    TrainConfig sgd = resolve("--preset", file.toString(), "--lr", "0.3", "--set", "momentum=0.5", "--schedule",
        "cosine", "--epochs", "5", "--weight-decay", "0");
    assertEquals(Map.of("lr", "0.3", "weightDecay", "0", "momentum", "0.5"), sgd.hyperparameters());
    assertEquals("cosine", sgd.schedule());
    assertEquals(5, sgd.epochs());
    assertEquals("wrn-10-2", sgd.model(), "still from the preset");

    // --model and --data beat the preset's
    TrainConfig other = resolve("--preset", file.toString(), "--model", "lstm-tiny", "--data", "testdata/ptb");
    assertEquals("lstm-tiny", other.model());
    assertEquals("ptb", other.dataFormat());
    assertEquals("0.25", other.hyperparameters().get("clipNorm"), "the language-model default joins the preset's");
    assertEquals("0.05", other.hyperparameters().get("lr"));
  }

  @Test
  void noOptionsRunTheMainPreset() throws IOException {
    Map<String, String> main = new LinkedHashMap<>();
    Path file = Home.root().orElseThrow().resolve("presets/main.conf");
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      String content = line.strip();
      if (!content.isEmpty() && !content.startsWith("#")) {
        int eq = content.indexOf('=');
        main.put(content.substring(0, eq).strip(), content.substring(eq + 1).strip());
      }
    }
    TrainConfig config = Settings.resolve(RunOptions.none());
    assertEquals("preset main", config.preset());
    assertEquals(main.get("model"), config.model());
    assertEquals(Settings.dataFolder(main.get("data")).toString(), config.data());
    String optimizer = main.getOrDefault("optimizer", "kafisto");
    assertEquals(optimizer, config.optimizer());
    assertEquals(main.containsKey("steps") ? 0 : Integer.parseInt(main.getOrDefault("epochs", "10")),
        config.epochs());
    assertEquals(Long.parseLong(main.getOrDefault("steps", "0")), config.steps());
    assertEquals(Integer.parseInt(main.getOrDefault("batch-size", "128")), config.batchSize());
    assertEquals(main.getOrDefault("schedule." + optimizer, main.getOrDefault("schedule", "constant")),
        config.schedule());
    assertEquals(main.get("lr." + optimizer), config.hyperparameters().get("lr"));
    assertEquals(main.getOrDefault("weight-decay." + optimizer, main.get("weight-decay")),
        config.hyperparameters().get("weightDecay"));

    // naming a model (or data) leaves the main preset out: built-in defaults
    TrainConfig plain = resolve("--model", "wrn-10-2", "--data", "testdata/fashion-mnist");
    assertEquals("", plain.preset());
    assertEquals("kafisto", plain.optimizer());
    assertEquals(10, plain.epochs());
    assertEquals(128, plain.batchSize());
    assertEquals("constant", plain.schedule());
    assertEquals(Map.of(), plain.hyperparameters());
    assertEquals(1, plain.seed());
    assertEquals("kaiming-uniform", plain.init());
  }

  /**
   * config.json's "train" object is TrainConfig's components in snake case, in order, but for other families' settings
   * (a classifier has no n_critic, lambda or bptt), and reads back equal; a missing
   * or mistyped key is named; the two text settings added later read as empty in older files.
   */
  @Test
  void configJsonIsTheRecordsComponents() {
    TrainConfig config = resolve("--model", "wrn-10-2", "--data", "testdata/fashion-mnist", "--batch-size", "16",
        "--early-stopping", "test_error:3");
    Map<String, Object> map = config.toMap();
    assertEquals(List.of("model", "data", "data_format", "optimizer", "hyperparameters", "epochs", "steps",
        "batch_size", "schedule", "seed", "init", "augment", "sync_batch_norm", "dropout", "eval_every",
        "log_every", "log_step_size", "checkpoint_every", "keep_checkpoints", "on_nan", "precision", "xla", "preset", "init_from",
        "early_stopping"), List.copyOf(map.keySet()));
    assertEquals(16, map.get("batch_size"));
    assertEquals(config, TrainConfig.fromMap(Json.parseObject(Json.write(map))));
    Map<String, Object> older = new java.util.LinkedHashMap<>(Json.parseObject(Json.write(map)));
    older.remove("init_from");
    older.remove("early_stopping");
    older.remove("sync_batch_norm");
    older.remove("log_step_size");
    assertEquals("", TrainConfig.fromMap(older).earlyStopping());
    assertEquals(false, TrainConfig.fromMap(older).logStepSize(), "runs written before the setting existed");
    assertEquals(false, TrainConfig.fromMap(older).syncBatchNorm(), "runs written before the setting existed");
    older.remove("batch_size");
    assertEquals("no \"batch_size\"", org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> TrainConfig.fromMap(older)).getMessage());
    older.put("batch_size", "sixteen");
    org.junit.jupiter.api.Assertions.assertTrue(org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> TrainConfig.fromMap(older)).getMessage().startsWith("\"batch_size\" is sixteen, not a int"));
  }

  @Test
  void groupKeysAreAcceptedFromFlagsAndPresetsAndReachTheOptimizer(@TempDir Path tmp) throws IOException {
    // picocli cuts --set at the first '=', inside group[rank=1]; the key comes back whole
    TrainConfig config = resolve("--model", "wrn-10-2", "--data", "testdata/fashion-mnist", "--optimizer", "adamw",
        "--set", "group[.*bias|.*beta|.*gamma].weightDecay=0", "--set", "group[rank=1].weightDecay=0.5");
    assertEquals(Map.of("group[.*bias|.*beta|.*gamma].weightDecay", "0", "group[rank=1].weightDecay", "0.5"),
        config.hyperparameters());
    // the order is kept (the last matching group wins), also through config.json, which --resume reads
    List<String> order = List.of("group[.*bias|.*beta|.*gamma].weightDecay", "group[rank=1].weightDecay");
    assertEquals(order, List.copyOf(config.hyperparameters().keySet()));
    TrainConfig reread = TrainConfig.fromMap(Json.parseObject(Json.write(config.toMap())));
    assertEquals(order, List.copyOf(reread.hyperparameters().keySet()));
    try (Graph graph = new Graph()) {
      LossAwareOptimizer optimizer = Jobs.optimizer(config, 10).create(graph, "optimizer");
      OptimizerConfig built = optimizer.configuration();
      assertEquals(List.of(".*bias|.*beta|.*gamma", "rank=1"),
          built.groups().stream().map(VariableGroup::selector).toList());
      assertEquals(0.0, built.get(CommonHyperparameters.WEIGHT_DECAY, "wrn/dense/bias", 2), "first group");
      assertEquals(0.5, built.get(CommonHyperparameters.WEIGHT_DECAY, "wrn/block/bn/beta", 1), "the later group wins");
      assertEquals(0.5, built.get(CommonHyperparameters.WEIGHT_DECAY, "wrn/dense/scale", 1), "second group");
      assertEquals(0.01, built.get(CommonHyperparameters.WEIGHT_DECAY, "wrn/conv/kernel", 4), "adamw's default");
    }

    // a preset's set.OPT.group[...] line, with an '=' inside the selector
    Path file = Files.writeString(tmp.resolve("groups.conf"), String.join("\n",
        "model = wrn-10-2", "data = testdata/fashion-mnist", "optimizer = sgd",
        "set.sgd.group[rank<=1].weightDecay = 0", "weight-decay = 5e-4", ""));
    TrainConfig preset = resolve("--preset", file.toString());
    assertEquals(Map.of("weightDecay", "5e-4", "group[rank<=1].weightDecay", "0"), preset.hyperparameters());
  }

  @Test
  void familyDefaults() {
    TrainConfig lm = resolve("--model", "lstm-tiny", "--data", "testdata/ptb");
    assertEquals(20, lm.batchSize());
    assertEquals(35, lm.bptt());
    assertEquals(Map.of("clipNorm", "0.25"), lm.hyperparameters());
    assertEquals("xavier-uniform", lm.init());
    assertEquals(false, lm.augment(), "augmentation is for classifiers");
    TrainConfig gan = resolve("--model", "dcgan", "--data", "testdata/fashion-mnist-cifar10");
    assertEquals(64, gan.batchSize());
    assertEquals(5, gan.nCritic());
    assertEquals("xavier-normal", gan.init());
  }
}
