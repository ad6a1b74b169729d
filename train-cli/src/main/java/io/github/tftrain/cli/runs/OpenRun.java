package io.github.tftrain.cli.runs;

import io.github.tftrain.cli.jobs.Jobs;
import io.github.tftrain.cli.settings.Settings;
import io.github.tftrain.cli.settings.TrainConfig;

import io.github.tftrain.trainer.Checkpoints;
import io.github.tftrain.trainer.RunDirectory;
import io.github.tftrain.trainer.EvaluationWeights;
import io.github.tftrain.trainer.TrainingJob;

import io.github.tftrain.cli.models.ModelSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.tensorflow.Session;

/**
 * A finished or running run opened for eval, export and sample: its settings (the data folder optionally replaced),
 * its job, and a session holding one of its checkpoints with the optimizers' evaluation weights in the variables.
 */
public final class OpenRun implements AutoCloseable {
  public final RunDirectory run;
  public final TrainConfig config;
  public final TrainingJob job;
  public final Session session;
  public final Checkpoints.Saved checkpoint;

  private OpenRun(RunDirectory run, TrainConfig config, TrainingJob job, Session session, Checkpoints.Saved checkpoint) {
    this.run = run;
    this.config = config;
    this.job = job;
    this.session = session;
    this.checkpoint = checkpoint;
  }

  /**
   * @param runDir the run directory
   * @param data another dataset folder of the same format, or null for the run's own
   * @param which "latest", "best" or a step number
   * @param threads TensorFlow threads (0: one per core)
   */
  public static OpenRun open(Path runDir, String data, String which, int threads) throws IOException {
    RunDirectory run = RunDirectory.open(runDir);
    TrainConfig config = TrainConfig.read(run);
    if (data != null) {
      ModelSpec spec = ModelSpec.parse(config.model());
      Path folder = Settings.dataFolder(data);
      String format = Settings.detectFormat(spec, folder);
      config = config.withData(folder.toString(), format);
    }
    Checkpoints checkpoints = new Checkpoints(run.checkpoints(), Math.max(1, config.keepCheckpoints()));
    Checkpoints.Saved saved = choose(checkpoints, which, runDir);
    TrainingJob job = Jobs.create(config);
    Session session = null;
    try {
      session = Jobs.openSession(config, job, threads);
      session.restore(saved.prefix());
      // eval and sample see what training evaluated: the optimizers' evaluation weights (the checkpoint holds the
      // training weights and the state they are computed from)
      EvaluationWeights.load(session, job.evaluationSwap());
      return new OpenRun(run, config, job, session, saved);
    } catch (RuntimeException e) {
      if (session != null) {
        session.close();
      }
      job.close();
      throw e;
    }
  }

  private static Checkpoints.Saved choose(Checkpoints checkpoints, String which, Path runDir) throws IOException {
    List<Checkpoints.Saved> all = checkpoints.list();
    if (all.isEmpty()) {
      throw new IllegalArgumentException(runDir + ": no checkpoint yet (checkpoints/ is empty)");
    }
    if (which == null || which.equals("latest")) {
      return all.get(all.size() - 1);
    }
    if (which.equals("best")) {
      java.util.Optional<Checkpoints.Saved> best = checkpoints.best();
      if (best.isPresent()) {
        return best.get();
      }
      // no best.json (a process killed between a checkpoint and best.json): the latest state names the best step
      Object fromState = Checkpoints.readState(all.get(all.size() - 1)).get("best_step");
      long step = fromState instanceof Number n ? n.longValue() : -1;
      return all.stream().filter(s -> s.step() == step).findFirst().orElseThrow(() -> new IllegalArgumentException(
          runDir + ": no best checkpoint recorded (no evaluation has finished yet, or this model family has no "
              + "evaluation metric); use --checkpoint latest"));
    }
    long step;
    try {
      step = Long.parseLong(which);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--checkpoint must be latest, best or a step number, got '" + which + "'");
    }
    return all.stream().filter(s -> s.step() == step).findFirst().orElseThrow(() -> new IllegalArgumentException(
        runDir + ": no checkpoint of step " + step + "; kept: "
            + all.stream().map(s -> Long.toString(s.step())).toList()));
  }

  @Override
  public void close() {
    session.close();
    job.close();
  }
}
