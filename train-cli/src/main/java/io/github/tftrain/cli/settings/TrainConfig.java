package io.github.tftrain.cli.settings;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every resolved setting of a training run: built-in defaults, then the preset, then the flags. Written to the run
 * directory's config.json; {@code --resume} rebuilds the run from it.
 *
 * @param model a model name ({@code ModelSpec.parse})
 * @param data the dataset folder (absolute)
 * @param dataFormat the detected format: cifar10, cifar100, idx, ptb or wikitext
 * @param optimizer an optimizer name
 * @param hyperparameters the optimizer's hyperparameters as text ({@code lr}, {@code weightDecay}, {@code clipNorm},
 *     the optimizer's own keys and {@code group[SELECTOR].KEY}), in the order they apply
 * @param epochs number of epochs, or 0 when {@code steps} limits the run
 * @param steps number of steps, or 0 when {@code epochs} limits the run
 * @param batchSize images per step, or rows per BPTT window
 * @param schedule the learning-rate schedule ({@link ScheduleSpec})
 * @param seed seeds initialisation, data order, augmentation, dropout and noise
 * @param init the kernel initializer's name
 * @param augment random crop + flip (classifiers)
 * @param syncBatchNorm batch norm with the global batch's statistics across workers (classifiers)
 * @param dropout dropout rate (WideResNet between convolutions; language models everywhere)
 * @param nCritic critic steps per generator step (GAN)
 * @param lambda gradient-penalty weight (GAN)
 * @param bptt window length (language models)
 * @param evalEvery evaluate every this many epochs (and at the end)
 * @param logEvery write a metrics row every this many steps
 * @param logStepSize log each step's update norm and its ratio to the gradient norm (classifiers, language models)
 * @param checkpointEvery also checkpoint every this many steps (0: at epoch ends only)
 * @param keepCheckpoints how many of the latest checkpoints to keep (the best is kept as well)
 * @param onNan stop or skip on a non-finite loss
 * @param precision float32 or mixed-bfloat16
 * @param xla XLA auto-clustering
 * @param preset the preset's source, or empty
 * @param initFrom the run whose weights a new run starts from ({@code --init-from}), or empty
 * @param earlyStopping {@code METRIC:PATIENCE[:MIN_DELTA]} ({@code --early-stopping}), or empty
 */
