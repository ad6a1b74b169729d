package io.github.tftrain.trainer;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tensorflow.Session;

/**
 * The training loop every model family shares: epochs of steps, metrics rows every {@code logEvery} steps and at
 * each epoch's end (with the evaluation every {@code evalEvery} epochs and at the end), checkpoints at epoch ends
 * (and every {@code checkpointEvery} steps), the best checkpoint by the job's metric, interrupts (checkpoint, exit
 * 130), non-finite steps (stop with a checkpoint of the last good state, or skip the batch), plots, TensorBoard and
 * the final SavedModel.
 *
 * <p>Everything the loop decides from is in its {@link State}, saved with every checkpoint, so a resumed run takes
 * exactly the steps and writes exactly the rows an uninterrupted one would.
 *
 * <p>Evaluation, the best-checkpoint choice (made from the evaluation) and the SavedModel use the optimizers'
 * evaluation weights ({@link TrainingJob#evaluationSwap()}: the EMA, Lookahead's slow weights, KaFiStO Dynamics' posterior);
 * training and checkpoints use the training weights, which are back in the variables before a checkpoint is written.
 */
public final class Training {
  private static final Logger LOG = LoggerFactory.getLogger(Training.class);

  private final LoopSettings config;
  private final RunDirectory run;
  private final TrainingJob job;
  private final Session session;
  private final Progress progress;
  private final Interrupts interrupts;
  private final EventWriter events;
  private final List<Callback> callbacks;
  private final ReplicaSync sync;
  /** Whether the variables hold the evaluation weights now (inside {@link #evaluationWeights}). */
  private boolean onEvaluationWeights;

  /** Where the run is; what a checkpoint restores. */
  public static final class State {
    long step;
    int epoch;
    long batch;
    long skipped;
    /** Sums (averaged columns) or last values, and the number of steps, of the open logging window. */
    double[] window;
    long windowSteps;
    double bestValue = Double.NaN;
    long bestStep = -1;
    double[] lastEval;
    /** Why a callback stopped the run (it is then finished), or null. */
    String stopped;

    public Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("step", step);
      m.put("epoch", epoch);
      m.put("batch", batch);
      m.put("skipped", skipped);
      m.put("window", toList(window));
      m.put("window_steps", windowSteps);
      m.put("best_value", bestValue);
      m.put("best_step", bestStep);
      m.put("last_eval", lastEval == null ? null : toList(lastEval));
      m.put("stopped", stopped);
      return m;
    }

    public static State fromMap(Map<String, Object> m) {
      State s = new State();
      s.step = ((Number) m.get("step")).longValue();
      s.epoch = ((Number) m.get("epoch")).intValue();
      s.batch = ((Number) m.get("batch")).longValue();
      s.skipped = ((Number) m.get("skipped")).longValue();
      s.window = fromList(m.get("window"));
      s.windowSteps = ((Number) m.get("window_steps")).longValue();
      s.bestValue = number(m.get("best_value"));
      s.bestStep = ((Number) m.get("best_step")).longValue();
      s.lastEval = m.get("last_eval") == null ? null : fromList(m.get("last_eval"));
      s.stopped = (String) m.get("stopped");
      return s;
    }

    private static List<Object> toList(double[] values) {
      List<Object> list = new ArrayList<>();
      for (double v : values) {
        list.add(v);
      }
      return list;
    }

    private static double[] fromList(Object value) {
      List<?> list = (List<?>) value;
      double[] out = new double[list.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = number(list.get(i));
      }
      return out;
    }

