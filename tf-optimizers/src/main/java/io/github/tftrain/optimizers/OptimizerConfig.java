package io.github.tftrain.optimizers;

import io.github.tftrain.distributed.Replicas;
import io.github.tftrain.optimizers.schedule.Schedule;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A validated, immutable optimizer configuration: the values set (every other hyperparameter has its declared
 * default), the learning-rate schedule, the variable groups, the name scope and whether steps check finiteness.
 * {@link OptimizerBuilder#validate()} makes one without a graph, so a configuration can be checked before anything
 * is built.
 */
public final class OptimizerConfig {
  private final OptimizerSpec spec;
  private final Map<String, Object> values;
  private final Schedule learningRate;
  private final List<VariableGroup> groups;
  private final String name;
  private final boolean checkFinite;
  private final Replicas replicas;
  private final boolean tracksUpdateNorm;

  OptimizerConfig(
      OptimizerSpec spec,
      Map<String, Object> values,
      Schedule learningRate,
      List<VariableGroup> groups,
      String name,
      boolean checkFinite,
      Replicas replicas,
      boolean tracksUpdateNorm) {
    this.spec = spec;
    this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    this.learningRate = learningRate;
    this.groups = List.copyOf(groups);
    this.name = name;
    this.checkFinite = checkFinite;
    this.replicas = replicas;
    this.tracksUpdateNorm = tracksUpdateNorm;
  }

  /** Whether the optimizer keeps the weights of the previous step to measure each step's update norm. */
  public boolean tracksUpdateNorm() {
    return tracksUpdateNorm;
  }

  /**
   * The replicas this optimizer's steps agree with: gradients and loss statistics are averaged over them before any
   * use ({@link Replicas#single()} in one process).
   */
  public Replicas replicas() {
    return replicas;
  }

  /** The optimizer's spec. */
  public OptimizerSpec spec() {
    return spec;
  }

  /**
   * The value of a hyperparameter: the one set, else the spec's default (null for unset optional or derived ones).
   *
   * @throws IllegalArgumentException if the spec does not declare it
   */
  public <V> V get(Hyperparameter<V> parameter) {
    Hyperparameter<?> declared = declared(parameter);
    Object value = values.containsKey(parameter.key()) ? values.get(parameter.key()) : declared.defaultValue();
    return parameter.type().cast(value);
  }

  /** The value, or {@code fallback} when it is unset and has no default (derived defaults). */
  public <V> V get(Hyperparameter<V> parameter, V fallback) {
    V value = get(parameter);
    return value == null ? fallback : value;
  }

  /**
   * The value for one variable: the last group that matches it and sets the hyperparameter, else {@link #get}.
   *
   * @param variableName the variable's op name
   * @param rank the variable's rank
   */
  public <V> V get(Hyperparameter<V> parameter, String variableName, int rank) {
    Object value = null;
    boolean found = false;
    for (VariableGroup group : groups) {
      for (Map.Entry<Hyperparameter<?>, Object> e : group.values().entrySet()) {
        if (e.getKey().key().equals(parameter.key()) && group.matches(variableName, rank)) {
          value = e.getValue();
          found = true;
        }
      }
    }
    return found ? parameter.type().cast(value) : get(parameter);
  }

  /** The value for one layer of an update step (see {@link #get(Hyperparameter, String, int)}). */
  public <V> V get(Hyperparameter<V> parameter, Layer<?> layer) {
    return get(parameter, layer.name(), layer.variable().shape().numDimensions());
  }

  /** Whether the hyperparameter was set (explicitly, even to its default). */
  public boolean isSet(Hyperparameter<?> parameter) {
    return values.containsKey(parameter.key());
  }

  /** Whether any group sets this hyperparameter. */
  public boolean isSetByGroup(Hyperparameter<?> parameter) {
    return groups.stream().anyMatch(g -> g.values().keySet().stream().anyMatch(p -> p.key().equals(parameter.key())));
  }

  /** The learning-rate (KaFiStO: gain) schedule. */
  public Schedule learningRate() {
    return learningRate;
  }

  /** The variable groups, in the order they were added. */
  public List<VariableGroup> groups() {
    return groups;
  }

  /** The name scope of the optimizer's ops and state. */
  public String name() {
    return name;
  }

  /** Whether every step checks that its loss and gradients are finite before writing. */
  public boolean checkFinite() {
    return checkFinite;
  }

  private Hyperparameter<?> declared(Hyperparameter<?> parameter) {
    Hyperparameter<?> declared = spec.hyperparameter(parameter.key());
    if (declared == null) {
      throw new IllegalArgumentException(spec.name() + " has no hyperparameter '" + parameter.key() + "'");
    }
    return declared;
  }

  /** {@code name(lr=..., key=value, ...)} with every hyperparameter, defaults included, then the groups. */
  /**
   * Every hyperparameter as it resolved (defaults included), for run records such as config.json: numbers and
   * booleans as themselves, the learning rate as its schedule's text, other values as their text; the update kernel
   * as the one the optimizer uses here ({@code native} or {@code graph}, not {@code auto}); the variable groups under
   * {@code "groups"} as [{selector, values}] in order.
   */
  public Map<String, Object> toMap() {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Hyperparameter<?> p : spec.hyperparameters()) {
      out.put(p.key(), record(p, p.key().equals("lr") ? learningRate : get(p)));
    }
    if (!groups.isEmpty()) {
      List<Object> list = new java.util.ArrayList<>();
      for (VariableGroup group : groups) {
        Map<String, Object> values = new LinkedHashMap<>();
        group.values().forEach((p, v) -> values.put(p.key(), record(p, v)));
        list.add(Map.of("selector", group.selector(), "values", values));
      }
      out.put("groups", list);
    }
    return out;
  }

  private Object record(Hyperparameter<?> p, Object value) {
    if (value instanceof UpdateKernel kernel) {
      return kernel.resolve(spec.name()).name().toLowerCase(java.util.Locale.ROOT);
    }
    if (value == null) {
      return p.format(null);
    }
    if (value instanceof Number || value instanceof Boolean) {
      return value;
    }
    return value instanceof Schedule ? value.toString() : p.format(value);
  }

  @Override
  public String toString() {
    StringBuilder text = new StringBuilder(name).append('(');
    String sep = "";
    for (Hyperparameter<?> p : spec.hyperparameters()) {
      Object value = p.key().equals("lr") ? learningRate : get(p);
      text.append(sep).append(p.key()).append('=').append(value instanceof Schedule ? value : p.format(value));
      sep = ", ";
    }
    for (VariableGroup group : groups) {
      text.append(sep).append(group);
    }
    return text.append(')').toString();
  }
}
