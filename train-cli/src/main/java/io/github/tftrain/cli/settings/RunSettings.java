package io.github.tftrain.cli.settings;

import io.github.tftrain.cli.models.ModelSpec;
import io.github.tftrain.cli.models.ModelSpec.Family;
import io.github.tftrain.cli.models.SessionConfigs;
import io.github.tftrain.models.Init;
import io.github.tftrain.optimizers.Optimizers;
import io.github.tftrain.trainer.EarlyStopping;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The run settings of {@code tftrain train} (and of {@code compare} and {@code lr-find}, which take the same), each
 * declared once: flag, preset key, config.json key, default per model family, the families it applies to, validation
 * and help all come from these declarations ({@link RunSetting}). Their order is the order of {@code --help}.
 *
 * <p>{@link Settings} layers them (default, then preset, then flag) and checks the few rules that relate two settings
 * (--epochs or --steps; the hyperparameters the optimizer is built with; dropout only where the model has dropout
 * layers).
 */
public final class RunSettings {
  private RunSettings() {}

  public static final RunSetting<String> PRESET = RunSetting.declare("preset", String.class)
      .label("NAME|FILE").flagOnly()
      .help("A shipped preset ('tftrain presets' lists them) or a .conf file; flags override it. With no --model, "
          + "--data or --preset the 'main' preset runs.")
      .build();

  public static final RunSetting<String> MODEL = RunSetting.declare("model", String.class)
      .label("M")
      .help("wrn-D-K (any depth 6n+4, widen K), resnet18, resnet50, wrn-50-2, resnet110, dcgan, lstm-tiny, "
          + "lstm-large, transformer-tiny, mlp-H1-H2... (CSV tables).")
      .defaultText("required (a preset may give it)")
      .then(text -> ModelSpec.parse(text).name())
      .build();

  public static final RunSetting<String> DATA = RunSetting.declare("data", String.class)
      .label("DIR")
      .help("A dataset folder; the format is detected: CIFAR-10 binary (data_batch_1.bin...), CIFAR-100 binary "
          + "(train.bin), IDX (train-images-idx3-ubyte[.gz], padded to 32x32, grey as RGB), image folders "
          + "(train/CLASS/*.png|jpg, test/CLASS/...), CSV tables (train.csv, test.csv; for mlp-...), PTB "
          + "(ptb.train.txt...), WikiText (wiki.train.tokens...). 'fashion-mnist' is Debian's "
          + "/usr/share/datasets/fashion-mnist; testdata/NAME is the shipped data.")
      .defaultText("required (a preset may give it)")
      .build();

  public static final RunSetting<String> OPTIMIZER = RunSetting.declare("optimizer", String.class)
      .label("O")
      .help("A registered optimizer: " + String.join(", ", Optimizers.names()) + " ('tftrain optimizers' "
          + "describes them).")
      .byDefault("kafisto")
      .then(name -> {
        String lower = name.toLowerCase(Locale.ROOT);
        if (!Optimizers.names().contains(lower)) {
          throw new IllegalArgumentException("unknown optimizer '" + name + "'; valid: "
              + String.join(", ", Optimizers.names()));
        }
        return lower;
      })
      .build();

  @SuppressWarnings({"unchecked", "rawtypes"})
  public static final RunSetting<Map<String, String>> SET = RunSetting.declare("set", (Class<Map<String, String>>)
      (Class) Map.class)
      .label("KEY=VALUE").flagOnly()
      .help("An optimizer hyperparameter (repeatable), e.g. --set momentum=0.9, or one for a group of variables, "
          + "e.g. --set 'group[.*bias|.*beta|.*gamma].weightDecay=0' or --set 'group[rank<2].weightDecay=0'; "
          + "'tftrain optimizers NAME' lists the keys, and the optimizer's builder checks them all before the data "
          + "is read. Presets: set.OPTIMIZER.KEY; config.json: \"hyperparameters\".")
      .build();

  public static final RunSetting<String> LR = RunSetting.declare("lr", String.class)
      .label("X").hyperparameter("lr").perOptimizerOnly()
      .help("The learning rate (KaFiStO: its gain); the same as --set lr=X.")
      .defaultText("the optimizer's")
      .build();

  public static final RunSetting<Integer> EPOCHS = RunSetting.declare("epochs", Integer.class)
      .label("N")
      .help("Epochs to train (or --steps).")
      .byDefault(10)
      .require(n -> n > 0, "> 0")
      .build();