public record TrainConfig(
    String model,
    String data,
    String dataFormat,
    String optimizer,
    Map<String, String> hyperparameters,
    int epochs,
    long steps,
    int batchSize,
    String schedule,
    long seed,
    String init,
    boolean augment,
    boolean syncBatchNorm,
    double dropout,
    int nCritic,
    double lambda,
    int bptt,
    int evalEvery,
    int logEvery,
    boolean logStepSize,
    int checkpointEvery,
    int keepCheckpoints,
    String onNan,
    String precision,
    boolean xla,
    String preset,
    String initFrom,
    String earlyStopping) {

  public TrainConfig {
    // In the order given: the builder applies them in order, and among variable groups that set the same key for a
    // variable the last one wins (Map.copyOf's order would differ from JVM to JVM).
    hyperparameters = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(hyperparameters));
  }

  /** The same settings on another dataset folder of the given format (tftrain eval --data). */
  public TrainConfig withData(String otherData, String otherFormat) {
    return with(Map.of("data", otherData, "dataFormat", otherFormat));
  }

  /** The same settings with another learning-rate schedule (its text, as --schedule takes it). */
  public TrainConfig withSchedule(String otherSchedule) {
    return with(Map.of("schedule", otherSchedule));
  }

  /** The same settings with another length: {@code epochs}, or {@code steps} when it is above 0 (then epochs 0). */
  public TrainConfig withLength(int otherEpochs, long otherSteps) {
    return with(Map.of("epochs", otherSteps > 0 ? 0 : otherEpochs, "steps", otherSteps));
  }

  /** These settings with some components replaced (by component name). */
  private TrainConfig with(Map<String, Object> replaced) {
    Map<String, Object> byComponent = values();
    byComponent.putAll(replaced);
    return fromComponents(byComponent);
  }

  /** Every component's value, by name, in declaration order. */
  private Map<String, Object> values() {
    Map<String, Object> byComponent = new LinkedHashMap<>();
    for (java.lang.reflect.RecordComponent component : TrainConfig.class.getRecordComponents()) {
      try {
        byComponent.put(component.getName(), component.getAccessor().invoke(this));
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(e);
      }
    }
    return byComponent;
  }

  /** The run's length in steps, given its steps per epoch. */
  public long totalSteps(long stepsPerEpoch) {
    return steps > 0 ? steps : epochs * stepsPerEpoch;
  }

  /**
   * The settings as an ordered map (config.json's "train" object): one entry per record component, in declaration
   * order, named in snake case (batchSize: batch_size), but for the settings of other model families. The record's
   * components are the one list of what config.json
   * records; {@link #fromMap} reads it back the same way.
   */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    io.github.tftrain.cli.models.ModelSpec spec = io.github.tftrain.cli.models.ModelSpec.parse(model);
    values().forEach((component, value) -> {
      RunSetting<?> setting = RunSettings.byComponent(component);
      if (setting == null || setting.appliesTo(spec)) { // not another family's setting (n_critic for a classifier)
        // hyperparameters keep their order (among variable groups the last one wins)
        m.put(configKey(component), value instanceof Map<?, ?> map ? new LinkedHashMap<>(map) : value);
      }
    });
    return m;
  }


  /** A component's config.json key: batchSize becomes batch_size, nCritic n_critic. */
  static String configKey(String component) {
    return component.replaceAll("([A-Z])", "_$1").toLowerCase(java.util.Locale.ROOT);
  }

  /** The training loop's part of the settings. */
  public io.github.tftrain.trainer.LoopSettings loopSettings() {
    return new io.github.tftrain.trainer.LoopSettings(epochs, steps, logEvery, evalEvery, checkpointEvery,
        keepCheckpoints, onNan, initFrom);
  }

  /** Reads the "train" object of a run's config.json. */
  @SuppressWarnings("unchecked")
  public static TrainConfig read(io.github.tftrain.trainer.RunDirectory run) throws java.io.IOException {
    java.nio.file.Path file = run.config();
    Map<String, Object> all = io.github.tftrain.trainer.Json.parseObject(
        java.nio.file.Files.readString(file, java.nio.charset.StandardCharsets.UTF_8), file);
    Object train = all.get("train");
    if (!(train instanceof Map)) {
      throw new IllegalArgumentException(file + ": no \"train\" settings");
    }
    try {
      return fromMap((Map<String, Object>) train);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(file + ": its \"train\" settings are incomplete or malformed ("
          + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")", e);
    }
  }

  /** The names of the record's components, in declaration order. */
  public static List<String> components() {
    List<String> names = new ArrayList<>();
    for (java.lang.reflect.RecordComponent component : TrainConfig.class.getRecordComponents()) {
      names.add(component.getName());
    }
    return names;
  }

  /**
   * Reads {@link #toMap()}'s output back. A setting of another model family, or one added after the run was written
   * (init_from, early_stopping), reads as its declared default when absent; any other missing or mistyped key fails
   * naming it.
   */
  @SuppressWarnings("unchecked")
  public static TrainConfig fromMap(Map<String, Object> m) {
    Object modelName = m.get("model");
    if (!(modelName instanceof String)) {
      throw new IllegalArgumentException("no \"model\"");
    }
    io.github.tftrain.cli.models.ModelSpec spec = io.github.tftrain.cli.models.ModelSpec.parse((String) modelName);
    Map<String, Object> byComponent = new LinkedHashMap<>();
    for (String component : components()) {
      String key = configKey(component);
      Object value = m.get(key);
      RunSetting<?> setting = RunSettings.byComponent(component);
      if (value == null && setting != null && (!setting.appliesTo(spec) || setting.addedLater())) {
        value = setting.defaultFor(spec);
      }
      if (value == null) {
        throw new IllegalArgumentException("no \"" + key + "\"");
      }
      byComponent.put(component, value);
    }
    return fromComponents(byComponent);
  }

  /**
   * Builds the settings from a value per component (numbers of any type, text, booleans, the hyperparameters' map).
   *
   * @throws IllegalArgumentException for a missing or mistyped component, named as in config.json
   */
  @SuppressWarnings("unchecked")
  public static TrainConfig fromComponents(Map<String, Object> byComponent) {
    java.lang.reflect.RecordComponent[] components = TrainConfig.class.getRecordComponents();
    Object[] values = new Object[components.length];
    Class<?>[] types = new Class<?>[components.length];
    for (int i = 0; i < components.length; i++) {
      String key = configKey(components[i].getName());
      Class<?> type = components[i].getType();
      types[i] = type;
      Object value = byComponent.get(components[i].getName());
      if (value == null) {
        throw new IllegalArgumentException("no \"" + key + "\"");
      }
      try {
        if (type == int.class) {
          values[i] = ((Number) value).intValue();
        } else if (type == long.class) {
          values[i] = ((Number) value).longValue();
        } else if (type == double.class) {
          values[i] = ((Number) value).doubleValue();
        } else if (type == boolean.class) {
          values[i] = (Boolean) value;
        } else if (type == Map.class) {
          Map<String, String> hyper = new LinkedHashMap<>();
          ((Map<String, Object>) value).forEach((k, v) -> hyper.put(k, String.valueOf(v)));
          values[i] = hyper;
        } else {
          values[i] = (String) value;
        }
      } catch (ClassCastException e) {
        throw new IllegalArgumentException("\"" + key + "\" is " + value + ", not a " + type.getSimpleName(), e);
      }
    }
    try {
      return TrainConfig.class.getDeclaredConstructor(types).newInstance(values);
    } catch (java.lang.reflect.InvocationTargetException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

}
