package io.github.tftrain.cli.settings;

import io.github.tftrain.cli.jobs.Jobs;
import io.github.tftrain.cli.jobs.RunOptimizer;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.tftrain.cli.app.Tftrain;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The shipped presets: the index and the folder agree, every preset parses, and for each preset and each optimizer it
 * gives a learning rate for, the resolved settings carry the papers' values (written out again below, independently
 * of the .conf files) and the optimizer builds with them, so no preset carries an invalid key or value.
 */
class PresetsTest {
  /** The dataset formats a preset may name in {@code expects-data} (TrainConfig.dataFormat's values). */
  private static final Set<String> FORMATS = Set.of("cifar10", "cifar100", "idx", "ptb", "wikitext");

  /** Shipped stand-in data for each expected format (CIFAR-100 presets run on the CIFAR-10-layout subset). */
  private static final Map<String, String> STAND_IN = Map.of(
      "cifar10", "testdata/fashion-mnist-cifar10",
      "cifar100", "testdata/fashion-mnist-cifar10",
      "ptb", "testdata/ptb",
      "wikitext", "testdata/wikitext");

  /**
   * What one optimizer gets from a preset.
   *
   * @param lr the base learning rate (KaFiStO: the gain)
   * @param schedule the schedule text
   * @param weightDecay the weightDecay hyperparameter, or null for none
   * @param finalFactor the schedule's value at the last step, as a multiple of lr (cosine:MIN: MIN / lr)
   * @param settings further hyperparameters the optimizer must get
   */
  private record Opt(double lr, String schedule, Double weightDecay, double finalFactor, Map<String, String> settings) {}

  /** What a preset resolves to, besides the optimizers. */
  private record Expect(String model, String expectsData, int epochs, int batchSize, Map<String, Opt> optimizers) {}

  /** The papers' settings, one entry per shipped preset. */
  private static Map<String, Expect> expected() {
    Map<String, Expect> e = new LinkedHashMap<>();
    e.put("main", new Expect("wrn-16-2", null, 8, 64, Map.of(
        "kafisto", new Opt(1.0, "cosine", 5e-4, 0, Map.of()),
        "sgd", new Opt(0.1, "cosine", 5e-4, 0, Map.of()),
        "adam", new Opt(3e-4, "cosine", 5e-4, 0, Map.of()),
        // Apollo's CIFAR lr; its warmup a tenth of main's 248 steps, not the paper's 500 (longer than the run)
        "apollo", new Opt(0.01, "cosine", 5e-4, 0, Map.of("warmup", "25")))));

    // KaFiStO §5.1 / Table 7: batch 128, wd 5e-4, SGD 0.1 (momentum 0.9), Adam 3e-4, KaFiStO 1.0. 100 epochs: x0.1
    // every 30 (three decays by epoch 100); 200 epochs: CIFAR-10 x0.1 at 150, CIFAR-100 x0.2 at 60, 120, 160.
    String step30 = "step:30:0.1";
    String at150 = "multistep:150:0.1";
    String at60 = "multistep:60,120,160:0.2";
    e.put("kafisto-cifar100-resnet18-100ep", kafistoCifar("resnet18", "cifar100", 100, step30, 1e-3));
    e.put("kafisto-cifar10-resnet18-100ep", kafistoCifar("resnet18", "cifar10", 100, step30, 1e-3));
    e.put("kafisto-cifar10-resnet18-200ep", kafistoCifar("resnet18", "cifar10", 200, at150, 0.1));
    e.put("kafisto-cifar100-resnet18-200ep", kafistoCifar("resnet18", "cifar100", 200, at60, 0.008));
    e.put("kafisto-cifar100-wrn-50-2-200ep", kafistoCifar("wrn-50-2", "cifar100", 200, at60, 0.008));

    // KaFiStO §5.2 / Table 8: WGAN-GP DCGAN, CIFAR-10, 100 epochs, batch 64; KaFiStO alpha 0.5, u = 4.
    for (int nCritic : new int[] {1, 5}) {
      e.put("kafisto-dcgan-cifar10-ncritic" + nCritic, new Expect("dcgan", "cifar10", 100, 64, Map.of(
          "kafisto", new Opt(1.0, "constant", null, 1, Map.of("alpha", "0.5", "lossOffset", "4")),
          "adam", new Opt(1e-4, "constant", null, 1, Map.of("beta1", "0.5", "beta2", "0.9")))));
    }

    // KaFiStO §5.3 / Table 9: KaFiStO 1.0; the rest chosen: 40 epochs, batch 20, SGD 20, Adam 1e-3, no decay.
    e.put("kafisto-ptb-lstm-tiny", languageModel("lstm-tiny", "ptb"));
    e.put("kafisto-ptb-lstm-large", languageModel("lstm-large", "ptb"));
    e.put("kafisto-wikitext2-transformer-tiny", languageModel("transformer-tiny", "wikitext"));

    // Apollo §4.1 / Table 1, authors' classification README: ResNet-110, batch 128. Milestone: 164 epochs, x0.1 at
    // 80 and 120. Cosine: 200 epochs down to each optimizer's last lr (an absolute value).
    Map<String, String> apollo = Map.of("eps", "1e-4", "warmup", "500", "initLr", "1e-5", "weightDecayType", "l2");
    Map<String, String> sgd = Map.of("momentum", "0.9", "nesterov", "true");
    String milestone = "multistep:80,120:0.1";
    e.put("apollo-cifar10-resnet110-milestone", new Expect("resnet110", "cifar10", 164, 128, Map.of(
        "apollo", new Opt(0.01, milestone, 2.5e-4, 0.01, apollo),
        "sgd", new Opt(0.1, milestone, 5e-4, 0.01, sgd),
        "adamw", new Opt(1e-3, milestone, 2.5e-2, 0.01, Map.of()),
        "adam", new Opt(1e-3, milestone, 5e-4, 0.01, Map.of()))));
    e.put("apollo-cifar10-resnet110-cosine", new Expect("resnet110", "cifar10", 200, 128, Map.of(
        "apollo", new Opt(0.01, "cosine:1e-5", 2.5e-4, 1e-5 / 0.01, apollo),
        "sgd", new Opt(0.1, "cosine:1e-4", 5e-4, 1e-4 / 0.1, sgd),
        "adamw", new Opt(1e-3, "cosine:1e-6", 2.5e-2, 1e-6 / 1e-3, Map.of()),
        "adam", new Opt(1e-3, "cosine:1e-6", 5e-4, 1e-6 / 1e-3, Map.of()))));
    return e;
  }

