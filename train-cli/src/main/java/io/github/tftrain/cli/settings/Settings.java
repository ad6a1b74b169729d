package io.github.tftrain.cli.settings;


import io.github.tftrain.cli.OptimizerSettings;
import io.github.tftrain.cli.models.ModelSpec;
import io.github.tftrain.data.DataFormatException;
import io.github.tftrain.data.ImageFolder;
import io.github.tftrain.data.TextCorpus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Map;

/**
 * Resolves a run's settings: each {@link RunSettings} declaration's default for the model, overridden by the preset,
 * overridden by the flags. Every value is checked here, before any file is written, so a bad one fails with its
 * flag's name and exit code 2. The rules that relate settings live here too: --epochs or --steps, the hyperparameters
 * the optimizer is built with, dropout only where the model has dropout layers, a family's settings only for it.
 */
public final class Settings {
  /** Debian's dataset-fashion-mnist package. */
  static final Path DEBIAN_FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

  private final RunOptions flags;
  private final Preset preset;

  private Settings(RunOptions flags, Preset preset) {
    this.flags = flags;
    this.preset = preset;
  }

  /** The run's settings from the flags (and the preset they name, or {@code main} when nothing is named). */
  public static TrainConfig resolve(RunOptions flags) {
    Preset preset = null;
    if (flags.has(RunSettings.PRESET)) {
      preset = Preset.load(flags.get(RunSettings.PRESET).orElseThrow());
    } else if (!flags.has(RunSettings.MODEL) && !flags.has(RunSettings.DATA)) {
      preset = Preset.load("main");
    }
    return new Settings(flags, preset).resolve();
  }

  private TrainConfig resolve() {
    String model = given(RunSettings.MODEL, null).orElseThrow(() -> new IllegalArgumentException(
        "--model is required (or a --preset that sets it); valid: " + String.join(", ", ModelSpec.names())));
    ModelSpec spec = ModelSpec.parse(model);
    String dataText = given(RunSettings.DATA, null).orElseThrow(() -> new IllegalArgumentException(
        "--data is required (a dataset folder, 'fashion-mnist', or testdata/NAME)"));
    Path data = dataFolder(dataText);
    String format = detectFormat(spec, data);
    String optimizer = value(RunSettings.OPTIMIZER, spec, null);

    Map<String, Object> components = new LinkedHashMap<>();
    components.put("model", spec.name());
    components.put("data", data.toString());
    components.put("dataFormat", format);
    components.put("optimizer", optimizer);
    components.put("hyperparameters", hyperparameters(spec, optimizer));
    components.put("preset", preset == null ? "" : preset.source());
    length(spec, components);
    for (RunSetting<?> setting : RunSettings.ALL) {
      String component = setting.component();
      if (TrainConfig.components().contains(component) && !components.containsKey(component)) {
        components.put(component, value(setting, spec, optimizer));
      }
    }
    if (spec instanceof ModelSpec.ImageClassifier c && !c.isWideResNet() && (double) components.get("dropout") != 0) {
      throw new IllegalArgumentException("--dropout: " + c.name() + " has no dropout layers (only wrn-D-K has)");
    }
    return TrainConfig.fromComponents(components);
  }

  /**
   * The optimizer's hyperparameters, in the order they apply: the preset's (its hyperparameter keys, then its
   * set.OPTIMIZER.KEY lines), a family's default (language models clip at 0.25), then --set, then --lr,
   * --weight-decay and --clip-norm. The optimizer's builder checks every key, value and cross-check, without a
   * graph, before any data is read.
   */
  private Map<String, String> hyperparameters(ModelSpec spec, String optimizer) {
    Map<String, String> hyper = new LinkedHashMap<>();
    List<RunSetting<String>> keys = List.of(RunSettings.LR, RunSettings.WEIGHT_DECAY, RunSettings.CLIP_NORM);
    if (preset != null) {
      for (RunSetting<String> key : keys) {
        fromPreset(key, optimizer).ifPresent(v -> hyper.put(key.hyperparameter(), v));
      }
      hyper.putAll(preset.settings(optimizer));
    }
    for (RunSetting<String> key : keys) {
      String byDefault = key.defaultFor(spec);
      if (byDefault != null && !hyper.containsKey(key.hyperparameter())) {
        hyper.put(key.hyperparameter(), byDefault);
      }
    }
    flags.get(RunSettings.SET).ifPresent(set -> hyper.putAll(OptimizerSettings.rejoined(set)));
    for (RunSetting<String> key : keys) {
      flags.get(key).ifPresent(v -> hyper.put(key.hyperparameter(), v));
    }
    OptimizerSettings.validate(optimizer, hyper);
    return hyper;
  }