  public static final RunSetting<Long> STEPS = RunSetting.declare("steps", Long.class)
      .label("N")
      .help("Steps to train instead of --epochs (a step is one optimizer update; for dcgan one WGAN-GP iteration: "
          + "n-critic critic updates and one generator update).")
      .defaultText("--epochs")
      .require(n -> n > 0, "> 0")
      .build();

  public static final RunSetting<Integer> BATCH_SIZE = RunSetting.declare("batch-size", Integer.class)
      .label("B")
      .help("Images per step; rows per BPTT window for language models; rows for mlp-....")
      .byDefault(model -> switch (model.family()) {
        case GAN -> 64;
        case LANGUAGE_MODEL -> 20;
        default -> 128;
      })
      .require(n -> n > 0, "> 0")
      .build();

  public static final RunSetting<String> SCHEDULE = RunSetting.declare("schedule", String.class)
      .label("S").perOptimizer()
      .help("The learning-rate schedule, in epochs (may be fractional): constant, step:E:G (times G every E "
          + "epochs), multistep:E1,E2,...:G, cosine[:MIN], warmup:E+SCHEDULE.")
      .byDefault("constant")
      .then(text -> new ScheduleSpec(text).text())
      .build();

  public static final RunSetting<String> WEIGHT_DECAY = RunSetting.declare("weight-decay", String.class)
      .label("X").hyperparameter("weightDecay").perOptimizer()
      .help("L2 weight decay (AdamW: decoupled); the same as --set weightDecay=X.")
      .defaultText("the optimizer's (0)")
      .build();

  public static final RunSetting<String> CLIP_NORM = RunSetting.declare("clip-norm", String.class)
      .label("X").hyperparameter("clipNorm")
      .help("Clip the gradients to this global norm; the same as --set clipNorm=X.")
      .byDefault(model -> model.family() == Family.LANGUAGE_MODEL ? "0.25" : null) // Merity et al.; PyTorch's LM
      .defaultText("none; language models 0.25")
      .build();

  public static final RunSetting<Long> SEED = RunSetting.declare("seed", Long.class)
      .label("N")
      .help("Seeds initialisation, data order, augmentation, dropout and noise; CPU runs are bitwise repeatable.")
      .byDefault(1L)
      .build();

  public static final RunSetting<String> INIT = RunSetting.declare("init", String.class)
      .label("I")
      .help("The kernel initializer: kaiming-uniform, xavier-normal, xavier-uniform, orthogonal.")
      .byDefault(model -> switch (model.family()) {
        case IMAGE_CLASSIFIER -> "kaiming-uniform";
        case GAN -> "xavier-normal";
        default -> "xavier-uniform";
      })
      .then(name -> {
        Init.parse(name);
        return name;
      })
      .build();

  public static final RunSetting<Boolean> AUGMENT = RunSetting.declare("augment", Boolean.class)
      .negatable().only(Family.IMAGE_CLASSIFIER)
      .help("Random crop (pad 4) and horizontal flip of the training images.")
      .byDefault(model -> model.family() == Family.IMAGE_CLASSIFIER)
      .build();

  public static final RunSetting<Boolean> SYNC_BATCH_NORM = RunSetting.declare("sync-batch-norm", Boolean.class)
      .addedLater()
      .negatable().only(Family.IMAGE_CLASSIFIER, Family.GAN)
      .help("Batch norm with the global batch's statistics: on several workers, each layer's mean and variance are "
          + "averaged over the workers (one all-reduce per layer), so N workers of batch B/N normalise as one process "
          + "does with batch B; off, each worker normalises its own slice. Composed from float64 moments instead of "
          + "TensorFlow's fused kernel.")
      .byDefault(false)
      .build();

  public static final RunSetting<Double> DROPOUT = RunSetting.declare("dropout", Double.class)
      .label("P").only(Family.IMAGE_CLASSIFIER, Family.LANGUAGE_MODEL)
      .help("Dropout rate (WideResNet: between the convolutions of a block; language models).")
      .byDefault(model -> model instanceof ModelSpec.LanguageModel lm ? lm.dropout() : 0.0)
      .defaultText("0; language models the model's (LSTMs 0.65, transformer-tiny 0.2)")
      .require(p -> p >= 0 && p < 1, "in [0, 1)")
      .build();

  public static final RunSetting<Integer> N_CRITIC = RunSetting.declare("n-critic", Integer.class)
      .label("N").only(Family.GAN)
      .help("WGAN-GP critic steps per generator step.")
      .byDefault(5)
      .require(n -> n > 0, "> 0")
      .build();