  private static Expect kafistoCifar(String model, String data, int epochs, String schedule, double finalFactor) {
    return new Expect(model, data, epochs, 128, Map.of(
        "kafisto", new Opt(1.0, schedule, 5e-4, finalFactor, Map.of()),
        "sgd", new Opt(0.1, schedule, 5e-4, finalFactor, Map.of("momentum", "0.9")),
        "adam", new Opt(3e-4, schedule, 5e-4, finalFactor, Map.of())));
  }

  private static Expect languageModel(String model, String data) {
    Map<String, String> clip = Map.of("clipNorm", "0.25");
    return new Expect(model, data, 40, 20, Map.of(
        "kafisto", new Opt(1.0, "constant", null, 1, clip),
        "sgd", new Opt(20, "constant", null, 1, clip),
        "adam", new Opt(1e-3, "constant", null, 1, clip)));
  }

  private static Path presetsFolder() {
    Path root = Home.root().orElseThrow(() -> new AssertionError("no tftrain checkout found"));
    Path folder = root.resolve("presets");
    assertTrue(Files.isDirectory(folder), folder + " is not a folder");
    return folder;
  }

  private static List<String> indexFile() throws IOException {
    List<String> names = new ArrayList<>();
    for (String line : Files.readAllLines(presetsFolder().resolve("index.txt"), StandardCharsets.UTF_8)) {
      if (!line.isBlank()) {
        names.add(line.trim());
      }
    }
    return names;
  }

