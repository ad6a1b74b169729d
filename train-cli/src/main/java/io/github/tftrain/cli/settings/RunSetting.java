package io.github.tftrain.cli.settings;

import io.github.tftrain.cli.models.ModelSpec;
import io.github.tftrain.cli.models.ModelSpec.Family;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import picocli.CommandLine.Model.OptionSpec;

/**
 * One setting of a training run, declared once ({@link RunSettings} holds them all). Everything else about the
 * setting is derived from this declaration: its flag ({@code --NAME}) and picocli option, its preset key
 * ({@code NAME}, and {@code NAME.OPTIMIZER} when it may differ per optimizer), its config.json key (the
 * {@link TrainConfig} component named by the camel-case NAME, written in snake case), its default for each model
 * family, the families it applies to, its validation and its help text (in {@code --help} and the README's table).
 *
 * @param <T> the value's type: Integer, Long, Double, Boolean, String, or a map of text for {@code --set}
 */
public final class RunSetting<T> {
  /** What a setting is part of. */
  public enum Role {
    /** A setting of the run: a flag, a preset key and an entry of config.json's "train" object. */
    RUN,
    /**
     * An optimizer hyperparameter with a flag of its own ({@code --lr}): a preset key, and recorded among config.json's
     * "hyperparameters" under {@link #hyperparameter()}.
     */
    HYPERPARAMETER,
    /** Given on the command line only: not a recipe's (which preset, where the run goes, whose weights it starts from). */
    FLAG_ONLY
  }

  private final String name;
  private final Class<T> type;
  private final Role role;
  private final String paramLabel;
  private final String description;
  private final Set<Family> families;
  private final Function<ModelSpec, T> defaultValue;
  private final String defaultText;
  private final List<UnaryOperator<T>> steps;
  private final boolean perOptimizer;
  private final boolean perOptimizerOnly;
  private final String hyperparameter;
  private final boolean negatable;
  private final boolean addedLater;

  private RunSetting(Builder<T> b) {
    this.name = b.name;
    this.type = b.type;
    this.role = b.role;
    this.paramLabel = b.paramLabel;
    this.description = Objects.requireNonNull(b.description, name + ": no description");
    this.families = b.families.isEmpty() ? EnumSet.allOf(Family.class) : EnumSet.copyOf(b.families);
    this.defaultValue = b.defaultValue;
    this.defaultText = b.defaultText;
    this.steps = List.copyOf(b.steps);
    this.perOptimizer = b.perOptimizer;
    this.perOptimizerOnly = b.perOptimizerOnly;
    this.hyperparameter = b.hyperparameter;
    this.negatable = b.negatable;
    this.addedLater = b.addedLater;
  }

  /**
   * Whether config.json files written before this setting existed may lack it: such a file reads it as its default
   * (any other missing setting of the run's family makes the file malformed).
   */
  public boolean addedLater() {
    return addedLater;
  }

  /** Starts a declaration; {@code name} is the flag without its dashes ({@code batch-size}). */
  static <T> Builder<T> declare(String name, Class<T> type) {
    return new Builder<>(name, type);
  }

  /** The name: the flag without its dashes, and the preset key. */
  public String name() {
    return name;
  }

  /** The flag ({@code --batch-size}). */
  public String flag() {
    return "--" + name;
  }

  /** The value's type. */
  public Class<T> type() {
    return type;
  }

  /** What the setting is part of. */
  public Role role() {
    return role;
  }

  /** The help text (without the default and the families, which {@link #help()} adds). */
  public String description() {
    return description;
  }

  /** The {@link TrainConfig} component that records it: the camel-case name ({@code batchSize}). */
  public String component() {
    StringBuilder camel = new StringBuilder();
    boolean upper = false;
    for (char c : name.toCharArray()) {
      if (c == '-') {
        upper = true;
      } else {
        camel.append(upper ? Character.toUpperCase(c) : c);
        upper = false;
      }
    }
    return camel.toString();
  }

