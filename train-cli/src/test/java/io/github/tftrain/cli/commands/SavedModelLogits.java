package io.github.tftrain.cli.commands;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TUint8;

/**
 * A fresh process's view of a classifier's SavedModel, with nothing but TensorFlow Java on the class path (the test
 * runs this file with Java's source launcher): loads the SavedModel with the "serve" tag and writes the logits of
 * raw uint8 pixels through {@code serving_default} ("pixels") or of normalised float32 images through
 * {@code serving_normalized} ("images"), as little-endian float32.
 *
 * <p>Usage: {@code SavedModelLogits SAVED_MODEL pixels|images INPUT_FILE N H W C LOGITS_FILE}
 */
public final class SavedModelLogits {
  private SavedModelLogits() {}

  public static void main(String[] args) throws Exception {
    String kind = args[1];
    byte[] input = Files.readAllBytes(Path.of(args[2]));
    Shape shape = Shape.of(Long.parseLong(args[3]), Long.parseLong(args[4]), Long.parseLong(args[5]),
        Long.parseLong(args[6]));
    try (SavedModelBundle bundle = SavedModelBundle.load(args[0], "serve")) {
      Tensor tensor;
      if (kind.equals("pixels")) {
        tensor = TUint8.tensorOf(shape, DataBuffers.of(input, true, false));
      } else {
        float[] floats = new float[input.length / 4];
        ByteBuffer.wrap(input).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(floats);
        tensor = TFloat32.tensorOf(shape, DataBuffers.of(floats, true, false));
      }
      String signature = kind.equals("pixels") ? "serving_default" : "serving_normalized";
      try (tensor;
          var result = bundle.function(signature).call(Map.of(kind, tensor))) {
        TFloat32 logits = (TFloat32) result.get("logits").orElseThrow();
        float[] values = new float[(int) logits.shape().size()];
        logits.asRawTensor().data().asFloats().read(values);
        ByteBuffer out = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        out.asFloatBuffer().put(values);
        Files.write(Path.of(args[7]), out.array());
        System.out.println(kind + ": logits " + logits.shape());
      }
    }
  }
}
