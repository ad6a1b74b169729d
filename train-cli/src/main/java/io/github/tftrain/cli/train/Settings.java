package io.github.tftrain.cli.train;

import io.github.tftrain.cli.OptimizerSettings;
import io.github.tftrain.cli.models.ModelSpec;
import io.github.tftrain.data.DataFormatException;
import io.github.tftrain.data.ImageFolder;
import io.github.tftrain.data.TextCorpus;
import io.github.tftrain.models.Init;
import io.github.tftrain.optimizers.Optimizers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Resolves a run's settings: the built-in defaults, overridden by the preset, overridden by the flags. Every value is
 * checked here, before any file is written, so a bad one fails with its flag's name and exit code 2.
 */
final class Settings {
  /** Debian's dataset-fashion-mnist package. */
  static final Path DEBIAN_FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

  private final TrainCommand.TrainOptions flags;
  private final Preset preset;

  private Settings(TrainCommand.TrainOptions flags, Preset preset) {
    this.flags = flags;
    this.preset = preset;
  }

  /** The run's settings from the flags (and the preset they name, or {@code main} when nothing is named). */
  static TrainConfig resolve(TrainCommand.TrainOptions flags) {
    Preset preset = null;
    if (flags.preset != null) {
      preset = Preset.load(flags.preset);
    } else if (flags.model == null && flags.data == null) {
      preset = Preset.load("main");
    }
    return new Settings(flags, preset).resolve();
  }

  private TrainConfig resolve() {
    String model = pick("model", flags.model, null);
    if (model == null) {
      throw new IllegalArgumentException("--model is required (or a --preset that sets it); valid: "
          + String.join(", ", ModelSpec.names()));
    }
    ModelSpec spec = ModelSpec.parse(model);
    String dataText = pick("data", flags.data, null);
    if (dataText == null) {
      throw new IllegalArgumentException("--data is required (a dataset folder, 'fashion-mnist', or testdata/NAME)");
    }
    Path data = dataFolder(dataText);
    String format = detectFormat(spec, data);

    String optimizer = pick("optimizer", flags.optimizer, "kafisto").toLowerCase(Locale.ROOT);
    if (!Optimizers.names().contains(optimizer)) {
      throw new IllegalArgumentException(
          "unknown optimizer '" + optimizer + "'; valid: " + String.join(", ", Optimizers.names()));
    }
    Map<String, String> hyper = new LinkedHashMap<>();
    if (preset != null) {
      preset.forOptimizer("lr", optimizer).ifPresent(v -> hyper.put("lr", v));
      preset.forOptimizer("weight-decay", optimizer)
          .or(() -> preset.get("weight-decay"))
          .ifPresent(v -> hyper.put("weightDecay", v));
      preset.get("clip-norm").ifPresent(v -> hyper.put("clipNorm", v));
      hyper.putAll(preset.settings(optimizer));
    }
    if (spec instanceof ModelSpec.LanguageModel && !hyper.containsKey("clipNorm")) {
      hyper.put("clipNorm", "0.25"); // Merity et al. / PyTorch word_language_model
    }
    hyper.putAll(OptimizerSettings.rejoined(flags.set));
    if (flags.lr != null) {
      hyper.put("lr", flags.lr);
    }
    if (flags.weightDecay != null) {
      hyper.put("weightDecay", flags.weightDecay);
    }
    if (flags.clipNorm != null) {
      hyper.put("clipNorm", flags.clipNorm);
    }
    // The optimizer's builder checks every key (group[SELECTOR].KEY too), value and cross-check, without a graph,
    // before any data is read.
    OptimizerSettings.validate(optimizer, hyper);

    if (flags.epochs != null && flags.steps != null) {
      throw new IllegalArgumentException("give --epochs or --steps, not both");
    }
    int epochs;
    long steps;
    if (flags.steps != null) {
      steps = positive("--steps", flags.steps);
      epochs = 0;
    } else if (flags.epochs != null) {
      epochs = (int) positive("--epochs", flags.epochs);
      steps = 0;
    } else if (preset != null && preset.get("steps").isPresent()) {
      steps = positive("steps", parse("steps", preset.get("steps").get(), Long::parseLong));
      epochs = 0;
    } else {
      epochs = (int) positive("--epochs", parse("epochs", pick("epochs", null, "10"), Integer::parseInt));
      steps = 0;
    }
    int defaultBatch = spec instanceof ModelSpec.Gan ? 64 : spec instanceof ModelSpec.LanguageModel ? 20 : 128;
    int batch = (int) positive("--batch-size", number("batch-size", flags.batchSize, defaultBatch, Integer::parseInt));

    String scheduleText = flags.schedule;
    if (scheduleText == null && preset != null) {
      scheduleText = preset.forOptimizer("schedule", optimizer).or(() -> preset.get("schedule")).orElse(null);
    }
    ScheduleSpec schedule;
    try {
      schedule = new ScheduleSpec(scheduleText);
    } catch (IllegalArgumentException e) {
      String message = e.getMessage().startsWith("--schedule") ? e.getMessage() : "--schedule: " + e.getMessage();
      throw new IllegalArgumentException(message, e);
    }
    long seed = number("seed", flags.seed, 1L, Long::parseLong);
    String defaultInit = spec instanceof ModelSpec.ImageClassifier ? "kaiming-uniform"
        : spec instanceof ModelSpec.Gan ? "xavier-normal" : "xavier-uniform";
    String init = pick("init", flags.init, defaultInit);
    Init.parse(init);
    boolean augment = spec instanceof ModelSpec.ImageClassifier
        && number("augment", flags.augment, true, Settings::strictBoolean);
    double defaultDropout = spec instanceof ModelSpec.LanguageModel lm ? lm.dropout() : 0;
    double dropout = number("dropout", flags.dropout, defaultDropout, Double::parseDouble);
    if (!(dropout >= 0 && dropout < 1)) {
      throw new IllegalArgumentException("--dropout must be in [0, 1), got " + dropout);
    }
    if (spec instanceof ModelSpec.ImageClassifier c && !c.isWideResNet() && dropout != 0) {
      throw new IllegalArgumentException("--dropout: " + c.name() + " has no dropout layers (only wrn-D-K has)");
    }
    if (spec instanceof ModelSpec.Mlp && dropout != 0) {
      throw new IllegalArgumentException("--dropout: " + spec.name() + " has no dropout layers");
    }
    int nCritic = (int) positive("--n-critic", number("n-critic", flags.nCritic, 5, Integer::parseInt));
    double lambda = number("lambda", flags.lambda, 10.0, Double::parseDouble);
    if (!(lambda >= 0) || Double.isInfinite(lambda)) {
      throw new IllegalArgumentException("--lambda must be a finite number >= 0, got " + lambda);
    }
    int bptt = (int) positive("--bptt", number("bptt", flags.bptt, 35, Integer::parseInt));
    int evalEvery = (int) positive("--eval-every", number("eval-every", flags.evalEvery, 1, Integer::parseInt));
    int logEvery = (int) positive("--log-every", number("log-every", flags.logEvery, 50, Integer::parseInt));
    int checkpointEvery = number("checkpoint-every", flags.checkpointEvery, 0, Integer::parseInt);
    if (checkpointEvery < 0) {
      throw new IllegalArgumentException("--checkpoint-every must be >= 0, got " + checkpointEvery);
    }
    int keep = (int) positive("--keep-checkpoints",
        number("keep-checkpoints", flags.keepCheckpoints, 3, Integer::parseInt));
    String onNan = pick("on-nan", flags.onNan, "stop").toLowerCase(Locale.ROOT);
    if (!onNan.equals("stop") && !onNan.equals("skip")) {
      throw new IllegalArgumentException("--on-nan must be stop or skip, got '" + onNan + "'");
    }
    String precision = pick("precision", flags.precision, "float32");
    io.github.tftrain.cli.models.SessionConfigs.Precision.parse(precision);
    boolean xla = number("xla", flags.xla, false, Settings::strictBoolean);
    return new TrainConfig(spec.name(), data.toString(), format, optimizer, hyper, epochs, steps, batch,
        schedule.text(), seed, init, augment, dropout, nCritic, lambda, bptt, evalEvery, logEvery, checkpointEvery,
        keep, onNan, precision, xla, preset == null ? "" : preset.source(), initFrom(flags),
        earlyStopping(flags));
  }

