package io.github.tftrain.optimizers;

import java.util.List;

/** tftrain's optimizers, in documentation order. */
final class BuiltInOptimizers {
  private BuiltInOptimizers() {}

  static final List<OptimizerSpec> SPECS =
      List.of(
          Kafisto.SPEC, Apollo.SPEC, Sgd.SPEC, Adam.SPEC, AdamW.SPEC,
          Adagrad.SPEC, RmsProp.SPEC, Adadelta.SPEC, Adamax.SPEC, NAdam.SPEC, RAdam.SPEC,
          Lion.SPEC, Signum.SPEC, Adan.SPEC, Adopt.SPEC, AdEMAMix.SPEC, Mars.SPEC, AdaBelief.SPEC, Lamb.SPEC,
          Lars.SPEC, AdaBound.SPEC, ScheduleFreeAdamW.SPEC, Muon.SPEC);
}
