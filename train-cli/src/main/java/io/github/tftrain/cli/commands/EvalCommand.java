package io.github.tftrain.cli.commands;

import io.github.tftrain.cli.ThreadsOption;
import io.github.tftrain.cli.jobs.FeatureModel;
import io.github.tftrain.cli.runs.OpenRun;
import io.github.tftrain.cli.jobs.ClassifierJob;
import io.github.tftrain.cli.jobs.GanJob;
import io.github.tftrain.cli.jobs.LanguageModelJob;

import io.github.tftrain.trainer.Json;
import io.github.tftrain.trainer.AtomicFiles;


import io.github.tftrain.cli.eval.FrechetDistance;
import io.github.tftrain.data.ChannelStats;
import io.github.tftrain.data.ImageBatches;
import io.github.tftrain.data.ImageDataset;
import io.github.tftrain.data.ImageFolder;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tftrain eval}: a run's checkpoint measured on held-out data; the result also goes to
 * DIR/evaluations/step-N[-DATA].json, one file per checkpoint and data evaluated.
 */
@Command(
    name = "eval",
    mixinStandardHelpOptions = true,
    description = {
      "Evaluate a run's checkpoint: classifiers: top-1/top-5 error and loss on the test split; language models: "
          + "validation and test perplexity; dcgan: the Frechet distance between features of generated and real "
          + "(test split) images.",
      "GAN features: --fid-model DIR, a SavedModel taking [N,H,W,3] images in [0,1] and returning feature vectors "
          + "(Inception-v3 pool features: the standard FID), or --fid-classifier RUN, the penultimate features of a "
          + "tftrain classifier run on the same kind of images (a proxy for comparing runs).",
      "Writes evaluations/step-N.json (step-N-DATA.json for --data) into the run directory."
    })
public final class EvalCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--run", required = true, paramLabel = "DIR", description = "The run directory.")
  Path runDir;

  @Option(names = "--data", paramLabel = "DIR", description = "Another dataset folder of the run's format.")
  String data;

  @Option(names = "--checkpoint", defaultValue = "latest", description = "latest (default), best or a step.")
  String checkpoint;

  @Option(names = "--fid-model", paramLabel = "DIR", description = "GAN: an Inception feature SavedModel.")
  Path fidModel;

  @Option(names = "--fid-classifier", paramLabel = "RUN", description = "GAN: a tftrain classifier run (proxy).")
  Path fidClassifier;

  @Option(names = "--fid-samples", defaultValue = "2000",
      description = "GAN: generated and real images compared (default 2000, at most the real test images).")
  int fidSamples;

  @CommandLine.Mixin ThreadsOption threads;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    try (OpenRun open = OpenRun.open(runDir, data, checkpoint, threads.threads())) {
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("run", open.run.root().toString());
      result.put("checkpoint_step", open.checkpoint.step());
      result.put("data", open.config.data());
      if (open.job instanceof ClassifierJob job) {
        double[] e = job.evaluate(open.session);
        result.put("test_loss", e[0]);
        result.put("test_error", e[1]);
        result.put("test_top5_error", e[2]);
        out.println(String.format(Locale.ROOT, "%s step %d: test top-1 error %.4f, top-5 error %.4f, loss %.6f",
            runDir, open.checkpoint.step(), e[1], e[2], e[0]));
      } else if (open.job instanceof LanguageModelJob job) {
        double valid = job.evaluate(open.session, job.validWindows());
        double test = job.evaluate(open.session, job.testWindows());
        result.put("valid_loss", valid);
        result.put("valid_ppl", Math.exp(valid));
        result.put("test_loss", test);
        result.put("test_ppl", Math.exp(test));
        out.println(String.format(Locale.ROOT, "%s step %d: valid perplexity %.3f, test perplexity %.3f", runDir,
            open.checkpoint.step(), Math.exp(valid), Math.exp(test)));
      } else if (!(open.job instanceof GanJob)) {
        // any other job (the trainer library's ModelJob: mlp-...): its evaluation columns by name
        double[] e = open.job.evaluate(open.session);
        for (int i = 0; i < e.length; i++) {
          result.put(open.job.evalColumns().get(i), e[i]);
        }
        out.println(String.format(Locale.ROOT, "%s step %d: %s", runDir, open.checkpoint.step(),
            open.job.describeEvaluation(e)));
      } else {
        GanJob job = (GanJob) open.job;
        if ((fidModel == null) == (fidClassifier == null)) {
          throw new IllegalArgumentException(
              "a dcgan run is evaluated by the Frechet distance: give --fid-model DIR (Inception features) or "
                  + "--fid-classifier RUN (features of a tftrain classifier run), one of them");
        }
        ImageDataset real = ImageFolder.read(Path.of(open.config.data()), "test");
        int n = Math.min(fidSamples, real.count());
        if (n < 2) {
          throw new IllegalArgumentException("--fid-samples must be >= 2, got " + fidSamples);
        }
        float[] realImages = minusOneToOne(real, n);
        float[] fake = job.generate(open.session, n, 0);
        try (FeatureModel features =
            fidModel != null ? FeatureModel.inception(fidModel) : FeatureModel.classifier(fidClassifier)) {
          double d = FrechetDistance.between(features.features(fake, n, 100), features.features(realImages, n, 100));
          result.put("frechet_distance", d);
          result.put("features", features.description());
          result.put("samples", n);
          out.println(String.format(Locale.ROOT, "%s step %d: Frechet distance %.4f (%d generated vs %d real "
              + "test images; %s)", runDir, open.checkpoint.step(), d, n, n, features.description()));
        }
      }
      // one file per checkpoint (and other data) evaluated: evaluations never overwrite each other
      String name = String.format(Locale.ROOT, "step-%09d", open.checkpoint.step())
          + (data == null ? "" : "-" + Path.of(data).getFileName().toString().replaceAll("[^A-Za-z0-9._-]", "_"));
      Path file = open.run.root().resolve("evaluations").resolve(name + ".json");
      Files.createDirectories(file.getParent());
      AtomicFiles.write(file, o -> o.write(Json.write(result).getBytes(StandardCharsets.UTF_8)));
      out.println("written to " + open.run.root().relativize(file));
    }
    return 0;
  }

  /**
   * The first n images as NHWC floats in [-1, 1], scaled by the batch pipeline exactly as the GAN's training images
   * were ({@link ChannelStats#minusOneToOne}).
   */
  static float[] minusOneToOne(ImageDataset data, int n) {
    if (data.height() != 32 || data.width() != 32 || data.channels() != 3) {
      throw new IllegalArgumentException(data.source() + ": the Frechet distance compares 32x32 RGB images");
    }
    ImageBatches first = ImageBatches.of(data).batchSize(n).stats(ChannelStats.minusOneToOne(3)).build();
    try (ImageBatches.Epoch epoch = first.epoch(0)) {
      return epoch.next().images();
    }
  }
}
