package io.github.tftrain.cli.app;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code tftrain help [COMMAND [SUBCOMMAND ...]]}: the usage of any command, nested ones included
 * ({@code tftrain help bench optimizers}); picocli's own help command stops at the first level.
 */
@Command(name = "help", helpCommand = true, description = "Show the usage of a command: help [COMMAND [SUBCOMMAND]].")
public final class HelpCommand implements Runnable, CommandLine.IHelpCommandInitializable2 {
  @Parameters(paramLabel = "COMMAND", arity = "0..*", description = "The command, and subcommands, to describe.")
  List<String> path = new ArrayList<>();

  private CommandLine self;
  private java.io.PrintWriter out;

  @Override
  public void init(CommandLine helpCommandLine, CommandLine.Help.ColorScheme colorScheme, java.io.PrintWriter out,
      java.io.PrintWriter err) {
    this.self = helpCommandLine;
    this.out = out;
  }

  @Override
  public void run() {
    CommandLine command = self.getParent();
    List<String> walked = new ArrayList<>();
    for (String name : path) {
      CommandLine next = command.getSubcommands().get(name);
      if (next == null) {
        String where = walked.isEmpty() ? "tftrain" : "tftrain " + String.join(" ", walked);
        throw new CommandLine.ParameterException(self, "unknown command '" + name + "' for " + where + "; valid: "
            + String.join(", ", command.getSubcommands().keySet()));
      }
      walked.add(name);
      command = next;
    }
    command.usage(out);
    out.flush();
  }
}
