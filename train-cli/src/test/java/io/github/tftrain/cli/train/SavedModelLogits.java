package io.github.tftrain.cli.train;

import java.nio.file.Path;
import java.util.Map;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;

/**
 * A fresh process's view of a classifier's SavedModel: loads it with the "serve" tag, feeds float32 images (a
 * little-endian file, [count, 32, 32, 3]) to the {@code serving_default} signature's "images" input and writes its
 * "logits" output to a file the same way. Only TensorFlow's loader is used, none of tftrain's code.
 *
 * <p>Usage: {@code SavedModelLogits SAVED_MODEL_DIR IMAGES_FILE COUNT LOGITS_FILE}
 */
public final class SavedModelLogits {
  private SavedModelLogits() {}

  public static void main(String[] args) throws Exception {
    Path model = Path.of(args[0]);
    float[] images = ReferenceData.readFloats(Path.of(args[1]));
    int count = Integer.parseInt(args[2]);
    try (SavedModelBundle bundle = SavedModelBundle.load(model.toString(), "serve");
        TFloat32 input =
            TFloat32.tensorOf(Shape.of(count, 32, 32, 3), DataBuffers.of(images, true, false));
        var result = bundle.function("serving_default").call(Map.<String, Tensor>of("images", input))) {
      TFloat32 logits = (TFloat32) result.get("logits").orElseThrow();
      float[] values = new float[(int) logits.shape().size()];
      logits.asRawTensor().data().asFloats().read(values);
      ReferenceData.writeFloats(Path.of(args[3]), values);
      System.out.println("logits " + logits.shape());
    }
  }
}
