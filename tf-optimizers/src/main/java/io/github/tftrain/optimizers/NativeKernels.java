package io.github.tftrain.optimizers;

import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.tensorflow.Operation;
import org.tensorflow.TensorFlow;
import org.tensorflow.op.Op;
import org.tensorflow.proto.OpDef;

/**
 * Loads tftrain's fused CPU kernels (src/main/native) into TensorFlow, once per process, on first use.
 *
 * <p>The library is a resource of this jar, built on Linux x86-64 when gcc is present at build time. It is copied
 * to a temporary file and registered with {@link TensorFlow#loadLibrary}. When it is missing, or fails to load,
 * {@link #available()} is false and {@link #unavailableReason()} says why; the optimizers then use graph ops.
 */
final class NativeKernels {
  static final String KAFISTO_DYNAMICS = "TftrainKafistoDynamicsUpdate";
  static final String KAFISTO_DYNAMICS_FIXED_Q = "TftrainKafistoDynamicsUpdateFixedQ";
  static final String APOLLO = "TftrainApolloUpdate";
  /** The element-wise program kernel for N state tensors is {@code ELEMENTWISE + N}, N in 1..6. */
  static final String ELEMENTWISE = "TftrainElementwiseUpdate";
  /** The read-only element-wise program returning K sums of squares is {@code ELEMENTWISE_REDUCE + K}, K in 1..4. */
  static final String ELEMENTWISE_REDUCE = "TftrainElementwiseReduce";
  static final String RESOURCE = "/io/github/tftrain/optimizers/native/linux-x86_64/libtftrain_kernels.so";
  private static final Set<String> OPS =
      Set.of(KAFISTO_DYNAMICS, KAFISTO_DYNAMICS_FIXED_Q, APOLLO, ELEMENTWISE + 1, ELEMENTWISE + 6,
          ELEMENTWISE_REDUCE + 1, ELEMENTWISE_REDUCE + 4);

  private NativeKernels() {}

  /** Whether the kernels are registered in this process (loading them on first call). */
  static boolean available() {
    return Loaded.REASON == null;
  }

  /** Why the kernels are not available, or null when they are. */
  static String unavailableReason() {
    return Loaded.REASON;
  }

  /** An {@link Op} view of a built kernel operation. */
  static Op op(Operation operation) {
    return () -> operation;
  }

  /** Whether this build packaged the library (the tests require it to load then). */
  static boolean packaged() {
    return NativeKernels.class.getResource(RESOURCE) != null;
  }

  /** Lazy, thread-safe, once per class loader (holder idiom). */
  private static final class Loaded {
    static final String REASON = load();
  }

  private static String load() {
    if (registered()) {
      return null;
    }
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
      return "built for Linux x86-64 only, this is " + os + " " + arch;
    }
    try (InputStream in = NativeKernels.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        return "this build has no native library (gcc was not found at build time, or -Dtftrain.native.skip)";
      }
      Path file = Files.createTempFile("libtftrain_kernels", ".so");
      file.toFile().deleteOnExit();
      Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
      TensorFlow.loadLibrary(file.toString());
    } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
      String reason = "loading the native library failed: " + e;
      System.getLogger(NativeKernels.class.getName()).log(Level.WARNING, "tftrain: " + reason);
      return reason;
    }
    return registered() ? null : "the native library loaded but did not register " + OPS;
  }

  private static boolean registered() {
    Set<String> names =
        TensorFlow.registeredOpList().getOpList().stream().map(OpDef::getName).collect(Collectors.toSet());
    return names.containsAll(OPS);
  }
}
