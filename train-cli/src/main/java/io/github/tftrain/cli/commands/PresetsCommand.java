package io.github.tftrain.cli.commands;

import io.github.tftrain.cli.settings.Preset;
import io.github.tftrain.cli.settings.RunSettings;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code tftrain presets}: the shipped presets, one per line: the name, its description, and for the presets that
 * ship no data the format {@code --data} must have.
 */
@Command(
    name = "presets",
    mixinStandardHelpOptions = true,
    description = {
      "List the shipped presets for 'tftrain train --preset NAME': name, description, and the dataset format the "
          + "preset expects when its data is not shipped (pass it with --data DIR).",
      "The files are in the checkout's presets/ folder; copy one and pass its path to --preset to change it.",
      "--settings prints every run setting (flag, preset key, config.json key, meaning, default) as a Markdown table."
    })
public final class PresetsCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @CommandLine.Option(names = "--settings", description = "Print the run settings a preset (and train) takes, as a "
      + "Markdown table, instead of the presets.")
  boolean settings;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    if (settings) {
      out.print(RunSettings.markdown());
      out.flush();
      return 0;
    }
    List<String> names = Preset.names();
    int width = names.stream().mapToInt(String::length).max().orElse(0);
    for (String name : names) {
      Preset preset = Preset.load(name);
      StringBuilder line = new StringBuilder(name);
      line.append(" ".repeat(width - name.length() + 2)).append(preset.get("description").orElse(""));
      if (preset.get("data").isEmpty()) {
        preset.get("expects-data").ifPresent(format -> line.append(" [--data DIR: ").append(format).append(']'));
      }
      out.println(line);
    }
    out.flush();
    return 0;
  }
}