    private static double number(Object v) {
      return v instanceof Number n ? n.doubleValue() : Double.parseDouble((String) v); // "NaN" is a string
    }
  }

  public Training(LoopSettings config, RunDirectory run, TrainingJob job, Session session, Progress progress,
      Interrupts interrupts, EventWriter events) {
    this(config, run, job, session, progress, interrupts, events, List.of());
  }

  /**
   * @param callbacks run after each step and each epoch's end, in order; their state is saved with each checkpoint
   */
  public Training(LoopSettings config, RunDirectory run, TrainingJob job, Session session, Progress progress,
      Interrupts interrupts, EventWriter events, List<Callback> callbacks) {
    this(config, run, job, session, progress, interrupts, events, callbacks, null);
  }

  /**
   * One replica of a data-parallel run: every replica runs this same loop in step with the others; the chief's run
   * directory is the run's, the others' ({@code run}) is scratch space. The chief's variables and loop state
   * (after a restore) are given to every replica, and an interrupt on any replica stops all of them at the same step.
   *
   * @param sync the agreement ops built into the job's graph ({@link ReplicaSync#build}), or null for one process
   */
  public Training(LoopSettings config, RunDirectory run, TrainingJob job, Session session, Progress progress,
      Interrupts interrupts, EventWriter events, List<Callback> callbacks, ReplicaSync sync) {
    this.sync = sync;
    this.callbacks = List.copyOf(callbacks);
    this.config = config;
    this.run = run;
    this.job = job;
    this.session = session;
    this.progress = progress;
    this.interrupts = interrupts;
    this.events = events;
  }

  /** Runs to the end, or to an interrupt or a stopping non-finite step; returns the exit code. */
  public Outcome run(boolean resume) throws IOException {
    Checkpoints checkpoints = new Checkpoints(run.checkpoints(), config.keepCheckpoints());
    run.removeInterruptedWrites();
    long perEpoch = job.stepsPerEpoch();
    long total = config.steps() > 0 ? config.steps() : config.epochs() * perEpoch;
    int epochs = (int) ((total + perEpoch - 1) / perEpoch);
    List<TrainingJob.Column> columns = job.trainColumns();
    List<String> header = MetricsLog.header(job);

    State state = new State();
    state.window = new double[columns.size()];
    MetricsLog metrics;
    var latest = resume ? restoreLatestReadable(checkpoints) : java.util.Optional.<Restored>empty();
    if (latest.isPresent()) {
      Checkpoints.Saved saved = latest.get().saved();
      state = latest.get().state();
      restoreCallbacks(latest.get().callbackStates());
      if (checkpoints.repairBest(state.bestStep, job.bestMetric(), state.bestValue)) {
        progress.line("best.json rewritten from the run's state: the best checkpoint is step " + state.bestStep);
      }
      metrics = MetricsLog.resume(run.metrics(), header, state.step);
      progress.line(String.format(Locale.ROOT, "resuming %s at step %d (epoch %d, batch %d) from %s", run.root(),
          state.step, state.epoch + 1, state.batch, run.root().relativize(saved.dir())));
    } else {
      writeAssets(run.root());
      session.initialize();
      if (!config.initFrom().isEmpty() && isChief()) { // the others get the chief's weights below
        progress.line(WeightImport.describe(
            WeightImport.load(session, job.graph(), job.optimizers(), java.nio.file.Path.of(config.initFrom()))));
      }
      metrics = resume ? MetricsLog.resume(run.metrics(), header, 0) : MetricsLog.create(run.metrics(), header);
    }
    if (sync != null && sync.replicas().isDistributed()) {
      // Every replica continues from the chief's variables and place: a resumed chief restored them from its
      // checkpoint, the others only initialised theirs.
      sync.broadcastVariables(session);
      job.shareState(session);
      Map<String, Object> chiefs = new LinkedHashMap<>();
      chiefs.put("state", state.toMap());
      Map<String, Object> states = new LinkedHashMap<>();
      callbacks.forEach(c -> states.put(c.name(), c.state()));
      chiefs.put("callbacks", states);
      Map<String, Object> received = Json.parseObject(sync.fromChief(session, Json.write(chiefs)));
      if (!isChief()) {
        @SuppressWarnings("unchecked")
        Map<String, Object> chiefState = (Map<String, Object>) received.get("state");
        state = State.fromMap(chiefState);
        @SuppressWarnings("unchecked")
        Map<String, Object> chiefCallbacks = (Map<String, Object>) received.get("callbacks");
        restoreCallbacks(chiefCallbacks);
      }
    }
    try (metrics) {
      if (state.stopped != null) {
        progress.line("the run was stopped: " + state.stopped);
      } else if (state.step >= total) {
        progress.line("the run already took its " + total + " steps");
      }
      job.seek(state.epoch, state.batch);
      double windowSeconds = 0;
      double epochSeconds = 0;
      long epochSteps = 0; // steps of this epoch taken in this process (a resumed epoch has fewer)
      double recentSecondsPerStep = Double.NaN;
      long stepsThisProcess = 0;
      long skippedInARow = 0; // --on-nan skip: batches skipped since the last step taken
      while (state.step < total && state.stopped == null) {
        String signal = interrupts.requested();
        if (sync != null && sync.any(session, signal != null) && signal == null) {
          signal = "a signal to another worker";
        }
        if (signal != null) {
          Checkpoints.Saved saved = checkpoint(checkpoints, state);
          progress.line(String.format(Locale.ROOT,
              "interrupted (%s) at step %d; checkpoint %s written; a resume of %s continues from it", signal,
              state.step, run.root().relativize(saved.dir()), run.root()));
          return Outcome.INTERRUPTED;
        }
        long t0 = System.nanoTime();
        double[] values;
        try {
          values = job.step(session, state.step);
        } catch (NonFiniteStepException e) {
          String where = String.format(Locale.ROOT, "step %d (epoch %d, batch %d)", state.step, state.epoch + 1,
              state.batch);
          if (!config.onNan().equals("skip")) {
            Checkpoints.Saved saved = checkpoint(checkpoints, state);
            progress.warn(String.format(Locale.ROOT,
                "%s: loss or gradient is not finite; stopped before updating anything. Checkpoint %s holds the last "
                    + "good state (lower the learning rate, or pass --on-nan skip)",
                where, run.root().relativize(saved.dir())));
            return Outcome.FAILED;
          }
          // A skipped batch still uses up its step (its data, dropout and noise keys), so the run keeps its
          // length and epochs; only the update is missing.
          state.skipped++;
          progress.warn(String.format(Locale.ROOT,
              "%s: loss or gradient not finite; batch skipped, nothing updated (%d skipped so far)", where,
              state.skipped));
          if (++skippedInARow >= perEpoch) {
            // a model that stays non-finite would skip every remaining batch: give up instead
            Checkpoints.Saved saved = checkpoint(checkpoints, state);
            progress.warn(String.format(Locale.ROOT,
                "%s: %d batches in a row (an epoch's worth) had a non-finite loss or gradient; stopped. Checkpoint "
                    + "%s holds the last good state (lower the learning rate)",
                where, skippedInARow, run.root().relativize(saved.dir())));
            return Outcome.FAILED;
          }
          values = null;
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        windowSeconds += seconds;
        epochSeconds += seconds;
        epochSteps++;
        // The process's first step also builds and optimises the graph (and compiles XLA clusters): it would
        // inflate the rate and the ETA for many steps, so the estimate starts with the second.
        if (stepsThisProcess++ > 0) {
          recentSecondsPerStep =
              Double.isNaN(recentSecondsPerStep) ? seconds : 0.9 * recentSecondsPerStep + 0.1 * seconds;
        }
        if (!callbacks.isEmpty()) {
          Map<String, Double> named = new LinkedHashMap<>();
          for (int i = 0; values != null && i < columns.size(); i++) {
            named.put(columns.get(i).name(), values[i]);
          }
          for (Callback callback : callbacks) {
            callback.onStep(state.step + 1, named);
          }
        }
        if (values != null) {
          skippedInARow = 0;
          for (int i = 0; i < columns.size(); i++) {
            state.window[i] = columns.get(i).averaged() ? state.window[i] + values[i] : values[i];
          }
          state.windowSteps++;
        }
        state.step++;
        state.batch++;
        boolean epochEnd = state.batch == perEpoch;
        boolean runEnd = state.step == total;
        // A run that ends mid-epoch evaluates and checkpoints like an epoch end but keeps its place in the epoch, so
        // that a longer run made of it (--resume --steps N) takes the very batches a longer run from the start would.
        boolean closing = epochEnd || runEnd;
        progress.step(state.epoch, epochs, state.batch, Math.min(perEpoch, total - (state.step - state.batch)),
            lossLabel(columns), runningLoss(state, columns), job.itemsPerStep() / recentSecondsPerStep,
            job.throughputUnit(), recentSecondsPerStep * (total - state.step));
        if (!closing && state.step % config.logEvery() == 0) {
          writeRow(metrics, state, columns, windowSeconds, null);
          windowSeconds = 0;
        }
        if (closing) {
          boolean evaluate = (state.epoch + 1) % config.evalEvery() == 0 || runEnd;
          // The evaluation (and the GAN's sample grid) sees the optimizers' evaluation weights; the training
          // weights are back in the variables before anything else runs, the checkpoint below included.
          int epochIndex = state.epoch;
          long stepNow = state.step;
          double[] eval = evaluationWeights(() -> {
            double[] evaluation = evaluate ? job.evaluate(session) : null;
            job.afterEpoch(session, epochIndex, stepNow, run, events);
            return evaluation;
          });
          double epochThroughput = job.itemsPerStep() * (double) epochSteps / Math.max(epochSeconds, 1e-9);
          double trainLoss = runningLoss(state, columns);
          writeRow(metrics, state, columns, windowSeconds, eval);
          windowSeconds = 0;
          boolean best = false;
          if (eval != null) {
            state.lastEval = eval;
            best = updateBest(state, eval);
          }
          String summary = String.format(Locale.ROOT, "epoch %s  step %d  train %s %.4f  %.0f %s  %s",
              Progress.epochLabel(state.epoch, epochs), state.step, lossLabel(columns), trainLoss, epochThroughput,
              job.throughputUnit(), Progress.duration(epochSeconds));
          if (eval != null) {
            summary += "  " + job.describeEvaluation(eval) + (best ? " (best)" : "");
          }
          if (state.step < total) {
            summary += "  ETA " + Progress.duration(recentSecondsPerStep * (total - state.step));
          }
          progress.line(summary);
          state.stopped = afterEpoch(epochIndex, state.step, eval);
          if (sync != null && sync.replicas().isDistributed()) {
            // the chief's decision for every worker: with per-worker batch norm their evaluations differ
            String chiefs = sync.fromChief(session, state.stopped == null ? "" : state.stopped);
            state.stopped = chiefs.isEmpty() ? null : chiefs;
          }
          if (state.stopped != null) {
            progress.line("stopping: " + state.stopped);
          }
          if (epochEnd) {
            state.epoch++;
            state.batch = 0;
          }
          epochSeconds = 0;
          epochSteps = 0;
          Checkpoints.Saved saved = checkpoint(checkpoints, state);
          if (best) {
            checkpoints.markBest(state.step, job.bestMetric(), state.bestValue);
          }
          Plots.curves(run.metrics(), run.plots());
          LOG.debug("checkpoint {} written", saved.dir());
          if (epochEnd && !runEnd && state.stopped == null) {
            job.seek(state.epoch, 0);
          }
        } else if (config.checkpointEvery() > 0 && state.step % config.checkpointEvery() == 0) {
          checkpoint(checkpoints, state);
        }
      }
      if (state.skipped > 0) {
        progress.warn(state.skipped + " batch(es) were skipped for a non-finite loss or gradient");
      }
      if (state.skipped > 0 && state.skipped == state.step) {
        progress.warn("every one of the run's " + state.step + " steps had a non-finite loss or gradient: the model "
            + "was never updated, so nothing is exported (lower the learning rate)");
        return Outcome.FAILED;
      }
      if (!isChief()) {
        return Outcome.DONE; // the chief plots and exports the run (a worker may have no checkpoint of its own)
      }
      // again here: a process killed after the last checkpoint but before its plots leaves them missing
      Plots.curves(run.metrics(), run.plots());
      Checkpoints.Saved last = checkpoints.latest().orElseThrow();
      exportSavedModel(last);
      String result = state.lastEval == null ? "" : ": " + job.describeEvaluation(state.lastEval);
      progress.line("done" + result + "; run directory " + run.root());
      return Outcome.DONE;
    }
  }

  /** Whether this process is the run's chief (one process is its own chief). */
  private boolean isChief() {
    return sync == null || sync.replicas().isChief();
  }

  /** The first training column's name for progress lines: "loss", or the GAN's "critic loss". */
  private static String lossLabel(List<TrainingJob.Column> columns) {
    return columns.get(0).name().replace('_', ' ');
  }

  private static double runningLoss(State state, List<TrainingJob.Column> columns) {
    return columns.get(0).averaged() ? state.window[0] / Math.max(1, state.windowSteps) : state.window[0];
  }

  private void writeRow(MetricsLog metrics, State state, List<TrainingJob.Column> columns, double windowSeconds,
      double[] eval) throws IOException {
    double[] values = new double[columns.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = state.windowSteps == 0 ? Double.NaN // every step of the window was skipped
          : columns.get(i).averaged() ? state.window[i] / state.windowSteps : state.window[i];
    }
    double throughput = job.itemsPerStep() * (double) state.windowSteps / Math.max(windowSeconds, 1e-9);
    int epoch = state.epoch + 1;
    metrics.row(state.step, epoch, values, throughput, eval);
    if (events != null) {
      for (int i = 0; i < values.length; i++) {
        events.scalar("train/" + columns.get(i).name(), state.step, values[i]);
      }
      events.scalar("train/" + job.throughputUnit().replace("/", "_per_"), state.step, throughput);
      if (eval != null) {
        for (int i = 0; i < eval.length; i++) {
          events.scalar("eval/" + job.evalColumns().get(i), state.step, eval[i]);
        }
      }
      events.flush();
    }
    java.util.Arrays.fill(state.window, 0);
    state.windowSteps = 0;
  }

  private boolean updateBest(State state, double[] eval) {
    String metric = job.bestMetric();
    if (metric == null) {
      return false;
    }
    double value = eval[job.evalColumns().indexOf(metric)];
    boolean lower = true;
    if (Double.isNaN(value)) {
      return false;
    }
    if (Double.isNaN(state.bestValue) || (lower ? value < state.bestValue : value > state.bestValue)) {
      state.bestValue = value;
      state.bestStep = state.step;
      return true;
    }
    return false;
  }

  /** Runs {@code body} on the evaluation weights (see {@link EvaluationWeights}). */
  private <T> T evaluationWeights(EvaluationWeights.Body<T> body) throws IOException {
    onEvaluationWeights = true;
    try {
      return EvaluationWeights.during(session, job.evaluationSwap(), body);
    } finally {
      onEvaluationWeights = false;
    }
  }

  private Checkpoints.Saved checkpoint(Checkpoints checkpoints, State state) throws IOException {
    if (onEvaluationWeights) {
      // a checkpoint must hold the training weights, or a resumed run would continue from the evaluation weights
      throw new IllegalStateException("checkpoint requested while the variables hold the evaluation weights");
    }
    if (!java.nio.file.Files.isDirectory(run.checkpoints())) {
      // without this the save would recreate the folders of a deleted run directory and go on training
      throw new RunFailedException(run.checkpoints() + ": gone (the run directory was deleted "
          + "or moved while the run was training); stopped at step " + state.step);
    }
    Map<String, Object> all = state.toMap();
    if (!callbacks.isEmpty()) {
      Map<String, Object> states = new LinkedHashMap<>();
      callbacks.forEach(c -> states.put(c.name(), c.state()));
      all.put("callbacks", states);
    }
    return checkpoints.save(session, state.step, all, dir -> job.saveState(session, dir), state.bestStep);
  }

  /** The callbacks at an epoch's end; the first stop request's reason, or null. */
  private String afterEpoch(int epoch, long step, double[] eval) {
    Map<String, Double> evaluation = new LinkedHashMap<>();
    for (int i = 0; eval != null && i < eval.length; i++) {
      evaluation.put(job.evalColumns().get(i), eval[i]);
    }
    String reason = null;
    for (Callback callback : callbacks) {
      callback.onEpochEnd(epoch, step, evaluation);
    }
    for (Callback callback : callbacks) {
      if (reason == null && callback.stopRequested()) {
        reason = callback.stopReason();
      }
    }
    return reason;
  }

  @SuppressWarnings("unchecked")
  private void restoreCallbacks(Map<String, Object> states) {
    for (Callback callback : callbacks) {
      Object saved = states.get(callback.name());
      if (saved instanceof Map<?, ?> map) {
        callback.restore((Map<String, Object>) map);
      }
    }
  }

  /** A checkpoint restored into the session, with the state it holds and its callbacks' states. */
  private record Restored(Checkpoints.Saved saved, State state, Map<String, Object> callbackStates) {}

  /**
   * Restores the latest checkpoint that can be read; an unreadable one (truncated variables, malformed state.json) is
   * set aside as {@code step-N.unreadable} with a line saying so, and the one before it is tried.
   *
   * @throws RunFailedException when checkpoints exist and none can be read
   */
  private java.util.Optional<Restored> restoreLatestReadable(Checkpoints checkpoints) throws IOException {
    List<Checkpoints.Saved> all = checkpoints.list();
    List<String> failures = new ArrayList<>();
    for (int i = all.size() - 1; i >= 0; i--) {
      Checkpoints.Saved saved = all.get(i);
      try {
        session.restore(saved.prefix());
        Map<String, Object> stateMap = Checkpoints.readState(saved);
        State state;
        try {
          state = State.fromMap(stateMap);
        } catch (ClassCastException | NullPointerException e) {
          throw new IllegalArgumentException(saved.dir().resolve("state.json") + ": incomplete or malformed", e);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> jobState = (Map<String, Object>) stateMap.get("job");
        job.restoreState(saved.dir(), jobState == null ? Map.of() : jobState);
        Object callbackStates = stateMap.get("callbacks");
        @SuppressWarnings("unchecked")
        Map<String, Object> states = callbackStates instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
        return java.util.Optional.of(new Restored(saved, state, states));
      } catch (org.tensorflow.exceptions.TensorFlowException | IOException | IllegalArgumentException e) {
        String cause = e instanceof IOException io ? Errors.describe(io)
            : Errors.withoutOomHint(String.valueOf(e.getMessage())).lines().findFirst().orElse("");
        java.nio.file.Path aside = checkpoints.setAside(saved);
        failures.add(run.root().relativize(saved.dir()) + " (" + cause + ")");
        progress.warn("checkpoint " + run.root().relativize(saved.dir()) + " cannot be read (" + cause + "); moved to "
            + run.root().relativize(aside) + (i > 0 ? ", trying the one before it" : ""));
      }
    }
    if (!failures.isEmpty()) {
      throw new RunFailedException("no readable checkpoint in " + run.checkpoints() + ": "
          + String.join(", ", failures));
    }
    return java.util.Optional.empty();
  }

  /** The job's {@link TrainingJob#assets()} as text files in {@code dir}. */
  private void writeAssets(java.nio.file.Path dir) throws IOException {
    SavedModels.writeTextFiles(dir, job.assets());
  }

  private void exportSavedModel(Checkpoints.Saved from) throws IOException {
    java.nio.file.Path out = run.savedModel();
    java.nio.file.Path partial = out.resolveSibling(".partial-saved_model");
    Checkpoints.deleteTree(partial);
    job.exportSavedModel(from.prefix(), partial);
    writeAssets(partial.resolve("assets"));
    Checkpoints.deleteTree(out);
    java.nio.file.Files.move(partial, out, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }
}
