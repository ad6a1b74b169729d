package io.github.tftrain.optimizers;

/**
 * How the base optimizer applies {@code weightDecay} for optimizers that leave it to the base (their
 * {@link OptimizerSpec} says so; KaFiStO, Apollo, LAMB, LARS, Adan and Schedule-Free define their own).
 */
public enum WeightDecayMode {
  /** L2 regularisation: {@code g ← g + wd·x} before the optimizer sees the gradient (torch's {@code weight_decay}). */
  L2,
  /**
   * Decoupled (Loshchilov &amp; Hutter): {@code x ← x − lr·wd·x}, then the optimizer's step from the decayed weights
   * (torch's AdamW; Lion, MARS, AdaBelief and Muon in their papers).
   */
  DECOUPLED
}
