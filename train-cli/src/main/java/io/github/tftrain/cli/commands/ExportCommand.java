package io.github.tftrain.cli.commands;

import io.github.tftrain.cli.runs.OpenRun;

import io.github.tftrain.trainer.Checkpoints;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tftrain export}: a SavedModel from one of a run's checkpoints. */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    description = {
      "Write a SavedModel (tag 'serve') from a run's checkpoint: a serving_default signature (classifiers: images -> "
          + "logits, probabilities, features; dcgan: z -> images; language models: ids + state -> logits + state) "
          + "and a 'train' signature that runs one training step.",
      "The folder is written under a temporary name and renamed when complete."
    })
public final class ExportCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--run", required = true, paramLabel = "DIR", description = "The run directory.")
  Path runDir;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "The SavedModel folder to create.")
  Path out;

  @Option(names = "--checkpoint", defaultValue = "latest", description = "latest (default), best or a step.")
  String checkpoint;

  @Override
  public Integer call() throws Exception {
    if (Files.exists(out)) {
      throw new IllegalArgumentException("--out " + out + " already exists; choose a new folder");
    }
    try (OpenRun open = OpenRun.open(runDir, null, checkpoint, 0)) {
      Path absolute = out.toAbsolutePath();
      Files.createDirectories(absolute.getParent());
      Path partial = absolute.resolveSibling(".partial-" + absolute.getFileName());
      Checkpoints.deleteTree(partial);
      try {
        open.job.exportSavedModel(open.checkpoint.prefix(), partial);
        io.github.tftrain.trainer.SavedModels.writeTextFiles(partial.resolve("assets"), open.job.assets());
        Files.move(partial, absolute, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Checkpoints.deleteTree(partial);
      }
      spec.commandLine().getOut().println("exported step " + open.checkpoint.step() + " of " + runDir + " to " + out);
    }
    return 0;
  }
}
