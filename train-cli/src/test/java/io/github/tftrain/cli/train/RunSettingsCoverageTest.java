package io.github.tftrain.cli.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
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
 * Every run setting (each option of {@code TrainOptions}, the one declaration the preset keys and --resume's check
 * are derived from) can be given three ways and is recorded: as a preset key, in config.json's "train" object and in
 * {@code train --help}. A setting that config.json forgets (or that a hand-written list drops, as presets once dropped
 * checkpoint-every, keep-checkpoints, on-nan and xla) fails here; a preset value is used when no flag overrides it.
 */
class RunSettingsCoverageTest {
  /** Options that are not stand-alone settings, and where they go instead. */
  private static final Map<String, String> ELSEWHERE = Map.of(
      "--preset", "the preset itself (config.json 'preset')",
      "--set", "optimizer hyperparameters (presets: set.OPT.KEY; config.json 'hyperparameters')",
      "--lr", "the lr hyperparameter (presets: lr.OPT)",
      "--weight-decay", "the weightDecay hyperparameter",
      "--clip-norm", "the clipNorm hyperparameter",
      "--run-dir", "where the run goes, not how it runs",
      "--init-from", "the weights of one run, not a recipe (config.json 'init_from'; not a preset key)");

  private static List<String> settingFlags() {
    List<String> flags = new ArrayList<>();
    for (Field field : TrainCommand.TrainOptions.class.getDeclaredFields()) {
      CommandLine.Option option = field.getAnnotation(CommandLine.Option.class);
      if (option != null) {
        flags.add(option.names()[0]);
      }
    }
    return flags;
  }

  @Test
  void everySettingIsAPresetKeyAConfigKeyAndInTheHelp() {
    List<String> flags = settingFlags();
    assertTrue(flags.size() > 20, flags::toString);
    String help = new CommandLine(new TrainCommand()).getUsageMessage();
    TrainCommand command = new TrainCommand();
    new CommandLine(command).parseArgs("--model", "wrn-10-1", "--data", "testdata/fashion-mnist", "--steps", "1");
    Set<String> configKeys = Settings.resolve(command.options).toMap().keySet();
    List<String> missing = new ArrayList<>();
    for (String flag : flags) {
      if (!help.contains(flag) && !help.contains("--[no-]" + flag.substring(2))) { // negatable: --[no-]xla
        missing.add(flag + " is not in train --help");
      }
      if (ELSEWHERE.containsKey(flag)) {
        continue;
      }
      String key = flag.substring(2);
      if (!Preset.KEYS.contains(key)) {
        missing.add(flag + " is not a preset key");
      }
      String configKey = key.equals("data") ? "data" : key.replace('-', '_');
      if (!configKeys.contains(configKey)) {
        missing.add(flag + " is not in config.json's train object (as " + configKey + ")");
      }
    }
    assertEquals(List.of(), missing);
  }

  @Test
  void presetValuesOfTheLoopSettingsAreUsed(@TempDir Path tmp) throws Exception {
    Path preset = tmp.resolve("loop.conf");
    Files.writeString(preset, "model = wrn-10-1\ndata = testdata/fashion-mnist\ncheckpoint-every = 7\n"
        + "keep-checkpoints = 5\non-nan = skip\nxla = false\nearly-stopping = test_error:2:0.01\n");
    TrainCommand command = new TrainCommand();
    new CommandLine(command).parseArgs("--preset", preset.toString(), "--keep-checkpoints", "2");
    TrainConfig config = Settings.resolve(command.options);
    assertEquals(7, config.checkpointEvery());
    assertEquals(2, config.keepCheckpoints(), "the flag wins over the preset");
    assertEquals("skip", config.onNan());
    assertEquals(false, config.xla());
    assertEquals("test_error:2:0.01", config.earlyStopping());

    Files.writeString(preset, "model = wrn-10-1\ndata = testdata/fashion-mnist\nxla = yes\n");
    TrainCommand bad = new TrainCommand();
    new CommandLine(bad).parseArgs("--preset", preset.toString());
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> Settings.resolve(bad.options));
    assertTrue(e.getMessage().contains("xla = 'yes' is not a valid value"), e.getMessage());
  }
}
