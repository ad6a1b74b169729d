package io.github.tftrain.optimizers;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.provider.Arguments;

/** Test parameters over both update kernels. */
final class Kernels {
  private Kernels() {}

  /**
   * Skips a NATIVE case only when this build has no native library (no gcc at build time); when the library was
   * packaged it must load, so a broken native build fails the tests instead of silently falling back.
   */
  static void require(UpdateKernel kernel) {
    if (kernel != UpdateKernel.NATIVE) {
      return;
    }
    Assumptions.assumeTrue(NativeKernels.packaged(), "native kernels were not built (no gcc)");
    assertTrue(NativeKernels.available(), "packaged native kernels failed to load: " + NativeKernels.unavailableReason());
  }

  /** (float64, kernel) for every combination. */
  static Stream<Arguments> precisionsAndKernels() {
    List<Arguments> out = new ArrayList<>();
    for (UpdateKernel kernel : new UpdateKernel[] {UpdateKernel.GRAPH, UpdateKernel.NATIVE}) {
      for (boolean float64 : new boolean[] {true, false}) {
        out.add(Arguments.of(float64, kernel));
      }
    }
    return out.stream();
  }
}
