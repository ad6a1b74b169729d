package io.github.tftrain.cli.optimizers;

import io.github.tftrain.optimizers.OptimizerSpec;
import io.github.tftrain.optimizers.Optimizers;
import java.io.PrintWriter;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tftrain optimizers [NAME] [--markdown]}: the registered optimizers (built-in and from providers on the class
 * path) and their hyperparameters, rendered from their specs by {@link OptimizerDocs}.
 */
@Command(
    name = "optimizers",
    mixinStandardHelpOptions = true,
    description = {
      "List the registered optimizers for --optimizer, one per line: name and summary.",
      "With NAME: its source and its hyperparameters for --set (key, default, allowed values, description), the "
          + "ones every optimizer accepts (clipNorm, lookaheadSteps, lookaheadAlpha, emaDecay, accumulate) and the "
          + "group[SELECTOR].KEY syntax.",
      "--markdown prints the README's tables (of NAME, or of every optimizer)."
    })
public final class OptimizersCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(arity = "0..1", paramLabel = "NAME", description = "An optimizer's name, e.g. adam.")
  String name;

  @Option(names = "--markdown", description = "Print markdown (the README's optimizer tables).")
  boolean markdown;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    // Optimizers.spec throws IllegalArgumentException for an unknown name, listing the registered ones: exit 2.
    Collection<OptimizerSpec> specs = name == null ? Optimizers.specs() : List.of(Optimizers.spec(name));
    if (markdown) {
      out.print(OptimizerDocs.markdown(specs));
    } else if (name == null) {
      out.print(OptimizerDocs.list(specs));
    } else {
      out.print(OptimizerDocs.describe(specs.iterator().next()));
    }
    out.flush();
    return 0;
  }
}
