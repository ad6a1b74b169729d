package io.github.tftrain.cli.train;

import java.util.LinkedHashMap;
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
 * @param dropout dropout rate (WideResNet between convolutions; language models everywhere)
 * @param nCritic critic steps per generator step (GAN)
 * @param lambda gradient-penalty weight (GAN)
 * @param bptt window length (language models)
 * @param evalEvery evaluate every this many epochs (and at the end)
 * @param logEvery write a metrics row every this many steps
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
    double dropout,
    int nCritic,
    double lambda,
    int bptt,
    int evalEvery,
    int logEvery,
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
    return new TrainConfig(model, otherData, otherFormat, optimizer, hyperparameters, epochs, steps, batchSize,
        schedule, seed, init, augment, dropout, nCritic, lambda, bptt, evalEvery, logEvery, checkpointEvery,
        keepCheckpoints, onNan, precision, xla, preset, initFrom, earlyStopping);
  }

  /** The same settings with another learning-rate schedule (its text, as --schedule takes it). */
  public TrainConfig withSchedule(String otherSchedule) {
    return new TrainConfig(model, data, dataFormat, optimizer, hyperparameters, epochs, steps, batchSize,
        otherSchedule, seed, init, augment, dropout, nCritic, lambda, bptt, evalEvery, logEvery, checkpointEvery,
        keepCheckpoints, onNan, precision, xla, preset, initFrom, earlyStopping);
  }

  /** The same settings with another length: {@code epochs}, or {@code steps} when it is above 0 (then epochs 0). */
  public TrainConfig withLength(int otherEpochs, long otherSteps) {
    return new TrainConfig(model, data, dataFormat, optimizer, hyperparameters, otherSteps > 0 ? 0 : otherEpochs,
        otherSteps, batchSize, schedule, seed, init, augment, dropout, nCritic, lambda, bptt, evalEvery, logEvery,
        checkpointEvery, keepCheckpoints, onNan, precision, xla, preset, initFrom, earlyStopping);
  }

  /** The run's length in steps, given its steps per epoch. */
  public long totalSteps(long stepsPerEpoch) {
    return steps > 0 ? steps : epochs * stepsPerEpoch;
  }

  /** The settings as an ordered map (config.json's "train" object). */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("model", model);
    m.put("data", data);
    m.put("data_format", dataFormat);
    m.put("optimizer", optimizer);
    m.put("hyperparameters", new LinkedHashMap<>(hyperparameters)); // order matters (variable groups)
    m.put("epochs", epochs);
    m.put("steps", steps);
    m.put("batch_size", batchSize);
    m.put("schedule", schedule);
    m.put("seed", seed);
    m.put("init", init);
    m.put("augment", augment);
    m.put("dropout", dropout);
    m.put("n_critic", nCritic);
    m.put("lambda", lambda);
    m.put("bptt", bptt);
    m.put("eval_every", evalEvery);
    m.put("log_every", logEvery);
    m.put("checkpoint_every", checkpointEvery);
    m.put("keep_checkpoints", keepCheckpoints);
    m.put("on_nan", onNan);
    m.put("precision", precision);
    m.put("xla", xla);
    m.put("preset", preset);
    m.put("init_from", initFrom);
    m.put("early_stopping", earlyStopping);
    return m;
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

  /** Reads {@link #toMap()}'s output back. */
  @SuppressWarnings("unchecked")
  public static TrainConfig fromMap(Map<String, Object> m) {
    Map<String, String> hyper = new LinkedHashMap<>();
    ((Map<String, Object>) m.get("hyperparameters")).forEach((k, v) -> hyper.put(k, String.valueOf(v)));
    return new TrainConfig(
        (String) m.get("model"),
        (String) m.get("data"),
        (String) m.get("data_format"),
        (String) m.get("optimizer"),
        hyper,
        ((Number) m.get("epochs")).intValue(),
        ((Number) m.get("steps")).longValue(),
        ((Number) m.get("batch_size")).intValue(),
        (String) m.get("schedule"),
        ((Number) m.get("seed")).longValue(),
        (String) m.get("init"),
        (Boolean) m.get("augment"),
        ((Number) m.get("dropout")).doubleValue(),
        ((Number) m.get("n_critic")).intValue(),
        ((Number) m.get("lambda")).doubleValue(),
        ((Number) m.get("bptt")).intValue(),
        ((Number) m.get("eval_every")).intValue(),
        ((Number) m.get("log_every")).intValue(),
        ((Number) m.get("checkpoint_every")).intValue(),
        ((Number) m.get("keep_checkpoints")).intValue(),
        (String) m.get("on_nan"),
        (String) m.get("precision"),
        (Boolean) m.get("xla"),
        (String) m.get("preset"),
        m.get("init_from") == null ? "" : (String) m.get("init_from"),
        m.get("early_stopping") == null ? "" : (String) m.get("early_stopping"));
  }
}
