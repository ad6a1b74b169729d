package io.github.tftrain.optimizers;

import java.util.List;

/** tftrain's optimizers, in documentation order. */
final class BuiltInOptimizers {
  private BuiltInOptimizers() {}

  static final List<OptimizerSpec> SPECS =
      List.of(
          Kafisto.SPEC, Apollo.SPEC, Sgd.SPEC, Adam.SPEC, AdamW.SPEC, ScheduleFreeAdamW.SPEC, Muon.SPEC);
}
