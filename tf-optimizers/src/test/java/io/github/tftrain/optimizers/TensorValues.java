package io.github.tftrain.optimizers;

import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt64;

/** Reading tensors back into Java arrays for assertions. */
final class TensorValues {
  private TensorValues() {}

  static double[] read(Session session, Operand<?> operand) {
    try (Tensor t = session.runner().fetch(operand).run().get(0)) {
      return values(t);
    }
  }

  static double[] values(Tensor t) {
    int n = (int) t.shape().size();
    double[] out = new double[n];
    if (t instanceof TFloat64) {
      t.asRawTensor().data().asDoubles().read(out);
    } else if (t instanceof TFloat32) {
      float[] f = new float[n];
      t.asRawTensor().data().asFloats().read(f);
      for (int i = 0; i < n; i++) {
        out[i] = f[i];
      }
    } else if (t instanceof TInt64) {
      long[] l = new long[n];
      t.asRawTensor().data().asLongs().read(l);
      for (int i = 0; i < n; i++) {
        out[i] = l[i];
      }
    } else {
      throw new IllegalArgumentException("unsupported tensor type " + t.dataType());
    }
    return out;
  }

  static double scalar(Tensor t) {
    double[] v = values(t);
    if (v.length != 1) {
      throw new IllegalArgumentException("expected a scalar, got " + v.length + " values");
    }
    return v[0];
  }
}
