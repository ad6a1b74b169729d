package io.github.tftrain.cli.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.tftrain.cli.app.Tftrain;
import io.github.tftrain.cli.models.ModelSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Every run setting is declared once ({@link RunSettings}) and reaches every place a user meets it: the flag of
 * train, lr-find and compare (in their --help), a preset key whose value is used, config.json's "train" object for
 * the families it applies to (and only those), and a clear refusal for the others. A setting that one of these
 * forgets fails here, as presets once forgot checkpoint-every, keep-checkpoints, on-nan and xla.
 */
class RunSettingsCoverageTest {
  /**
   * A value other than the default for each recipe setting, and what config.json records for it. Written here, not
   * derived from the declarations, so that a new setting without an entry fails the test.
   */
  private static final Map<String, String[]> SAMPLES = Map.ofEntries(
      Map.entry("optimizer", new String[] {"SGD", "sgd"}),
      Map.entry("epochs", new String[] {"3", "3"}),
      Map.entry("batch-size", new String[] {"16", "16"}),
      Map.entry("schedule", new String[] {"Cosine", "cosine"}),
      Map.entry("seed", new String[] {"7", "7"}),
      Map.entry("init", new String[] {"orthogonal", "orthogonal"}),
      Map.entry("augment", new String[] {"false", "false"}),
      Map.entry("sync-batch-norm", new String[] {"true", "true"}),
      Map.entry("dropout", new String[] {"0.25", "0.25"}),
      Map.entry("n-critic", new String[] {"2", "2"}),
      Map.entry("lambda", new String[] {"3.5", "3.5"}),
      Map.entry("bptt", new String[] {"12", "12"}),
      Map.entry("precision", new String[] {"mixed-bfloat16", "mixed-bfloat16"}),
      Map.entry("xla", new String[] {"true", "true"}),
      Map.entry("eval-every", new String[] {"2", "2"}),
      Map.entry("log-every", new String[] {"9", "9"}),
      Map.entry("log-step-size", new String[] {"true", "true"}),
      Map.entry("checkpoint-every", new String[] {"7", "7"}),
      Map.entry("keep-checkpoints", new String[] {"5", "5"}),
      Map.entry("on-nan", new String[] {"SKIP", "skip"}),
      Map.entry("early-stopping", new String[] {"test_error:2:0.01", "test_error:2:0.01"}));

  /** A model and its data for each family. */
  private static final Map<ModelSpec.Family, String[]> MODELS = Map.of(
      ModelSpec.Family.IMAGE_CLASSIFIER, new String[] {"wrn-10-1", "testdata/fashion-mnist"},
      ModelSpec.Family.GAN, new String[] {"dcgan", "testdata/fashion-mnist"},
      ModelSpec.Family.LANGUAGE_MODEL, new String[] {"lstm-tiny", "testdata/ptb"});

  @Test
  void everySettingIsAFlagOfEveryCommandThatTakesThemAndInItsHelp() {
    for (String command : List.of("train", "lr-find", "compare")) {
      CommandLine line = Tftrain.commandLine().getSubcommands().get(command);
      String help = line.getUsageMessage();
      for (RunSetting<?> setting : RunSettings.ALL) {
        CommandLine.Model.OptionSpec option = line.getCommandSpec().findOption(setting.flag());
        assertTrue(option != null, command + " has no " + setting.flag());
        if (!option.hidden()) {
          String shown = setting.type() == Boolean.class ? "--[no-]" + setting.name() : setting.flag();
          assertTrue(help.contains(shown), command + " --help lacks " + shown);
        }
      }
    }
  }

  @Test
  void everyRecipeSettingIsAPresetKeyItsValueIsUsedAndConfigJsonRecordsIt(@TempDir Path tmp) throws Exception {
    List<String> problems = new ArrayList<>();
    for (RunSetting<?> setting : RunSettings.ALL) {
      if (setting.role() != RunSetting.Role.RUN || Set.of("model", "data", "steps").contains(setting.name())) {
        continue; // model and data are every case's; steps is checked with epochs in SettingsTest
      }
      if (!Preset.KEYS.contains(setting.name())) {
        problems.add(setting.name() + " is not a preset key");
      }
      String[] sample = SAMPLES.get(setting.name());
      if (sample == null) {
        problems.add(setting.name() + " has no sample value in this test");
        continue;
      }
      ModelSpec.Family family = setting.families().iterator().next();
      String[] model = MODELS.get(family);
      Path preset = tmp.resolve(setting.name() + ".conf");
      Files.writeString(preset, "model = " + model[0] + "\ndata = " + model[1] + "\n" + setting.name() + " = "
          + sample[0] + "\n");
      Object fromPreset = Settings.resolve(RunOptions.parse("--preset", preset.toString())).toMap()
          .get(setting.configKey().orElseThrow());
      if (!sample[1].equals(String.valueOf(fromPreset))) {
        problems.add(setting.name() + " = " + sample[0] + " in a preset gave " + fromPreset);
      }
      List<String> args = new ArrayList<>(List.of("--model", model[0], "--data", model[1]));
      if (setting.type() == Boolean.class) {
        args.add((Boolean.parseBoolean(sample[0]) ? "--" : "--no-") + setting.name());
      } else {
        args.addAll(List.of(setting.flag(), sample[0]));
      }
      Object fromFlag = Settings.resolve(RunOptions.parse(args.toArray(String[]::new))).toMap()
          .get(setting.configKey().orElseThrow());
      if (!sample[1].equals(String.valueOf(fromFlag))) {
        problems.add(setting.flag() + " " + sample[0] + " gave " + fromFlag);
      }
    }
    assertEquals(List.of(), problems);
  }

