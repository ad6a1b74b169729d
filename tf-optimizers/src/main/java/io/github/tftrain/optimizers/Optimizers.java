package io.github.tftrain.optimizers;

import java.util.Collection;
import java.util.List;

/**
 * The optimizers by name, for configuration-driven code (the CLI's {@code --optimizer NAME --set key=value}): the
 * built-in ones and those of every {@link OptimizerProvider} on the class path. For a registry of your own without
 * the class path, use {@link OptimizerRegistry#builtIn()} and {@link OptimizerRegistry#with}.
 *
 * <pre>{@code
 * OptimizerBuilder<?, ?> builder = Optimizers.builder("kafisto");
 * builder.set("alpha", "0.5").set("lossOffset", "4");
 * LossAwareOptimizer optimizer = builder.build(graph);
 * }</pre>
 */
public final class Optimizers {
  private Optimizers() {}

  /**
   * The built-in optimizers and the class path's providers (looked up once; the registry is immutable).
   *
   * @throws IllegalArgumentException when a provider's optimizer clashes with another's name (every call says so)
   */
  public static OptimizerRegistry registry() {
    return Holder.REGISTRY.get();
  }

  /** The registered names. */
  public static List<String> names() {
    return registry().names();
  }

  /** The registered specs. */
  public static Collection<OptimizerSpec> specs() {
    return registry().specs();
  }

  /** The spec of a registered optimizer (see {@link OptimizerRegistry#spec}). */
  public static OptimizerSpec spec(String name) {
    return registry().spec(name);
  }

  /**
   * A fresh builder with the defaults of the named optimizer.
   *
   * @param name a registered name (case-insensitive)
   * @throws IllegalArgumentException for an unknown name; the message lists the known ones
   */
  public static OptimizerBuilder<?, LossAwareOptimizer> builder(String name) {
    return registry().builder(name);
  }

  /** Found once per class loader; a failing provider fails every call with its message, not the class. */
  private static final class Holder {
    static final java.util.function.Supplier<OptimizerRegistry> REGISTRY = lookUp();

    private static java.util.function.Supplier<OptimizerRegistry> lookUp() {
      try {
        OptimizerRegistry registry = OptimizerRegistry.builtIn().withProviders(Optimizers.class.getClassLoader());
        return () -> registry;
      } catch (RuntimeException | java.util.ServiceConfigurationError e) {
        String message = "optimizer providers on the class path: " + e.getMessage();
        return () -> {
          throw new IllegalArgumentException(message, e);
        };
      }
    }
  }
}
