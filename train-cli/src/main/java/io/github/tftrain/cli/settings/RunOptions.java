package io.github.tftrain.cli.settings;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The run settings given on a command line (immutable): a value for each {@link RunSettings} flag that was given,
 * nothing for the others, so that the preset and the defaults fill them in ({@link Settings#resolve}).
 */
public final class RunOptions {
  private final Map<RunSetting<?>, Object> given;

  private RunOptions(Map<RunSetting<?>, Object> given) {
    this.given = Collections.unmodifiableMap(given);
  }

  /** No flags given. */
  public static RunOptions none() {
    return new RunOptions(new LinkedHashMap<>());
  }

  /**
   * The run settings given to a command whose options {@link Declare} added, after picocli parsed its command line.
   */
  public static RunOptions of(CommandSpec command) {
    CommandLine.ParseResult parsed = command.commandLine().getParseResult();
    Map<RunSetting<?>, Object> given = new LinkedHashMap<>();
    for (RunSetting<?> setting : RunSettings.ALL) {
      if (parsed != null && parsed.hasMatchedOption(setting.flag())) {
        given.put(setting, parsed.matchedOptionValue(setting.flag(), null));
      }
    }
    return new RunOptions(given);
  }

  /** Parses run-setting flags alone ({@code "--model", "wrn-16-4", "--steps", "10"}), as train would. */
  public static RunOptions parse(String... args) {
    CommandSpec spec = new Declare().transform(CommandSpec.create().name("train"));
    CommandLine line = new CommandLine(spec);
    line.parseArgs(args);
    return of(spec);
  }

  /** The flag's value, if it was given. */
  public <T> Optional<T> get(RunSetting<T> setting) {
    return Optional.ofNullable(setting.type().cast(given.get(setting)));
  }

  /** Whether the flag was given. */
  public boolean has(RunSetting<?> setting) {
    return given.containsKey(setting);
  }

  /** These options with one flag given this value (or taken away, for null). */
  public <T> RunOptions with(RunSetting<T> setting, T value) {
    Map<RunSetting<?>, Object> copy = new LinkedHashMap<>(given);
    if (value == null) {
      copy.remove(setting);
    } else {
      copy.put(setting, value);
    }
    return new RunOptions(copy);
  }

  /** The flags given, in declaration order. */
  public List<RunSetting<?>> given() {
    List<RunSetting<?>> flags = new ArrayList<>();
    for (RunSetting<?> setting : RunSettings.ALL) {
      if (given.containsKey(setting)) {
        flags.add(setting);
      }
    }
    return flags;
  }

  @Override
  public String toString() {
    return given.toString();
  }

  /**
   * Adds one picocli option per run setting to a command ({@code @Command(modelTransformer = RunOptions.Declare.class)});
   * the command reads them with {@link RunOptions#of}.
   */
  public static final class Declare implements CommandLine.IModelTransformer {
    @Override
    public CommandSpec transform(CommandSpec command) {
      for (RunSetting<?> setting : RunSettings.ALL) {
        command.addOption(setting.option());
      }
      return command;
    }
  }
}