  @Test
  void indexListsExactlyTheConfFilesMainFirstThenSorted() throws IOException {
    Set<String> files = new TreeSet<>();
    try (Stream<Path> list = Files.list(presetsFolder())) {
      list.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".conf"))
          .forEach(n -> files.add(n.substring(0, n.length() - ".conf".length())));
    }
    List<String> index = indexFile();
    assertEquals(files, new TreeSet<>(index), "presets/index.txt vs the .conf files in presets/");
    assertEquals(index.size(), new TreeSet<>(index).size(), "a name is listed twice in index.txt");
    assertEquals("main", index.get(0));
    List<String> rest = new ArrayList<>(index.subList(1, index.size()));
    List<String> sorted = new ArrayList<>(rest);
    sorted.sort(null);
    assertEquals(sorted, rest, "index.txt: main first, then the rest sorted");
    assertEquals(index, Preset.names(), "the index on the classpath (the jar's) differs from presets/index.txt");
    assertEquals(new TreeSet<>(index), new TreeSet<>(expected().keySet()), "this test's table vs the index");
  }

  @Test
  void everyPresetLoadsAndIsDocumented() throws IOException {
    for (String name : Preset.names()) {
      Preset preset = assertDoesNotThrow(() -> Preset.load(name), name);
      assertFalse(preset.get("description").orElse("").isBlank(), name + ": no description");
      String text = Files.readString(presetsFolder().resolve(name + ".conf"), StandardCharsets.UTF_8);
      assertTrue(text.startsWith("#"), name + ": should start with comment lines (paper, table, differences)");
      assertEquals(text, new String(Preset.class.getResourceAsStream("/presets/" + name + ".conf").readAllBytes(),
          StandardCharsets.UTF_8), name + ": the classpath copy is stale");
      if (!name.equals("main")) {
        assertTrue(preset.get("data").isEmpty(), name + ": paper data is not shipped, so 'data' stays unset");
        String format = preset.get("expects-data").orElse("");
        assertTrue(FORMATS.contains(format), name + ": expects-data '" + format + "' is not one of " + FORMATS);
        assertEquals(expected().get(name).expectsData(), format, name + ": expects-data");
      }
    }
  }

  @Test
  void everyPresetResolvesToThePapersSettingsAndBuildsItsOptimizers() {
    for (Map.Entry<String, Expect> entry : expected().entrySet()) {
      String name = entry.getKey();
      Expect want = entry.getValue();
      Preset preset = Preset.load(name);
      Set<String> withLr = new TreeSet<>();
      preset.values().keySet().stream().filter(k -> k.startsWith("lr.")).forEach(k -> withLr.add(k.substring(3)));
      assertEquals(new TreeSet<>(want.optimizers().keySet()), withLr, name + ": optimizers with lr.OPT");

      for (Map.Entry<String, Opt> o : want.optimizers().entrySet()) {
        String optimizer = o.getKey();
        Opt opt = o.getValue();
        String where = name + " with " + optimizer;
        RunOptions flags = RunOptions.none().with(RunSettings.PRESET, name).with(RunSettings.OPTIMIZER, optimizer)
            .with(RunSettings.DATA, want.expectsData() == null ? null : STAND_IN.get(want.expectsData()));
        TrainConfig config = assertDoesNotThrow(() -> Settings.resolve(flags), where);

        assertEquals(want.model(), config.model(), where + ": model");
        assertEquals(optimizer, config.optimizer(), where + ": optimizer");
        assertEquals(want.epochs(), config.epochs(), where + ": epochs");
        assertEquals(want.batchSize(), config.batchSize(), where + ": batch size");
        if (want.expectsData() != null && !want.expectsData().equals("cifar100")) {
          assertEquals(want.expectsData(), config.dataFormat(), where + ": the stand-in data's format");
        }
        Map<String, String> hyper = config.hyperparameters();
        assertEquals(opt.lr(), Double.parseDouble(hyper.get("lr")), 0, where + ": lr");
        assertEquals(opt.schedule(), config.schedule(), where + ": schedule");
        if (opt.weightDecay() == null) {
          assertFalse(hyper.containsKey("weightDecay"), where + ": no weight decay expected, got " + hyper);
        } else {
          assertEquals(opt.weightDecay(), Double.parseDouble(hyper.get("weightDecay")), 0, where + ": weight decay");
        }
        opt.settings().forEach((key, value) -> assertEquals(value, hyper.get(key), where + ": " + key));

        // the schedule over a CIFAR-sized run: 390 steps per epoch
        long stepsPerEpoch = 390;
        long total = config.epochs() * stepsPerEpoch;
        double last = new ScheduleSpec(config.schedule()).toSchedule(opt.lr(), stepsPerEpoch, total).valueAt(total);
        assertEquals(opt.finalFactor() * opt.lr(), last, 1e-12 * opt.lr(), where + ": lr at the last step");

        // the optimizer validates every key and value when it is built
        assertDoesNotThrow(
            () -> new RunOptimizer(optimizer, hyper, new ScheduleSpec(config.schedule()), stepsPerEpoch, total),
            where + ": building the optimizer");
      }
    }
  }

  /**
   * The main job (8 epochs of 31 steps) leaves every optimizer's own warmup well before its end, so the schedule
   * runs and {@code tftrain train --optimizer apollo} and {@code tftrain compare} on it print no warmup warning.
   */
  @Test
  void theMainPresetLeavesEveryWarmupEarly() {
    long stepsPerEpoch = 31; // 2,000 training images in batches of 64, the partial last one dropped
    for (String optimizer : expected().get("main").optimizers().keySet()) {
      TrainConfig config = resolve("main", optimizer);
      RunOptimizer run = Jobs.optimizer(config, stepsPerEpoch);
      assertEquals(java.util.Optional.empty(), run.warmupWarning(), optimizer);
    }
    TrainConfig apollo = resolve("main", "apollo");
    long warmup = Long.parseLong(apollo.hyperparameters().get("warmup"));
    long total = Jobs.totalSteps(apollo, stepsPerEpoch);
    assertEquals(248, total);
    assertTrue(warmup > 0 && warmup <= total / 8, "apollo's warmup " + warmup + " of " + total + " steps");
  }

  @Test
  void classifierGanAndLanguageModelSettings() {
    for (String name : List.of("kafisto-cifar100-resnet18-100ep", "apollo-cifar10-resnet110-cosine")) {
      TrainConfig config = resolve(name, null);
      assertTrue(config.augment(), name + ": crop + flip");
    }
    for (int nCritic : new int[] {1, 5}) {
      TrainConfig config = resolve("kafisto-dcgan-cifar10-ncritic" + nCritic, null);
      assertEquals(nCritic, config.nCritic());
      assertEquals(10.0, config.lambda(), 0);
    }
    for (String name : List.of("kafisto-ptb-lstm-tiny", "kafisto-ptb-lstm-large")) {
      TrainConfig config = resolve(name, null);
      assertEquals(0.65, config.dropout(), 0, name);
      assertEquals(35, config.bptt(), name);
    }
    assertEquals(0.2, resolve("kafisto-wikitext2-transformer-tiny", null).dropout(), 0);
  }

  @Test
  void flagsStillOverrideAPreset() {
    TrainConfig config = Settings.resolve(RunOptions.parse("--preset", "kafisto-cifar10-resnet18-100ep", "--data",
        STAND_IN.get("cifar10"), "--model", "resnet50", "--lr", "0.5", "--epochs", "2"));
    assertEquals("resnet50", config.model());
    assertEquals("0.5", config.hyperparameters().get("lr"));
    assertEquals(2, config.epochs());
    assertEquals("step:30:0.1", config.schedule());
  }

  @Test
  void presetsCommandListsEveryPresetWithItsDescription() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Tftrain.execute(new PrintWriter(out), new PrintWriter(err), "presets");
    assertEquals(0, code, err.toString());
    List<String> lines = out.toString().lines().toList();
    List<String> names = Preset.names();
    assertEquals(names.size(), lines.size(), out.toString());
    for (int i = 0; i < names.size(); i++) {
      Preset preset = Preset.load(names.get(i));
      String line = lines.get(i);
      assertTrue(line.startsWith(names.get(i) + " "), line);
      assertTrue(line.contains(preset.get("description").orElseThrow()), line);
      assertEquals(preset.get("data").isEmpty(), line.endsWith("[--data DIR: "
          + preset.get("expects-data").orElse("?") + "]"), line);
    }
  }

  private static TrainConfig resolve(String name, String optimizer) {
    String format = Preset.load(name).get("expects-data").orElse(null);
    RunOptions flags = RunOptions.none().with(RunSettings.PRESET, name).with(RunSettings.OPTIMIZER, optimizer)
        .with(RunSettings.DATA, format == null ? null : STAND_IN.get(format));
    return Settings.resolve(flags);
  }
}
