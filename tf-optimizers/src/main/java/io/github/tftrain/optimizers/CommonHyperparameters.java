package io.github.tftrain.optimizers;

import java.util.List;

/**
 * The hyperparameters every optimizer accepts, declared once: clipping, weight decay (for optimizers that leave it to
 * the base) and the wrappers (Lookahead, EMA of the weights, gradient accumulation), which work the same way around
 * any optimizer. The learning rate's declaration is per optimizer (its default differs), see {@link OptimizerSpec}.
 */
public final class CommonHyperparameters {
  private CommonHyperparameters() {}

  /** Global-norm gradient clipping: {@code g ← g·c / max(‖g‖, c)} over all variables; 0 = off. */
  public static final Hyperparameter<Double> CLIP_NORM =
      Hyperparameter.real("clipNorm", 0.0, Range.atLeast(0), "clip the gradients to this global L2 norm (0 = off)");

  /** Weight decay for optimizers whose spec leaves it to the base. */
  public static final Hyperparameter<Double> WEIGHT_DECAY =
      Hyperparameter.real("weightDecay", 0.0, Range.atLeast(0), "weight decay (see weightDecayMode)")
          .perVariable();

  /** L2 (into the gradient) or decoupled (x ← x − lr·wd·x). */
  public static final Hyperparameter<WeightDecayMode> WEIGHT_DECAY_MODE =
      Hyperparameter.choice(
          "weightDecayMode", WeightDecayMode.class, WeightDecayMode.L2,
          "l2: g ← g + wd·x; decoupled: x ← x − lr·wd·x before the step");

  /** Lookahead's k: every k steps the slow weights move towards the fast ones; 0 = off. */
  public static final Hyperparameter<Long> LOOKAHEAD_STEPS =
      Hyperparameter.integer(
          "lookaheadSteps", 0, Range.atLeast(0),
          "Lookahead (Zhang et al. 2019): sync every k steps, slow ← slow + α(fast − slow), fast ← slow (0 = off)");

  /** Lookahead's α. */
  public static final Hyperparameter<Double> LOOKAHEAD_ALPHA =
      Hyperparameter.real("lookaheadAlpha", 0.5, Range.openClosedUnitInterval(), "Lookahead's slow step size α");

  /** EMA of the weights: {@code average ← d·average + (1 − d)·x} after every update; 0 = off. */
  public static final Hyperparameter<Double> EMA_DECAY =
      Hyperparameter.real(
          "emaDecay", 0.0, Range.unitInterval(),
          "keep average ← d·average + (1 − d)·x after every update and evaluate it (0 = off)");

  /** Gradient accumulation: one update per N gradient batches, on their mean. */
  public static final Hyperparameter<Long> ACCUMULATE =
      Hyperparameter.integer(
          "accumulate", 1, Range.atLeast(1),
          "apply one update per N runs of the train op, on the mean of their gradients (the global step counts"
              + " updates)");

  /** The wrappers' keys, accepted by every optimizer, in documentation order. */
  public static final List<Hyperparameter<?>> WRAPPERS =
      List.of(LOOKAHEAD_STEPS, LOOKAHEAD_ALPHA, EMA_DECAY, ACCUMULATE);
}
