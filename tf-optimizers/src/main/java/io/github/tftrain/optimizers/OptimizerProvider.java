package io.github.tftrain.optimizers;

import java.util.List;

/**
 * Adds optimizers to {@link Optimizers} (and so to the {@code tftrain} command) from a jar on the class path, through
 * {@link java.util.ServiceLoader}: implement it, and list the class in
 * {@code META-INF/services/io.github.tftrain.optimizers.OptimizerProvider}.
 */
public interface OptimizerProvider {
  /** The specs to register; names must not clash with the built-in ones or each other. */
  List<OptimizerSpec> optimizers();
}
