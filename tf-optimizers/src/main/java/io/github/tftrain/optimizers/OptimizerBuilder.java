package io.github.tftrain.optimizers;

import io.github.tftrain.optimizers.schedule.Schedule;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.tensorflow.Graph;

/**
 * Common part of the optimizer builders: the learning-rate schedule, gradient clipping, the name scope, and setting
 * hyperparameters by name from text ({@code --set key=value} in the CLI, config files).
 *
 * <p>Setters only record values; {@link #build(Graph)} validates all of them (ranges and combinations) and throws an
 * {@link IllegalArgumentException} naming the parameter and its allowed range.
 *
 * @param <B> the concrete builder
 * @param <O> the optimizer it builds
 */
public abstract class OptimizerBuilder<B extends OptimizerBuilder<B, O>, O extends LossAwareOptimizer> {
  private final String optimizerName;
  private final Map<String, Consumer<String>> setters = new LinkedHashMap<>();
  private Schedule learningRate;
  private double clipNorm = 0;
  private boolean checkFinite;
  private String name;

  /**
   * @param optimizerName the registry name ("kafisto"), used in messages and as the default name scope
   * @param defaultLearningRate the documented default learning rate
   */
  protected OptimizerBuilder(String optimizerName, double defaultLearningRate) {
    this.optimizerName = optimizerName;
    this.learningRate = Schedule.constant(defaultLearningRate);
    this.name = optimizerName;
    key("lr", text -> lr(number("lr", text)));
    key("clipNorm", text -> clipNorm(number("clipNorm", text)));
  }

  @SuppressWarnings("unchecked")
  protected final B self() {
    return (B) this;
  }

  /** Sets a constant learning rate (KaFiStO: gain multiplier). */
  public B lr(double value) {
    this.learningRate = Schedule.constant(Hyperparameters.finite(optimizerName, "lr", value));
    return self();
  }

  /** Sets a learning-rate schedule evaluated on the optimizer's global step. */
  public B lr(Schedule schedule) {
    this.learningRate = schedule;
    return self();
  }

  /**
   * The learning rate set so far (the documented default until {@link #lr} is called) at step 0: the base value a
   * configuration-driven caller scales with a schedule.
   */
  public double baseLearningRate() {
    return learningRate.initialValue();
  }

  /** Clips the gradients by their global L2 norm to at most {@code value} (0, the default, turns clipping off). */
  public B clipNorm(double value) {
    this.clipNorm = value;
    return self();
  }

  /**
   * Guards every step against a non-finite loss or gradient (default off): the step's writes wait for an assertion
   * that the loss and the global gradient norm are finite, so a step that fails it throws from {@code Session.run}
   * with a message containing {@link LossAwareOptimizer#NON_FINITE} and leaves the variables, the optimizer's state
   * and the global step exactly as they were. Costs one pass over the gradients (their norm).
   */
  public B checkFinite(boolean value) {
    this.checkFinite = value;
    return self();
  }

  /** The name scope of the optimizer's ops and state (default: the optimizer's name, made unique in the graph). */
  public B name(String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(optimizerName + ": name must not be empty");
    }
    this.name = value;
    return self();
  }

  /**
   * Sets a hyperparameter from text.
   *
   * @param key a name from {@link #keys()}
   * @param value its value as text (numbers, booleans, enum names, case-insensitive)
   * @return this builder
   * @throws IllegalArgumentException for an unknown key (the message lists the valid ones) or an unparsable value
   */
  public B set(String key, String value) {
    Consumer<String> setter = setters.get(key);
    if (setter == null) {
      throw new IllegalArgumentException(
          "unknown hyperparameter '" + key + "' for " + optimizerName + "; valid keys: " + String.join(", ", keys()));
    }
    if (value == null) {
      throw new IllegalArgumentException(optimizerName + ": no value given for " + key);
    }
    setter.accept(value.trim());
    return self();
  }

  /** The hyperparameter names {@link #set} accepts, in documentation order. */
  public List<String> keys() {
    return new ArrayList<>(setters.keySet());
  }

  /** Validates the hyperparameters and builds the optimizer in {@code graph}. */
  public abstract O build(Graph graph);

  /** The registry name, e.g. "kafisto". */
  public String optimizerName() {
    return optimizerName;
  }

  protected final void key(String key, Consumer<String> setter) {
    setters.put(key, setter);
  }

  protected final Schedule learningRateSchedule() {
    return Hyperparameters.nonNegative(optimizerName, "lr", learningRate);
  }

  protected final double clipNormValue() {
    if (!(clipNorm >= 0) || Double.isInfinite(clipNorm)) {
      throw Hyperparameters.invalid(optimizerName, "clipNorm", ">= 0 (0 = off)", clipNorm);
    }
    return clipNorm;
  }

  protected final boolean checkFiniteValue() {
    return checkFinite;
  }

  protected final String nameValue() {
    return name;
  }

  protected final double number(String key, String text) {
    try {
      return Double.parseDouble(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          optimizerName + ": " + key + " must be a number, got '" + text + "'", e);
    }
  }

  protected final long integer(String key, String text) {
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          optimizerName + ": " + key + " must be an integer, got '" + text + "'", e);
    }
  }

  protected final boolean bool(String key, String text) {
    if (text.equalsIgnoreCase("true")) {
      return true;
    }
    if (text.equalsIgnoreCase("false")) {
      return false;
    }
    throw new IllegalArgumentException(optimizerName + ": " + key + " must be true or false, got '" + text + "'");
  }

  protected final <E extends Enum<E>> E choice(String key, Class<E> type, String text) {
    return Hyperparameters.parseEnum(optimizerName, key, type, text);
  }
}