  /** --epochs or --steps: a flag beats the preset, and either flag beats both of the preset's; epochs by default. */
  private void length(ModelSpec spec, Map<String, Object> components) {
    if (flags.has(RunSettings.EPOCHS) && flags.has(RunSettings.STEPS)) {
      throw new IllegalArgumentException("give --epochs or --steps, not both");
    }
    boolean steps = flags.has(RunSettings.STEPS)
        || (!flags.has(RunSettings.EPOCHS) && preset != null && preset.get(RunSettings.STEPS.name()).isPresent());
    components.put("steps", steps ? value(RunSettings.STEPS, spec, null) : 0L);
    components.put("epochs", steps ? 0 : value(RunSettings.EPOCHS, spec, null));
  }

  /**
   * A setting's resolved value: the flag, else the preset's (per optimizer first), else the default for the model;
   * checked. Given for a model of a family it does not apply to, it is refused.
   */
  private <T> T value(RunSetting<T> setting, ModelSpec spec, String optimizer) {
    Optional<T> given = given(setting, optimizer);
    if (given.isPresent() && !setting.appliesTo(spec)) {
      throw new IllegalArgumentException(setting.flag() + " applies to " + String.join(", ",
          setting.families().stream().map(ModelSpec.Family::label).toList()) + " only; " + spec.name() + " is "
          + spec.family().one() + (preset != null && !flags.has(setting)
              ? " (the value comes from " + preset.source() + ")" : ""));
    }
    T value = given.orElseGet(() -> setting.defaultFor(spec));
    if (value == null) {
      throw new IllegalStateException(setting.flag() + " has no default"); // a declaration without one is recorded
    }
    try {
      return setting.resolve(value);
    } catch (IllegalArgumentException e) {
      if (preset != null && !flags.has(setting) && given.isPresent()) {
        throw new IllegalArgumentException(e.getMessage() + " (from " + preset.source() + ")", e);
      }
      throw e;
    }
  }

  /** The flag's value, else the preset's (per optimizer first, when the setting may be), parsed. */
  private <T> Optional<T> given(RunSetting<T> setting, String optimizer) {
    Optional<T> flag = flags.get(setting);
    if (flag.isPresent()) {
      return flag;
    }
    return fromPreset(setting, optimizer).map(text -> parse(setting, text));
  }

  private Optional<String> fromPreset(RunSetting<?> setting, String optimizer) {
    if (preset == null || !(setting.isPresetKey() || setting.perOptimizer())) {
      return Optional.empty();
    }
    Optional<String> perOptimizer = setting.perOptimizer() && optimizer != null
        ? preset.forOptimizer(setting.name(), optimizer) : Optional.empty();
    return setting.isPresetKey() ? perOptimizer.or(() -> preset.get(setting.name())) : perOptimizer;
  }

  private <T> T parse(RunSetting<T> setting, String text) {
    try {
      return setting.parse(text);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(preset.source() + ": " + setting.name() + " = '" + text
          + "' is not a valid value", e);
    }
  }

  /**
   * The dataset folder: 'fashion-mnist' is Debian's package; an existing path is taken as is; testdata/NAME falls
   * back to the shipped testdata of this checkout.
   */
  public static Path dataFolder(String text) {
    if (text.equals("fashion-mnist")) {
      if (!Files.isDirectory(DEBIAN_FASHION_MNIST)) {
        throw new IllegalArgumentException("--data fashion-mnist: " + DEBIAN_FASHION_MNIST
            + " does not exist (apt-get install dataset-fashion-mnist), or pass the folder of the IDX files");
      }
      return DEBIAN_FASHION_MNIST;
    }
    Path path = Path.of(text);
    if (Files.isDirectory(path)) {
      return path.toAbsolutePath().normalize();
    }
    if (text.startsWith("testdata/")) {
      Path shipped = Home.testdata(text.substring("testdata/".length()));
      if (Files.isDirectory(shipped)) {
        return shipped;
      }
    }
    throw new IllegalArgumentException("--data " + text + ": no such folder");
  }

  /** The dataset format, checked against the model family. */
  public static String detectFormat(ModelSpec spec, Path data) {
    try {
      if (spec instanceof ModelSpec.LanguageModel) {
        return TextCorpus.detect(data).name().toLowerCase(Locale.ROOT);
      }
      if (spec instanceof ModelSpec.Mlp) {
        if (!io.github.tftrain.data.CsvTable.detect(data)) {
          throw new DataFormatException(data + ": no train.csv (a CSV dataset has train.csv and test.csv, a header "
              + "row, a 'label' column of class indices and numeric feature columns)");
        }
        return "csv";
      }
      return ImageFolder.detect(data).name().toLowerCase(Locale.ROOT);
    } catch (DataFormatException e) {
      String want = spec instanceof ModelSpec.LanguageModel ? "a text corpus (PTB or WikiText)"
          : spec instanceof ModelSpec.Mlp ? "a CSV dataset"
          : "an image dataset (CIFAR-10/100 binary, IDX or image folders)";
      throw new IllegalArgumentException("--data " + data + ": " + spec.name() + " needs " + want + "; "
          + e.getMessage(), e);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