  /** The key in config.json's "train" object ({@code batch_size}), or empty when config.json does not record it. */
  public java.util.Optional<String> configKey() {
    return TrainConfig.components().contains(component())
        ? java.util.Optional.of(TrainConfig.configKey(component())) : java.util.Optional.empty();
  }

  /**
   * Whether a preset may set it under its plain name ({@link Role#FLAG_ONLY} settings, the {@code --set} map and the
   * per-optimizer-only settings are not plain preset keys).
   */
  public boolean isPresetKey() {
    return role != Role.FLAG_ONLY && type != Map.class && !perOptimizerOnly;
  }

  /**
   * Whether a preset gives it only per optimizer ({@code lr.sgd}, never a plain {@code lr}): a value that means
   * something else for each optimizer (KaFiStO's gain is not SGD's learning rate).
   */
  public boolean perOptimizerOnly() {
    return perOptimizerOnly;
  }

  /** Whether a preset may also give it per optimizer ({@code lr.sgd = 0.1}), chosen by the run's optimizer. */
  public boolean perOptimizer() {
    return perOptimizer;
  }

  /** For {@link Role#HYPERPARAMETER}: the optimizer's key ({@code lr}, {@code weightDecay}); otherwise null. */
  public String hyperparameter() {
    return hyperparameter;
  }

  /** The model families it applies to; giving it for another family is an error. */
  public Set<Family> families() {
    return families;
  }

  /** Whether it applies to the model's family. */
  public boolean appliesTo(ModelSpec model) {
    return families.contains(model.family());
  }

  /** The default for a model, or null when there is none (required, or the optimizer's own). */
  public T defaultFor(ModelSpec model) {
    return defaultValue == null ? null : defaultValue.apply(model);
  }

  /** The default as help states it: per family when the families differ. */
  public String defaultText() {
    if (defaultText != null) {
      return defaultText;
    }
    if (defaultValue == null) {
      return "none";
    }
    Map<String, List<String>> byValue = new LinkedHashMap<>();
    for (Family family : families) {
      byValue.computeIfAbsent(show(defaultValue.apply(family.example())), v -> new ArrayList<>()).add(family.label());
    }
    if (byValue.size() == 1) {
      return byValue.keySet().iterator().next();
    }
    List<String> parts = new ArrayList<>();
    byValue.forEach((value, labels) -> parts.add(String.join(", ", labels) + " " + value));
    return String.join("; ", parts);
  }

  private String show(T value) {
    if (value instanceof Boolean b) {
      return b ? "on" : "off";
    }
    return value == null || value.toString().isEmpty() ? "none" : value.toString();
  }

  /** The whole help text: the description, the families when not all, the default. */
  public String help() {
    StringBuilder help = new StringBuilder(description);
    if (families.size() < Family.values().length) {
      help.append(" Only for ").append(String.join(", ", families.stream().map(Family::label).toList())).append('.');
    }
    if (role != Role.FLAG_ONLY || defaultValue != null || defaultText != null) {
      help.append(" Default: ").append(defaultText()).append('.');
    }
    return help.toString();
  }

  /** The picocli option of this setting. */
  public OptionSpec option() {
    OptionSpec.Builder option = OptionSpec.builder(flag()).type(type).description(help());
    if (paramLabel != null) {
      option.paramLabel(paramLabel);
    }
    if (type == Map.class) {
      option.auxiliaryTypes(String.class, String.class);
    }
    if (type == Boolean.class) {
      option.negatable(negatable); // arity as picocli infers it: --augment, --no-augment, --augment=false
    }
    return option.build();
  }

  /** Parses a preset's text for this setting; booleans are true or false, nothing else. */
  @SuppressWarnings("unchecked")
  public T parse(String text) {
    String t = text.strip();
    Object value;
    if (type == Integer.class) {
      value = Integer.valueOf(t);
    } else if (type == Long.class) {
      value = Long.valueOf(t);
    } else if (type == Double.class) {
      value = Double.valueOf(t);
    } else if (type == Boolean.class) {
      if (!t.equalsIgnoreCase("true") && !t.equalsIgnoreCase("false")) {
        throw new IllegalArgumentException("expected true or false, got '" + t + "'");
      }
      value = Boolean.valueOf(t.toLowerCase(Locale.ROOT));
    } else if (type == String.class) {
      value = t;
    } else {
      throw new IllegalArgumentException(name + " is not read from text");
    }
    return (T) value;
  }

