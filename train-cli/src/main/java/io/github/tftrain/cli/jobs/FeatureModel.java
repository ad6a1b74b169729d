package io.github.tftrain.cli.jobs;

import io.github.tftrain.trainer.RunDirectory;
import io.github.tftrain.trainer.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.SessionFunction;
import org.tensorflow.Signature;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Image features for the Fréchet distance of generated vs real images. Two sources:
 *
 * <ul>
 *   <li>{@link #inception}: a user-supplied SavedModel whose {@code serving_default} signature takes one float image
 *       batch [N, H, W, 3] with values in [0, 1] and returns one feature vector [N, D] per image (the convention of
 *       TF-Hub's Inception-v3 feature-vector model, 299x299, D = 2048). Images are resized bilinearly to the
 *       signature's H x W (299 when unknown). With Inception-v3 pool features this is the standard FID.
 *   <li>{@link #classifier}: the penultimate features (the input of the final dense layer, "features" in the
 *       SavedModel) of a tftrain classifier run trained on the same kind of images, with that run's normalisation.
 *       This is a proxy: its numbers compare runs with each other, not with published FIDs.
 * </ul>
 */
public final class FeatureModel implements AutoCloseable {
  private final SavedModelBundle bundle;
  private final SessionFunction function;
  private final String input;
  private final String output;
  private final Preprocess preprocess;
  private final String description;

  /** Turns images in [-1, 1] (NHWC, 32x32x3) into the model's input tensor. */
  private interface Preprocess extends AutoCloseable {
    TFloat32 apply(float[] images, int n);

    @Override
    default void close() {}
  }

  private FeatureModel(SavedModelBundle bundle, SessionFunction function, String input, String output,
      Preprocess preprocess, String description) {
    this.bundle = bundle;
    this.function = function;
    this.input = input;
    this.output = output;
    this.preprocess = preprocess;
    this.description = description;
  }

  /** A FID feature SavedModel (see the class comment). */
  public static FeatureModel inception(Path dir) {
    SavedModelBundle bundle = load(dir, "--fid-model");
    try {
      // the generated images are floats in [-1, 1], not raw pixels: the signature on normalised images
    SessionFunction f = bundle.function("serving_normalized");
      Map<String, Signature.TensorDescription> inputs = f.signature().getInputs();
      Map<String, Signature.TensorDescription> outputs = f.signature().getOutputs();
      if (inputs.size() != 1 || outputs.isEmpty()) {
        throw new IllegalArgumentException("--fid-model " + dir + ": serving_default must take one image input, has "
            + inputs.keySet() + " -> " + outputs.keySet());
      }
      String in = inputs.keySet().iterator().next();
      Shape shape = inputs.get(in).shape;
      int height = shape.numDimensions() == 4 && shape.size(1) > 0 ? (int) shape.size(1) : 299;
      int width = shape.numDimensions() == 4 && shape.size(2) > 0 ? (int) shape.size(2) : 299;
      String out = outputs.keySet().stream().sorted().findFirst().orElseThrow();
      return new FeatureModel(bundle, f, in, out, new Resize(height, width),
          "Inception-style SavedModel " + dir + " (" + height + "x" + width + ", output '" + out + "')");
    } catch (RuntimeException e) {
      bundle.close();
      throw e;
    }
  }

  /** The penultimate features of a tftrain classifier run (see the class comment). */
  @SuppressWarnings("unchecked")
  public static FeatureModel classifier(Path runDir) throws IOException {
    RunDirectory run = RunDirectory.open(runDir);
    Map<String, Object> config = Json.parseObject(Files.readString(run.config()));
    Map<String, Object> data = (Map<String, Object>) config.get("data");
    if (data == null || !data.containsKey("normalization_mean")) {
      throw new IllegalArgumentException("--fid-classifier " + runDir + ": not an image classifier run");
    }
    double[] mean = doubles((List<Object>) data.get("normalization_mean"));
    double[] std = doubles((List<Object>) data.get("normalization_std"));
    if (mean.length != 3) {
      throw new IllegalArgumentException("--fid-classifier " + runDir + ": needs a 3-channel classifier, has "
          + mean.length + " channels");
    }
    SavedModelBundle bundle = load(run.savedModel(), "--fid-classifier");
    // the generated images are floats in [-1, 1], not raw pixels: the signature on normalised images
    SessionFunction f = bundle.function("serving_normalized");
    if (!f.signature().outputNames().contains("features")) {
      bundle.close();
      throw new IllegalArgumentException("--fid-classifier " + runDir + ": its SavedModel has no 'features' output");
    }
    Preprocess normalise = (images, n) -> {
      float[] x = new float[n * 32 * 32 * 3];
      for (int i = 0; i < x.length; i++) {
        int c = i % 3;
        x[i] = (float) (((images[i] + 1) / 2 - mean[c]) / std[c]);
      }
      return TFloat32.tensorOf(Shape.of(n, 32, 32, 3), DataBuffers.of(x, true, false));
    };
    return new FeatureModel(bundle, f, "images", "features", normalise,
        "penultimate features of classifier run " + runDir + " (a proxy, not the Inception FID)");
  }

  private static SavedModelBundle load(Path dir, String flag) {
    if (!Files.isRegularFile(dir.resolve("saved_model.pb"))) {
      throw new IllegalArgumentException(flag + " " + dir + ": no saved_model.pb");
    }
    return SavedModelBundle.load(dir.toString(), "serve");
  }

  private static double[] doubles(List<Object> values) {
    double[] out = new double[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ((Number) values.get(i)).doubleValue();
    }
    return out;
  }

  public String description() {
    return description;
  }

  /**
   * Features of {@code n} images in [-1, 1] (NHWC 32x32x3), one row per image, computed {@code chunk} at a time.
   */
  public double[][] features(float[] images, int n, int chunk) {
    double[][] out = new double[n][];
    int size = 32 * 32 * 3;
    for (int start = 0; start < n; start += chunk) {
      int m = Math.min(chunk, n - start);
      float[] part = new float[m * size];
      System.arraycopy(images, start * size, part, 0, part.length);
      try (TFloat32 x = preprocess.apply(part, m);
          Result r = function.call(Map.of(input, (Tensor) x))) {
        TFloat32 f = (TFloat32) r.get(output).orElseThrow();
        int d = (int) (f.shape().size() / m);
        float[] flat = new float[m * d];
        f.asRawTensor().data().asFloats().read(flat);
        for (int i = 0; i < m; i++) {
          double[] row = new double[d];
          for (int j = 0; j < d; j++) {
            row[j] = flat[i * d + j];
          }
          out[start + i] = row;
        }
      }
    }
    return out;
  }

  @Override
  public void close() {
    preprocess.close();
    bundle.close();
  }

  /** [-1, 1] 32x32 → [0, 1] H x W, bilinear, in a small graph of its own. */
  private static final class Resize implements Preprocess {
    private final Graph graph = new Graph();
    private final Session session;
    private final Placeholder<TFloat32> in;
    private final Operand<TFloat32> out;

    Resize(int height, int width) {
      Ops tf = Ops.create(graph);
      in = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 32, 32, 3)));
      Operand<TFloat32> unit = tf.math.div(tf.math.add(in, tf.constant(1f)), tf.constant(2f));
      Operand<TInt32> size = tf.constant(new int[] {height, width});
      out = tf.image.resizeBilinear(unit, size);
      session = new Session(graph);
    }

    @Override
    public TFloat32 apply(float[] images, int n) {
      try (TFloat32 x = TFloat32.tensorOf(Shape.of(n, 32, 32, 3), DataBuffers.of(images, true, false));
          Result r = session.runner().feed(in, x).fetch(out).run()) {
        TFloat32 y = (TFloat32) r.get(0);
        float[] copy = new float[(int) y.shape().size()];
        y.asRawTensor().data().asFloats().read(copy);
        return TFloat32.tensorOf(y.shape(), DataBuffers.of(copy, true, false));
      }
    }

    @Override
    public void close() {
      session.close();
      graph.close();
    }
  }
}
