package io.github.tftrain.optimizers;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The optimizers by name, for configuration-driven code (the CLI's {@code --optimizer NAME --set key=value}).
 *
 * <pre>{@code
 * OptimizerBuilder<?, ?> builder = Optimizers.builder("kafisto");
 * builder.set("alpha", "0.5").set("lossOffset", "4");
 * LossAwareOptimizer optimizer = builder.build(graph);
 * }</pre>
 */
public final class Optimizers {
  private static final Map<String, Supplier<OptimizerBuilder<?, ?>>> BUILDERS = new LinkedHashMap<>();

  static {
    BUILDERS.put("kafisto", Kafisto::builder);
    BUILDERS.put("apollo", Apollo::builder);
    BUILDERS.put("sgd", Sgd::builder);
    BUILDERS.put("adam", Adam::builder);
    BUILDERS.put("adamw", AdamW::builder);
  }

  private Optimizers() {}

  /** The registered names: kafisto, apollo, sgd, adam, adamw. */
  public static List<String> names() {
    return List.copyOf(BUILDERS.keySet());
  }

  /**
   * A fresh builder with the defaults of the named optimizer.
   *
   * @param name a registered name (case-insensitive)
   * @throws IllegalArgumentException for an unknown name; the message lists the known ones
   */
  public static OptimizerBuilder<?, ?> builder(String name) {
    Supplier<OptimizerBuilder<?, ?>> supplier =
        name == null ? null : BUILDERS.get(name.trim().toLowerCase(Locale.ROOT));
    if (supplier == null) {
      throw new IllegalArgumentException(
          "unknown optimizer '" + name + "'; valid: " + String.join(", ", BUILDERS.keySet()));
    }
    return supplier.get();
  }
}
