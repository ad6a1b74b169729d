package io.github.tftrain.optimizers;

/**
 * How KaFiStO (Dynamics) and Apollo apply their per-parameter update.
 *
 * <ul>
 *   <li>{@link #NATIVE}: tftrain's fused CPU kernels (a small library built with the project on Linux x86-64): one
 *       pass over each variable and its state, updated in place. About twice as fast as {@link #GRAPH}.
 *   <li>{@link #GRAPH}: stock TensorFlow ops only. Portable: any device, XLA, and graphs (SavedModels) that any
 *       TensorFlow runtime can load without tftrain's library.
 *   <li>{@link #AUTO} (default): native when the library is available, otherwise graph.
 * </ul>
 *
 * Both create the same state variables with the same names and compute the same update, so a checkpoint written
 * with one restores into the other (the trainer exports SavedModels with graph kernels). KaFiStO and Apollo have
 * hand-written native kernels; the element-wise optimizers of the catalogue write their update once as an
 * {@link ElementwiseUpdate}, which runs as graph ops or as one fused native program.
 */
public enum UpdateKernel {
  /** Native when available, else graph. */
  AUTO,
  /** The fused CPU kernels; building fails if they are not available. */
  NATIVE,
  /** Stock TensorFlow ops. */
  GRAPH;

  /**
   * The {@code kernel} hyperparameter of the element-wise optimizers (KaFiStO and Apollo declare their own with the
   * same values).
   */
  public static Hyperparameter<UpdateKernel> hyperparameter() {
    return Hyperparameter.choice(
        "kernel", UpdateKernel.class, AUTO,
        "native (one fused CPU pass over the variable and its state), graph (stock ops: any device, XLA, portable"
            + " SavedModels) or auto (native when built)");
  }

  /** The kernel this choice means here: AUTO becomes NATIVE or GRAPH; NATIVE fails when unavailable. */
  UpdateKernel resolve(String optimizer) {
    if (this == GRAPH) {
      return GRAPH;
    }
    if (NativeKernels.available()) {
      return NATIVE;
    }
    if (this == NATIVE) {
      throw new IllegalArgumentException(
          optimizer + ": kernel=native is not available here (" + NativeKernels.unavailableReason()
              + "); use kernel=graph or kernel=auto");
    }
    return GRAPH;
  }
}
