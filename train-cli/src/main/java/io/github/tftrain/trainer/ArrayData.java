package io.github.tftrain.trainer;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * A {@link DataSource} over arrays in memory: float feature rows and int labels, in batches of a fixed size, shuffled
 * every epoch by a permutation drawn from (seed, epoch), the last partial batch dropped or kept.
 */
public final class ArrayData implements DataSource {
  private final Map<String, float[][]> floats;
  private final Map<String, int[]> ints;
  private final Map<String, InputSpec> inputs;
  private final int examples;
  private final int batchSize;
  private final Long seed;
  private final boolean dropLast;
  private final int shardIndex;
  private final int shardCount;
  private int permutedEpoch = -1;
  private int[] order;

  private ArrayData(Builder b) {
    this.floats = Map.copyOf(b.floats);
    this.ints = Map.copyOf(b.ints);
    this.batchSize = b.batchSize;
    this.seed = b.seed;
    this.dropLast = b.dropLast;
    this.shardIndex = b.shardIndex;
    this.shardCount = b.shardCount;
    if (shardCount > 1 && (batchSize % shardCount != 0 || !dropLast)) {
      throw new IllegalArgumentException("batch size " + batchSize + " splits into " + shardCount + " equal shards "
          + "only when it divides and the last partial batch is dropped");
    }
    Map<String, InputSpec> specs = new LinkedHashMap<>();
    int n = -1;
    for (Map.Entry<String, float[][]> e : b.floats.entrySet()) {
      int width = e.getValue().length == 0 ? 0 : e.getValue()[0].length;
      for (int i = 0; i < e.getValue().length; i++) {
        if (e.getValue()[i].length != width) {
          throw new IllegalArgumentException(e.getKey() + ": row " + i + " has " + e.getValue()[i].length
              + " values, row 0 has " + width);
        }
      }
      n = count(n, e.getKey(), e.getValue().length);
      specs.put(e.getKey(), new InputSpec(TFloat32.class, Shape.of(width)));
    }
    for (Map.Entry<String, int[]> e : b.ints.entrySet()) {
      n = count(n, e.getKey(), e.getValue().length);
      specs.put(e.getKey(), new InputSpec(TInt32.class, Shape.scalar()));
    }
    if (n < 1) {
      throw new IllegalArgumentException("array data needs at least one input with at least one example");
    }
    if (batchSize < 1 || (dropLast && batchSize > n)) {
      throw new IllegalArgumentException("batch size " + batchSize + " for " + n + " examples");
    }
    this.examples = n;
    this.inputs = Map.copyOf(specs);
  }

  private static int count(int n, String name, int length) {
    if (n >= 0 && n != length) {
      throw new IllegalArgumentException(name + " has " + length + " examples, the other inputs " + n);
    }
    return length;
  }

  /** A builder: inputs by name, then the batching. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public Map<String, InputSpec> inputs() {
    return inputs;
  }

  @Override
  public long batchesPerEpoch() {
    return dropLast ? examples / batchSize : (examples + batchSize - 1) / batchSize;
  }

  @Override
  public long batchSize() {
    return batchSize;
  }

  @Override
  public synchronized Map<String, Tensor> batch(int epoch, long index) {
    if (index < 0 || index >= batchesPerEpoch()) {
      throw new IndexOutOfBoundsException("batch " + index + " of " + batchesPerEpoch());
    }
    int[] epochOrder = order(epoch);
    // a shard's batch is its slice of the global batch: rows [index·B + shard·B/n, ... + B/n)
    int size = Math.min(batchSize, examples - (int) (index * batchSize)) / shardCount;
    int from = (int) (index * batchSize) + shardIndex * size;
    Map<String, Tensor> out = new LinkedHashMap<>();
    floats.forEach((name, rows) -> {
      int width = rows[0].length;
      float[] flat = new float[size * width];
      for (int i = 0; i < size; i++) {
        System.arraycopy(rows[epochOrder[from + i]], 0, flat, i * width, width);
      }
      out.put(name, TFloat32.tensorOf(Shape.of(size, width), DataBuffers.of(flat)));
    });
    ints.forEach((name, values) -> {
      int[] batch = new int[size];
      for (int i = 0; i < size; i++) {
        batch[i] = values[epochOrder[from + i]];
      }
      out.put(name, TInt32.tensorOf(Shape.of(size), DataBuffers.of(batch)));
    });
    return out;
  }

  /** The epoch's order of examples: identity without a seed, else a Fisher-Yates shuffle seeded by (seed, epoch). */
  private int[] order(int epoch) {
    if (epoch != permutedEpoch) {
      order = new int[examples];
      for (int i = 0; i < examples; i++) {
        order[i] = i;
      }
      if (seed != null) {
        Random random = new Random(seed * 1_000_003L + epoch);
        for (int i = examples - 1; i > 0; i--) {
          int j = random.nextInt(i + 1);
          int t = order[i];
          order[i] = order[j];
          order[j] = t;
        }
      }
      permutedEpoch = epoch;
    }
    return order;
  }

  /** Builds {@link ArrayData}. */
  public static final class Builder {
    private final Map<String, float[][]> floats = new LinkedHashMap<>();
    private final Map<String, int[]> ints = new LinkedHashMap<>();
    private int batchSize = 32;
    private Long seed;
    private boolean dropLast;
    private int shardIndex;
    private int shardCount = 1;

    private Builder() {}

    /** A float input: one row of features per example (rows are copied when batched, not before). */
    public Builder features(String name, float[][] rows) {
      floats.put(name, rows);
      return this;
    }

    /** An int input: one label per example. */
    public Builder labels(String name, int[] labels) {
      ints.put(name, labels);
      return this;
    }

    /** Examples per batch (default 32). */
    public Builder batchSize(int size) {
      this.batchSize = size;
      return this;
    }

    /** Shuffle every epoch with this seed (default: no shuffle, for evaluation data). */
    public Builder shuffle(long seed) {
      this.seed = seed;
      return this;
    }

    /** Drop the last, partial batch of an epoch (default: keep it). */
    /**
     * Data parallelism: every batch is the {@code index}-th of {@code count} equal slices of the global batch of
     * {@link #batchSize} (same order), so {@code count} shards together see the unsharded batches; needs
     * {@link #dropLast} and a batch size that divides by {@code count}.
     */
    public Builder shard(int index, int count) {
      if (count < 1 || index < 0 || index >= count) {
        throw new IllegalArgumentException("shard " + index + " of " + count + ": need 0 <= index < count");
      }
      this.shardIndex = index;
      this.shardCount = count;
      return this;
    }

    public Builder dropLast(boolean drop) {
      this.dropLast = drop;
      return this;
    }

    /** @throws IllegalArgumentException for inputs of different lengths, ragged rows or a bad batch size */
    public ArrayData build() {
      return new ArrayData(this);
    }
  }
}