  /**
   * Checks a value and returns it in its resolved form (lower case, an absolute path, ...).
   *
   * @throws IllegalArgumentException naming the flag, the requirement and the value
   */
  public T resolve(T value) {
    T current = value;
    for (UnaryOperator<T> step : steps) {
      try {
        current = step.apply(current);
      } catch (IllegalArgumentException e) {
        String message = e.getMessage() == null ? "invalid value " + current : e.getMessage();
        throw new IllegalArgumentException(message.startsWith(flag()) ? message : flag() + ": " + message, e);
      }
    }
    return current;
  }

  @Override
  public String toString() {
    return flag();
  }

  /** Declares a setting. */
  static final class Builder<T> {
    private final String name;
    private final Class<T> type;
    private Role role = Role.RUN;
    private String paramLabel;
    private String description;
    private final Set<Family> families = EnumSet.noneOf(Family.class);
    private Function<ModelSpec, T> defaultValue;
    private String defaultText;
    private final List<UnaryOperator<T>> steps = new ArrayList<>();
    private boolean perOptimizer;
    private boolean perOptimizerOnly;
    private String hyperparameter;
    private boolean negatable;
    private boolean addedLater;

    private Builder(String name, Class<T> type) {
      this.name = name;
      this.type = type;
    }

    Builder<T> help(String text) {
      this.description = text;
      return this;
    }

    Builder<T> label(String label) {
      this.paramLabel = label;
      return this;
    }

    /** Applies to these families only. */
    Builder<T> only(Family... only) {
      families.addAll(List.of(only));
      return this;
    }

    Builder<T> byDefault(T value) {
      this.defaultValue = model -> value;
      return this;
    }

    /** A default that depends on the model (per family, or the model's own value). */
    Builder<T> byDefault(Function<ModelSpec, T> value) {
      this.defaultValue = value;
      return this;
    }

    /** How help states the default, where it cannot be derived from the families' example models. */
    Builder<T> defaultText(String text) {
      this.defaultText = text;
      return this;
    }

    /** A requirement: a value that fails {@code ok} is refused with "--NAME must be REQUIREMENT, got VALUE". */
    Builder<T> require(Predicate<T> ok, String requirement) {
      steps.add(v -> {
        if (!ok.test(v)) {
          throw new IllegalArgumentException("--" + name + " must be " + requirement + ", got "
              + (v instanceof String ? "'" + v + "'" : v));
        }
        return v;
      });
      return this;
    }

    /** A resolution step: turns the value into its resolved form, or throws IllegalArgumentException. */
    Builder<T> then(UnaryOperator<T> step) {
      steps.add(step);
      return this;
    }

    Builder<T> perOptimizer() {
      this.perOptimizer = true;
      return this;
    }

    /** Per optimizer only: a preset has {@code NAME.OPTIMIZER} lines and no plain {@code NAME}. */
    Builder<T> perOptimizerOnly() {
      this.perOptimizer = true;
      this.perOptimizerOnly = true;
      return this;
    }

    /** An optimizer hyperparameter under this key. */
    Builder<T> hyperparameter(String key) {
      this.role = Role.HYPERPARAMETER;
      this.hyperparameter = key;
      return this;
    }

    Builder<T> flagOnly() {
      this.role = Role.FLAG_ONLY;
      return this;
    }

    Builder<T> negatable() {
      this.negatable = true;
      return this;
    }

    /** Added after runs were first recorded: older config.json files lack it and read it as its default. */
    Builder<T> addedLater() {
      this.addedLater = true;
      return this;
    }

    RunSetting<T> build() {
      return new RunSetting<>(this);
    }
  }
}
