package io.github.tftrain.cli.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code tftrain bench}: benchmarks (not tests). */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Benchmarks: 'optimizers' times the update step of every optimizer; 'models' the training step "
        + "of every model; 'trainer' the optimizer update's share of a classifier's step through the trainer; "
        + "'distributed' the all-reduce and step time of data-parallel workers.",
    subcommands = {OptimizerBenchmark.class, ModelBenchmark.class, TrainerBenchmark.class,
        DistributedBenchmark.class})
public final class BenchCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing benchmark: optimizers, models, trainer or distributed");
  }
}
