package io.github.tftrain.cli.runs;

import io.github.tftrain.cli.settings.TrainConfig;

import io.github.tftrain.trainer.RunDirectory;
import io.github.tftrain.trainer.Json;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code tftrain train --resume --run-dir DIR --epochs N} (or {@code --steps N}): a run, finished or not, made
 * longer. Its config.json takes the new length (and lists the extension under "extensions"), and the training
 * continues from the latest checkpoint to the new end. Data order, augmentation, dropout and noise depend only on
 * (seed, epoch, batch) and (seed, step), and a run that ends mid-epoch keeps its place in the epoch, so the extended
 * run takes the steps a run asked for the longer length from the start would take, as long as the learning rate does
 * not depend on the length: a cosine schedule does (its period is the run), which is said when it applies.
 */
public final class Extension {
  private Extension() {}

  /**
   * The settings with the longer length, checked, writing nothing (a data-parallel chief agrees them with the other
   * workers first).
   *
   * @throws IllegalArgumentException when the new length is not longer than the run's
   */
  public static TrainConfig longer(RunDirectory run, TrainConfig config, Integer epochs, Long steps)
      throws IOException {
    return extend(run, config, epochs, steps, null);
  }

  /**
   * Records the longer length in config.json and returns the settings with it.
   *
   * @param epochs the new number of epochs, or null
   * @param steps the new number of steps, or null (one of the two is given)
   * @param err where the note about a length-dependent schedule goes; null to check only, writing nothing
   * @throws IllegalArgumentException when the new length is not longer than the run's
   */
  @SuppressWarnings("unchecked")
  static TrainConfig extend(RunDirectory run, TrainConfig config, Integer epochs, Long steps, PrintWriter err)
      throws IOException {
    Map<String, Object> all = new LinkedHashMap<>(
        Json.parseObject(Files.readString(run.config(), StandardCharsets.UTF_8), run.config()));
    Object perEpochValue = all.get("steps_per_epoch");
    if (!(perEpochValue instanceof Number)) {
      throw new IllegalArgumentException(run.config() + ": no steps_per_epoch");
    }
    long perEpoch = ((Number) perEpochValue).longValue();
    long before = config.totalSteps(perEpoch);
    String flag = steps != null ? "--steps " + steps : "--epochs " + epochs;
    if ((steps != null && steps < 1) || (epochs != null && epochs < 1)) {
      throw new IllegalArgumentException(flag + ": must be >= 1");
    }
    TrainConfig longer = steps != null ? config.withLength(0, steps) : config.withLength(epochs, 0);
    long after = longer.totalSteps(perEpoch);
    if (after <= before) {
      throw new IllegalArgumentException(flag + " (" + after + " steps) does not extend the run, which has " + before
          + " steps (" + perEpoch + " per epoch); give a longer length");
    }
    if (err == null) {
      return longer; // checked only
    }
    if (config.schedule().contains("cosine")) {
      err.println("note: --schedule " + config.schedule() + " spans the run's length, so from step " + before
          + " the run follows the schedule of a " + after + "-step run; its first " + before + " steps followed the "
          + "schedule of a " + before + "-step run, so it differs from a run asked for " + after + " steps from the "
          + "start");
      err.flush();
    }
    Map<String, Object> train = new LinkedHashMap<>(longer.toMap());
    if (all.get("train") instanceof Map<?, ?> recorded) {
      // config.json keeps where the run's data was when it started (a resume's --data says where it is now)
      train.put("data", recorded.get("data"));
      train.put("data_format", recorded.get("data_format"));
    }
    all.put("train", train);
    List<Object> extensions = all.get("extensions") instanceof List<?> list ? new ArrayList<>(list)
        : new ArrayList<>();
    Map<String, Object> extension = new LinkedHashMap<>();
    extension.put("from_steps", before);
    extension.put("to_steps", after);
    extensions.add(extension);
    all.put("extensions", extensions);
    run.writeConfig(all);
    return longer;
  }
}
