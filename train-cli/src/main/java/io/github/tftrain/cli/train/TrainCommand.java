package io.github.tftrain.cli.train;

import io.github.tftrain.trainer.RunDirectory;
import io.github.tftrain.trainer.Interrupts;

import io.github.tftrain.cli.OptimizerSettings;
import io.github.tftrain.cli.Xla;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tftrain train}: trains a model on a dataset with an optimizer and writes a run directory. Settings come from
 * the built-in defaults, then the preset, then the flags; with no model, data or preset the {@code main} preset runs
 * (a small WideResNet with KaFiStO on the shipped Fashion-MNIST subset).
 */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Train a model and write a run directory (config.json, metrics.csv, events/, checkpoints/, saved_model/, "
          + "plots/).",
      "With no --model, --data or --preset it runs the 'main' preset: a small WideResNet trained with KaFiStO on "
          + "the Fashion-MNIST subset in testdata/.",
      "Exit codes: 0 done, 1 failed (e.g. a non-finite loss), 2 bad flags or input, 130 interrupted (a checkpoint "
          + "was written; continue with --resume --run-dir DIR)."
    })
public final class TrainCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** The flags; null means "not given" so presets and defaults can fill in. */
  @CommandLine.Mixin TrainOptions options = new TrainOptions();

  @Option(names = "--resume", description = "Continue the run in --run-dir from its latest checkpoint.")
  boolean resume;

  @Option(names = "--threads", description = "TensorFlow threads (default: one per core).")
  Integer threads;

  @Option(names = "--quiet", description = "Only per-epoch and final lines.")
  boolean quiet;

  @Override
  public Integer call() throws Exception {
    // First, so that a signal while the data is read and the graph built ends in one line and exit 130 too.
    try (Interrupts interrupts = Interrupts.install()) {
      return call(interrupts);
    }
  }

  private int call(Interrupts interrupts) throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    if (threads != null && threads < 1) {
      throw new IllegalArgumentException("--threads must be >= 1, got " + threads + " (leave it out for one per core)");
    }
    Runs runs = new Runs(out, spec.commandLine().getErr(), quiet, threads == null ? 0 : threads);
    if (resume) {
      if (options.runDir == null) {
        throw new IllegalArgumentException("--resume needs --run-dir DIR (the run to continue)");
      }
      String extra = options.settingsGiven(false);
      if (!extra.isEmpty()) {
        throw new IllegalArgumentException("--resume continues a run with the settings in its config.json (only "
            + "--epochs or --steps may extend it); drop " + extra);
      }
      if (options.epochs != null && options.steps != null) {
        throw new IllegalArgumentException("--resume takes --epochs or --steps to extend the run, not both");
      }
      RunDirectory run = RunDirectory.open(Path.of(options.runDir));
      TrainConfig config = TrainConfig.read(run);

      if (config.xla() && !Xla.enabled()) {
        return Xla.relaunchIfNeeded().orElseThrow();
      }
      return runs.resume(run, config, interrupts, options.epochs, options.steps);
    }
    TrainConfig config = Settings.resolve(options);
    if (config.xla() && !Xla.enabled()) {
      return Xla.relaunchIfNeeded().orElseThrow();
    }
    Path runDir = options.runDir != null ? Path.of(options.runDir) : Runs.defaultRunDir(config);
    return runs.start(config, runDir, spec.commandLine().getParseResult().originalArgs(), interrupts);
  }

  /** The flags that make up a run's settings (everything but --resume, --threads and --quiet). */
  public static final class TrainOptions {
    @Option(names = "--preset", paramLabel = "NAME|FILE",
        description = "A shipped preset (see 'tftrain presets') or a .conf file; flags override it.")
    String preset;

    @Option(names = "--model", description = "wrn-D-K, resnet18, resnet50, wrn-50-2, resnet110, dcgan, lstm-tiny, "
        + "lstm-large, transformer-tiny, mlp-H1-H2... (tabular data).")
    String model;

    @Option(names = "--data", paramLabel = "DIR",
        description = "Dataset folder: CIFAR-10/100 binary, IDX (Fashion-MNIST), image folders (train/CLASS/...), "
            + "CSV (train.csv, test.csv), PTB or WikiText; 'fashion-mnist' "
            + "is Debian's /usr/share/datasets/fashion-mnist; testdata/NAME is the shipped data.")
    String data;

    @Option(names = "--optimizer", completionCandidates = OptimizerSettings.Names.class,
        description = "${COMPLETION-CANDIDATES} (default kafisto); 'tftrain optimizers' describes them.")
    String optimizer;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
        description = "An optimizer hyperparameter (repeatable), e.g. --set lr=0.1, or one for a group of variables, "
            + "e.g. --set 'group[.*bias|.*beta|.*gamma].weightDecay=0'; 'tftrain optimizers NAME' lists the keys.")
    Map<String, String> set = new LinkedHashMap<>();

    @Option(names = "--lr", description = "The learning rate (KaFiStO: the gain); same as --set lr=VALUE.")
    String lr;

    @Option(names = "--epochs", description = "Epochs to train (default 10).")
    Integer epochs;

    @Option(names = "--steps", description = "Steps to train instead of --epochs.")
    Long steps;

    @Option(names = "--batch-size", description = "Images per step, or rows per BPTT window (default 128; GAN 64; "
        + "language models 20).")
    Integer batchSize;

    @Option(names = "--schedule", description = "constant, step:E:G, multistep:E1,E2:G, cosine[:MIN], "
        + "warmup:E+SCHEDULE (epochs).")
    String schedule;

    @Option(names = "--weight-decay", description = "L2 weight decay (AdamW: decoupled).")
    String weightDecay;

    @Option(names = "--clip-norm", description = "Clip gradients to this global norm (language models: 0.25).")
    String clipNorm;

    @Option(names = "--seed", description = "Seeds initialisation, data order, augmentation, dropout, noise (1).")
    Long seed;

    @Option(names = "--init", description = "Kernel initializer: kaiming-uniform (default), xavier-normal, ...")
    String init;

    @Option(names = "--augment", negatable = true, description = "Random crop + flip for classifiers (default on).")
    Boolean augment;

    @Option(names = "--dropout", description = "Dropout (WideResNet: between convolutions; language models).")
    Double dropout;

    @Option(names = "--n-critic", description = "GAN: critic steps per generator step (default 5).")
    Integer nCritic;

    @Option(names = "--lambda", description = "GAN: gradient-penalty weight (default 10).")
    Double lambda;

    @Option(names = "--bptt", description = "Language models: tokens per window (default 35).")
    Integer bptt;

    @Option(names = "--precision", description = "float32 (default) or mixed-bfloat16.")
    String precision;

    @Option(names = "--xla", negatable = true, description = "XLA auto-clustering (CPU: relaunches with "
        + "TF_XLA_FLAGS).")
    Boolean xla;

    @Option(names = "--eval-every", description = "Evaluate every N epochs and at the end (default 1).")
    Integer evalEvery;

    @Option(names = "--log-every", description = "A metrics row every N steps (default 50).")
    Integer logEvery;

    @Option(names = "--checkpoint-every", description = "Also checkpoint every N steps (default: epoch ends only).")
    Integer checkpointEvery;

    @Option(names = "--keep-checkpoints", description = "Latest checkpoints kept besides the best (default 3).")
    Integer keepCheckpoints;

    @Option(names = "--on-nan", description = "stop (default: checkpoint the last good state, exit 1) or skip "
        + "(drop the batch).")
    String onNan;

    @Option(names = "--early-stopping", paramLabel = "METRIC:PATIENCE[:MIN_DELTA]",
        description = "Stop when the evaluation metric (test_error, test_loss, valid_ppl, eval_error, ...) has not "
            + "improved by more than MIN_DELTA (default 0) in PATIENCE evaluations; the run ends as finished.")
    String earlyStopping;

    @Option(names = "--init-from", paramLabel = "RUN",
        description = "Start from another run's weights (its SavedModel's, else its latest checkpoint's): fine-tuning;"
            + " weights whose shape differs (a new head) keep their fresh initialisation.")
    String initFrom;

    @Option(names = "--run-dir", paramLabel = "DIR",
        description = "The run directory (default runs/MODEL-OPTIMIZER-TIMESTAMP); must be new unless --resume.")
    String runDir;

    /**
     * The options that are not preset keys: the preset itself, the optimizer's keys (presets: lr.OPT, set.OPT.KEY),
     * where the run goes and the weights it starts from (a run's, not a recipe's).
     */
    private static final Set<String> NOT_PRESET_KEYS = Set.of("--preset", "--set", "--lr", "--run-dir", "--init-from");

    /** This class's options, by their first name: the one declaration every list of run settings comes from. */
    private static List<java.lang.reflect.Field> optionFields() {
      List<java.lang.reflect.Field> fields = new ArrayList<>();
      for (java.lang.reflect.Field field : TrainOptions.class.getDeclaredFields()) {
        if (field.isAnnotationPresent(Option.class)) {
          fields.add(field);
        }
      }
      return fields;
    }

    /** The preset keys of the run settings: each option's long name without the dashes, but NOT_PRESET_KEYS. */
    static Set<String> presetKeys() {
      Set<String> keys = new java.util.TreeSet<>();
      for (java.lang.reflect.Field field : optionFields()) {
        String name = field.getAnnotation(Option.class).names()[0];
        if (!NOT_PRESET_KEYS.contains(name)) {
          keys.add(name.substring(2));
        }
      }
      return keys;
    }

    /** The settings flags given (for --resume's check; not --run-dir), --epochs and --steps included or not. */
    String settingsGiven(boolean withLength) {
      List<String> given = new ArrayList<>();
      for (java.lang.reflect.Field field : optionFields()) {
        String name = field.getAnnotation(Option.class).names()[0];
        if (name.equals("--run-dir") || (!withLength && (name.equals("--epochs") || name.equals("--steps")))) {
          continue; // --run-dir names the run to resume, it is not one of its settings
        }
        Object value;
        try {
          value = field.get(this);
        } catch (IllegalAccessException e) {
          throw new IllegalStateException(e);
        }
        if (value != null && !(value instanceof Map<?, ?> map && map.isEmpty())) {
          given.add(name);
        }
      }
      given.sort(null); // reflection gives no guaranteed order: messages list the flags alphabetically
      return String.join(", ", given);
    }
  }
}
