package io.github.tftrain.optimizers;

/**
 * Typed setters for keys that many optimizers declare, written once: each sets the optimizer's own declaration of
 * the key (its role, range and default are in that declaration: the optimizer's README table or
 * {@code tftrain optimizers NAME}). An optimizer's builder implements the ones its spec declares.
 */
public final class BuilderKeys {
  private BuilderKeys() {}

  /** What a builder offers these setters: its spec and the typed {@code set}. */
  public interface Settable<B> {
    OptimizerSpec spec();

    <V> B set(Hyperparameter<V> parameter, V value);

    /** This spec's declaration of {@code key}, of the given type. */
    @SuppressWarnings("unchecked")
    default <V> Hyperparameter<V> declared(String key, Class<V> type) {
      Hyperparameter<?> declared = spec().hyperparameter(key);
      if (declared == null || declared.type() != type) {
        throw new IllegalStateException(spec().name() + " does not declare " + key + " as " + type.getSimpleName());
      }
      return (Hyperparameter<V>) declared;
    }
  }

  /** beta1 and beta2: the decays of the first and second moments (or the optimizer's two averages). */
  public interface Betas<B> extends Settable<B> {
    /** β1, as this optimizer declares it. */
    default B beta1(double value) {
      return set(declared("beta1", Double.class), value);
    }

    /** β2, as this optimizer declares it. */
    default B beta2(double value) {
      return set(declared("beta2", Double.class), value);
    }
  }

  /** eps: the small constant of the denominator. */
  public interface Eps<B> extends Settable<B> {
    /** eps, as this optimizer declares it. */
    default B eps(double value) {
      return set(declared("eps", Double.class), value);
    }
  }

  /** kernel: the update kernel (see {@link UpdateKernel}). */
  public interface Kernel<B> extends Settable<B> {
    /** The update kernel (default auto: native where the library loaded). */
    default B kernel(UpdateKernel value) {
      return set(declared("kernel", UpdateKernel.class), value);
    }
  }
}