  public static final RunSetting<Double> LAMBDA = RunSetting.declare("lambda", Double.class)
      .label("X").only(Family.GAN)
      .help("WGAN-GP gradient-penalty weight.")
      .byDefault(10.0)
      .require(x -> x >= 0 && !x.isInfinite(), "a finite number >= 0")
      .build();

  public static final RunSetting<Integer> BPTT = RunSetting.declare("bptt", Integer.class)
      .label("N").only(Family.LANGUAGE_MODEL)
      .help("Tokens per BPTT window; the LSTM state is carried across the windows of an epoch.")
      .byDefault(35)
      .require(n -> n > 0, "> 0")
      .build();

  public static final RunSetting<String> PRECISION = RunSetting.declare("precision", String.class)
      .label("float32|mixed-bfloat16")
      .help("Arithmetic: float32, or oneDNN mixed bfloat16 (float32 weights, bfloat16 matrix products).")
      .byDefault("float32")
      .then(text -> {
        SessionConfigs.Precision.parse(text);
        return text;
      })
      .build();

  public static final RunSetting<Boolean> XLA = RunSetting.declare("xla", Boolean.class)
      .negatable()
      .help("XLA auto-clustering (on CPU the JVM relaunches itself with TF_XLA_FLAGS).")
      .byDefault(false)
      .build();

  public static final RunSetting<Integer> EVAL_EVERY = RunSetting.declare("eval-every", Integer.class)
      .label("N")
      .help("Evaluate every N epochs, and at the end.")
      .byDefault(1)
      .require(n -> n > 0, "> 0")
      .build();

  public static final RunSetting<Integer> LOG_EVERY = RunSetting.declare("log-every", Integer.class)
      .label("N")
      .help("A metrics row every N steps (and at every epoch end).")
      .byDefault(50)
      .require(n -> n > 0, "> 0")
      .build();

  public static final RunSetting<Boolean> LOG_STEP_SIZE = RunSetting.declare("log-step-size", Boolean.class)
      .addedLater()
      .negatable().only(Family.IMAGE_CLASSIFIER, Family.LANGUAGE_MODEL)
      .help("Also log each step's update norm ‖Δx‖ (update_norm) and the effective step size ‖Δx‖ / ‖g‖ with g "
          + "the gradient before clipping (effective_step; plain SGD: the learning rate, times min(1, clip/‖g‖) when "
          + "clipping), to compare any optimizer's steps with KaFiStO's. Keeps a copy of the weights; not with "
          + "accumulate > 1.")
      .byDefault(false)
      .build();

  public static final RunSetting<Integer> CHECKPOINT_EVERY = RunSetting.declare("checkpoint-every", Integer.class)
      .label("N")
      .help("Also checkpoint every N steps (there is always one at each epoch end); 0: epoch ends only.")
      .byDefault(0)
      .require(n -> n >= 0, ">= 0")
      .build();

  public static final RunSetting<Integer> KEEP_CHECKPOINTS = RunSetting.declare("keep-checkpoints", Integer.class)
      .label("N")
      .help("The latest checkpoints kept (the best is kept as well).")
      .byDefault(3)
      .require(n -> n > 0, "> 0")
      .build();

  public static final RunSetting<String> ON_NAN = RunSetting.declare("on-nan", String.class)
      .label("stop|skip")
      .help("On a non-finite loss or gradient: stop (nothing of that step is written; the last good state is "
          + "checkpointed; exit 1) or skip the batch (a run that never takes a finite step fails).")
      .byDefault("stop")
      .then(text -> text.toLowerCase(Locale.ROOT))
      .require(text -> text.equals("stop") || text.equals("skip"), "stop or skip")
      .build();

  public static final RunSetting<String> EARLY_STOPPING = RunSetting.declare("early-stopping", String.class)
      .addedLater()
      .label("METRIC:PATIENCE[:MIN_DELTA]")
      .help("Stop when the evaluation metric (test_error, test_loss, valid_ppl, eval_error, ...; lower is better) "
          + "has not improved by more than MIN_DELTA (default 0) in PATIENCE evaluations; the run ends as finished "
          + "(SavedModel, exit 0), and its state is in every checkpoint, so a resume decides as an uninterrupted run "
          + "would.")
      .byDefault("")
      .then(text -> {
        String value = text.strip();
        if (!value.isEmpty()) {
          EarlyStopping.parse(value);
        }
        return value;
      })
      .build();

