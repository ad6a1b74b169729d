package io.github.tftrain.cli.app;

import io.github.tftrain.cli.BadInputException;
import io.github.tftrain.cli.ExitCodes;

import io.github.tftrain.trainer.Errors;
import io.github.tftrain.trainer.RunFailedException;

import io.github.tftrain.cli.bench.BenchCommand;
import io.github.tftrain.cli.optimizers.OptimizersCommand;
import io.github.tftrain.cli.trace.TraceCommand;
import io.github.tftrain.cli.commands.CompareCommand;
import io.github.tftrain.cli.commands.EvalCommand;
import io.github.tftrain.cli.commands.ExportCommand;
import io.github.tftrain.cli.commands.LrFindCommand;
import io.github.tftrain.cli.commands.PlotCommand;
import io.github.tftrain.cli.commands.PresetsCommand;
import io.github.tftrain.cli.commands.SampleCommand;
import io.github.tftrain.cli.commands.TrainCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code tftrain} command. Exit codes: 0 success, 1 failure, 2 usage or bad input, 130 interrupted.
 */
@Command(
    name = "tftrain",
    mixinStandardHelpOptions = true,
    versionProvider = Tftrain.Version.class,
    description = "Train on TensorFlow Java with KaFiStO, Apollo and the optimizer catalogue (tftrain optimizers).",
    subcommands = {TrainCommand.class, LrFindCommand.class, EvalCommand.class, ExportCommand.class, SampleCommand.class,
      CompareCommand.class, PlotCommand.class, PresetsCommand.class, OptimizersCommand.class, TraceCommand.class,
      BenchCommand.class, HelpCommand.class})
public final class Tftrain implements Runnable {


  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command: train, lr-find, eval, export, sample, compare, presets, optimizers, trace or bench");
  }

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the command line on the process's stdout/stderr and returns the exit code. */
  public static int execute(String... args) {
    return execute(
        new java.io.PrintWriter(System.out, true), new java.io.PrintWriter(System.err, true), args);
  }

  /** The command line with every command and option, as {@link #execute} runs it. */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Tftrain());
    CompareCommand.hideOptionsNotTaken(cli.getSubcommands().get("compare").getCommandSpec());
    return cli;
  }

  /** Runs the command line with the given output streams (for tests) and returns the exit code. */
  public static int execute(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
    CommandLine cli = commandLine();
    cli.setOut(out);
    cli.setErr(err);
    cli.setExecutionExceptionHandler(Tftrain::handle);
    // A bad flag is one line naming it, like every other bad input (picocli would print the whole usage).
    cli.setParameterExceptionHandler((e, arguments) -> {
      CommandLine failed = e.getCommandLine();
      String name = failed == cli ? "tftrain" : "tftrain " + failed.getCommandName();
      failed.getErr().println(name + ": " + e.getMessage() + " (see " + name + " --help)");
      return ExitCodes.BAD_INPUT;
    });
    int code = cli.execute(args);
    out.flush();
    err.flush();
    return code;
  }

  /**
   * Bad input (IllegalArgumentException, including hyperparameter ranges; malformed or missing data files) exits 2
   * with its message; an I/O error exits 1 naming the file and the cause; a {@link RunFailedException} exits 1 with
   * its message; anything else (a bug) exits 1 with the exception's class and message. No stack traces: they are for
   * bugs, and TFTRAIN_DEBUG=1 prints them.
   */
  private static int handle(Exception e, CommandLine cli, CommandLine.ParseResult parsed) {
    if (System.getenv("TFTRAIN_DEBUG") != null) {
      e.printStackTrace();
    }
    if (e instanceof java.io.UncheckedIOException unchecked) {
      e = unchecked.getCause();
    }
    String name = "tftrain " + cli.getCommandName() + ": ";
    if (e instanceof IllegalArgumentException
        || e instanceof BadInputException
        || e instanceof io.github.tftrain.data.DataFormatException
        || e instanceof java.nio.file.NoSuchFileException) {
      cli.getErr().println(name + (e instanceof java.io.IOException io ? Errors.describe(io) : e.getMessage()));
      return ExitCodes.BAD_INPUT;
    }
    if (e instanceof RunFailedException) {
      cli.getErr().println(name + e.getMessage());
      return ExitCodes.FAILED;
    }
    if (e instanceof java.io.IOException io) {
      cli.getErr().println(name + Errors.describe(io));
      return ExitCodes.FAILED;
    }
    if (e instanceof org.tensorflow.exceptions.TensorFlowException) {
      cli.getErr().println(name + "TensorFlow: " + Errors.withoutOomHint(String.valueOf(e.getMessage())));
      return ExitCodes.FAILED;
    }
    cli.getErr().println(name + e.getClass().getSimpleName() + ": " + e.getMessage());
    return ExitCodes.FAILED;
  }



  /** Reports the project and TensorFlow versions. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Tftrain.class.getPackage().getImplementationVersion();
      return new String[] {"tftrain " + (version == null ? "dev" : version) + " on TensorFlow Java 1.1.0"};
    }
  }
}