  @Test
  void configJsonHasEachFamilysSettingsAndNoOther() {
    for (Map.Entry<ModelSpec.Family, String[]> entry : MODELS.entrySet()) {
      TrainConfig config = Settings.resolve(RunOptions.parse("--model", entry.getValue()[0], "--data",
          entry.getValue()[1], "--steps", "1"));
      Map<String, Object> recorded = config.toMap();
      for (RunSetting<?> setting : RunSettings.ALL) {
        if (setting.configKey().isEmpty()) {
          continue;
        }
        String key = setting.configKey().get();
        assertEquals(setting.families().contains(entry.getKey()), recorded.containsKey(key),
            entry.getKey() + ": " + key);
      }
      assertEquals(config, TrainConfig.fromMap(recorded), "config.json reads back as written");
    }
  }

  @Test
  void aFamilysSettingIsRefusedForAnotherFamily(@TempDir Path tmp) throws Exception {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Settings.resolve(
        RunOptions.parse("--model", "wrn-10-1", "--data", "testdata/fashion-mnist", "--n-critic", "3")));
    assertEquals("--n-critic applies to dcgan only; wrn-10-1 is an image classifier", e.getMessage());

    Path preset = tmp.resolve("lm.conf");
    Files.writeString(preset, "model = lstm-tiny\ndata = testdata/ptb\naugment = true\n");
    e = assertThrows(IllegalArgumentException.class,
        () -> Settings.resolve(RunOptions.parse("--preset", preset.toString())));
    assertTrue(e.getMessage().startsWith("--augment applies to image classifiers only; lstm-tiny is a language "
        + "model (the value comes from " + preset + ")"), e.getMessage());
  }

  @Test
  void presetValuesAreCheckedAndNamed(@TempDir Path tmp) throws Exception {
    Path preset = tmp.resolve("loop.conf");
    Files.writeString(preset, "model = wrn-10-1\ndata = testdata/fashion-mnist\nxla = yes\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Settings.resolve(RunOptions.parse("--preset", preset.toString())));
    assertEquals(preset + ": xla = 'yes' is not a valid value", e.getMessage());

    Files.writeString(preset, "model = wrn-10-1\ndata = testdata/fashion-mnist\nkeep-checkpoints = 0\n");
    e = assertThrows(IllegalArgumentException.class,
        () -> Settings.resolve(RunOptions.parse("--preset", preset.toString())));
    assertEquals("--keep-checkpoints must be > 0, got 0 (from " + preset + ")", e.getMessage());

    // a learning rate means something else per optimizer (KaFiStO's gain): presets give it as lr.OPTIMIZER only
    Files.writeString(preset, "model = wrn-10-1\ndata = testdata/fashion-mnist\nlr = 0.1\n");
    e = assertThrows(IllegalArgumentException.class,
        () -> Settings.resolve(RunOptions.parse("--preset", preset.toString())));
    assertTrue(e.getMessage().contains("unknown key 'lr'"), e.getMessage());
  }

  @Test
  void negatableFlagsTakeEveryForm() {
    for (String[] form : new String[][] {{"--no-augment"}, {"--augment=false"}, {"--no-augment=true"}}) {
      List<String> args = new ArrayList<>(List.of("--model", "wrn-10-1", "--data", "testdata/fashion-mnist"));
      args.addAll(List.of(form));
      assertEquals(false, Settings.resolve(RunOptions.parse(args.toArray(String[]::new))).augment(), form[0]);
    }
  }

  @Test
  void theReadmeTableIsTheDeclarations() throws Exception {
    Path readme = Home.root().orElseThrow().resolve("README.md");
    String text = Files.readString(readme);
    String begin = "<!-- BEGIN GENERATED: tftrain presets --settings -->\n";
    int from = text.indexOf(begin);
    int to = text.indexOf("<!-- END GENERATED -->", from);
    assertTrue(from >= 0 && to > from, "README.md has no generated settings table");
    assertEquals(RunSettings.markdown(), text.substring(from + begin.length(), to),
        "README.md's settings table differs from the declarations: paste `tftrain presets --settings` there");
  }
}