  public static final RunSetting<String> INIT_FROM = RunSetting.declare("init-from", String.class)
      .addedLater()
      .label("RUN").flagOnly()
      .help("Start from another run's weights (fine-tuning): its SavedModel's, else its latest checkpoint's; weights "
          + "of another shape there (a head for another class count) or missing there keep their initialisation "
          + "and are named; the optimizers start fresh.")
      .byDefault("")
      .then(text -> {
        if (text.isEmpty()) {
          return text;
        }
        // absolute in config.json, so that a resume from another folder finds it
        Path run = Path.of(text).toAbsolutePath().normalize();
        if (!Files.isRegularFile(run.resolve("config.json"))) {
          throw new IllegalArgumentException("--init-from " + text + ": not a tftrain run directory (no config.json)");
        }
        return run.toString();
      })
      .build();

  public static final RunSetting<String> RUN_DIR = RunSetting.declare("run-dir", String.class)
      .label("DIR").flagOnly()
      .help("Where the run goes; must be new unless --resume.")
      .defaultText("runs/MODEL-OPTIMIZER-TIMESTAMP")
      .build();

  /** Every run setting, in the order of {@code --help}. */
  public static final List<RunSetting<?>> ALL = List.of(PRESET, MODEL, DATA, OPTIMIZER, SET, LR, EPOCHS, STEPS,
      BATCH_SIZE, SCHEDULE, WEIGHT_DECAY, CLIP_NORM, SEED, INIT, AUGMENT, SYNC_BATCH_NORM, DROPOUT, N_CRITIC, LAMBDA, BPTT, PRECISION,
      XLA, EVAL_EVERY, LOG_EVERY, LOG_STEP_SIZE, CHECKPOINT_EVERY, KEEP_CHECKPOINTS, ON_NAN, EARLY_STOPPING, INIT_FROM, RUN_DIR);

  /** The TrainConfig components that no flag gives: they are derived from other settings. */
  static final Set<String> DERIVED_COMPONENTS = Set.of("dataFormat", "hyperparameters");

  static {
    // A TrainConfig component with no declaration would be a setting nobody can give: fail on first use, not later.
    for (String component : TrainConfig.components()) {
      if (!DERIVED_COMPONENTS.contains(component) && byComponent(component) == null) {
        throw new ExceptionInInitializerError("TrainConfig." + component + " has no RunSettings declaration");
      }
    }
  }

  /** The declaration recorded as a TrainConfig component, or null. */
  static RunSetting<?> byComponent(String component) {
    for (RunSetting<?> setting : ALL) {
      if (setting.component().equals(component)) {
        return setting;
      }
    }
    return null;
  }

  /** The declaration of a preset key or flag name (without dashes), or null. */
  public static RunSetting<?> byName(String name) {
    for (RunSetting<?> setting : ALL) {
      if (setting.name().equals(name)) {
        return setting;
      }
    }
    return null;
  }

  /**
   * The settings as a Markdown table (option, preset key, config.json key, meaning, default): the README's table,
   * printed by {@code tftrain presets --settings}.
   */
  public static String markdown() {
    StringBuilder md = new StringBuilder("| option | preset key | config.json | meaning | default |\n|---|---|---|---|---|\n");
    for (RunSetting<?> s : ALL) {
      String preset = s == SET ? "`set.OPTIMIZER.KEY`"
          : s.perOptimizerOnly() ? "`" + s.name() + ".OPTIMIZER`"
          : !s.isPresetKey() ? "—"
          : "`" + s.name() + "`" + (s.perOptimizer() ? ", `" + s.name() + ".OPTIMIZER`" : "");
      String config = s.role() == RunSetting.Role.HYPERPARAMETER ? "`hyperparameters." + s.hyperparameter() + "`"
          : s == SET ? "`hyperparameters`" : s.configKey().map(k -> "`" + k + "`").orElse("—");
      String meaning = s.description().replace("|", "\\|");
      if (s.families().size() < Family.values().length) {
        meaning += " Only for " + String.join(", ", s.families().stream().map(Family::label).toList()) + ".";
      }
      String flag = s.type() == Boolean.class ? "`--[no-]" + s.name() + "`" : "`" + s.flag() + "`";
      md.append("| ").append(flag).append(" | ").append(preset).append(" | ").append(config).append(" | ")
          .append(meaning).append(" | ").append(s.defaultText().replace("|", "\\|")).append(" |\n");
    }
    return md.toString();
  }
}