  /**
   * --init-from: a run directory with config.json (absolute in the settings, so a resume from elsewhere finds it), or
   * empty.
   */
  private static String initFrom(TrainCommand.TrainOptions options) {
    if (options.initFrom == null) {
      return "";
    }
    Path run = Path.of(options.initFrom).toAbsolutePath().normalize();
    if (!java.nio.file.Files.isRegularFile(run.resolve("config.json"))) {
      throw new IllegalArgumentException("--init-from " + options.initFrom + ": not a tftrain run directory (no "
          + "config.json)");
    }
    return run.toString();
  }

  /** --early-stopping (or the preset's early-stopping), checked (METRIC:PATIENCE[:MIN_DELTA]), or empty. */
  private String earlyStopping(TrainCommand.TrainOptions options) {
    String value = pick("early-stopping", options.earlyStopping, "");
    if (!value.isEmpty()) {
      io.github.tftrain.trainer.EarlyStopping.parse(value);
    }
    return value.strip();
  }

  /** The flag, else the preset's value, else the default. */
  private String pick(String key, String flag, String fallback) {
    if (flag != null) {
      return flag;
    }
    if (preset != null && preset.get(key).isPresent()) {
      return preset.get(key).get();
    }
    return fallback;
  }

  /** true or false (any case); anything else is an error, not false. */
  private static Boolean strictBoolean(String text) {
    if (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false")) {
      return Boolean.valueOf(text);
    }
    throw new IllegalArgumentException("expected true or false, got '" + text + "'");
  }

  private <T> T number(String key, T flag, T fallback, Function<String, T> parser) {
    if (flag != null) {
      return flag;
    }
    if (preset != null && preset.get(key).isPresent()) {
      return parse(key, preset.get(key).get(), parser);
    }
    return fallback;
  }

  private <T> T parse(String key, String text, Function<String, T> parser) {
    try {
      return parser.apply(text.trim());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(preset.source() + ": " + key + " = '" + text + "' is not a valid value");
    }
  }

  private static long positive(String name, long value) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be > 0, got " + value);
    }
    return value;
  }

  /**
   * The dataset folder: 'fashion-mnist' is Debian's package; an existing path is taken as is; testdata/NAME falls
   * back to the shipped testdata of this checkout.
   */
  static Path dataFolder(String text) {
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
  static String detectFormat(ModelSpec spec, Path data) {
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
