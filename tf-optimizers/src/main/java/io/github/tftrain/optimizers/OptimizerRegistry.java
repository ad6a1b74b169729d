package io.github.tftrain.optimizers;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * An immutable set of optimizers by name. {@link #builtIn()} has tftrain's; {@link #with} adds your own and returns a
 * new registry; {@link #withProviders(ClassLoader)} adds those of every {@link OptimizerProvider} on a class path.
 */
public final class OptimizerRegistry {
  private final Map<String, OptimizerSpec> specs;

  private OptimizerRegistry(Map<String, OptimizerSpec> specs) {
    this.specs = Collections.unmodifiableMap(specs);
  }

  /** tftrain's optimizers, in documentation order. */
  public static OptimizerRegistry builtIn() {
    Map<String, OptimizerSpec> specs = new LinkedHashMap<>();
    for (OptimizerSpec spec : BuiltInOptimizers.SPECS) {
      specs.put(spec.name(), spec);
    }
    return new OptimizerRegistry(specs);
  }

  /**
   * This registry and {@code spec}.
   *
   * @throws IllegalArgumentException if the name is taken
   */
  public OptimizerRegistry with(OptimizerSpec spec) {
    if (specs.containsKey(spec.name())) {
      throw new IllegalArgumentException("an optimizer named '" + spec.name() + "' is already registered");
    }
    Map<String, OptimizerSpec> copy = new LinkedHashMap<>(specs);
    copy.put(spec.name(), spec);
    return new OptimizerRegistry(copy);
  }

  /** This registry and the optimizers of every {@link OptimizerProvider} that {@code loader} finds. */
  public OptimizerRegistry withProviders(ClassLoader loader) {
    OptimizerRegistry registry = this;
    for (OptimizerProvider provider : ServiceLoader.load(OptimizerProvider.class, loader)) {
      for (OptimizerSpec spec : provider.optimizers()) {
        registry = registry.with(spec);
      }
    }
    return registry;
  }

  /** The registered names, in registration order. */
  public List<String> names() {
    return List.copyOf(specs.keySet());
  }

  /** The specs, in registration order. */
  public Collection<OptimizerSpec> specs() {
    return specs.values();
  }

  /**
   * The spec of a registered optimizer.
   *
   * @param name a registered name (case-insensitive)
   * @throws IllegalArgumentException for an unknown name; the message lists the known ones
   */
  public OptimizerSpec spec(String name) {
    OptimizerSpec spec = name == null ? null : specs.get(name.trim().toLowerCase(Locale.ROOT));
    if (spec == null) {
      throw new IllegalArgumentException(
          "unknown optimizer '" + name + "'; valid: " + String.join(", ", specs.keySet()));
    }
    return spec;
  }

  /** A fresh builder with the defaults of the named optimizer (see {@link #spec}). */
  public OptimizerBuilder<?, LossAwareOptimizer> builder(String name) {
    return spec(name).newBuilder();
  }
}
