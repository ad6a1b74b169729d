package io.github.tftrain.data;

import java.util.Arrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TInt32;

/**
 * Language-model batches for truncated backpropagation through time: the token stream is cut into {@code batchSize}
 * contiguous rows (the tail that does not fill all rows is dropped), and window k holds columns [k*steps,
 * (k+1)*steps) of every row as inputs and the next tokens as targets. Consecutive windows continue each row, so a
 * model can carry its hidden state from one window to the next. Only full windows are made (the static graph
 * unrolls a fixed number of steps); {@link #tokensUsed()} says how many targets that leaves.
 */
public final class TokenBatches {
  private final int[] rows; // batchSize x rowLength, row-major
  private final int batchSize;
  private final int rowLength;
  private final int steps;

  /**
   * @param tokens the token ids of a split
   * @param batchSize rows
   * @param steps tokens per row per window (BPTT length, 35 in the papers)
   */
  public TokenBatches(int[] tokens, int batchSize, int steps) {
    if (batchSize < 1 || steps < 1) {
      throw new IllegalArgumentException("batch size and steps must be >= 1, got " + batchSize + ", " + steps);
    }
    this.rowLength = tokens.length / batchSize;
    if (rowLength < steps + 1) {
      throw new IllegalArgumentException(
          tokens.length + " tokens make rows of " + rowLength + " for batch size " + batchSize
              + ", too short for one window of " + steps + " steps plus its targets");
    }
    this.rows = Arrays.copyOf(tokens, batchSize * rowLength);
    this.batchSize = batchSize;
    this.steps = steps;
  }

  private TokenBatches(int[] rows, int batchSize, int rowLength, int steps) {
    this.rows = rows;
    this.batchSize = batchSize;
    this.rowLength = rowLength;
    this.steps = steps;
  }

  /**
   * Data parallelism: the {@code index}-th of {@code count} equal slices of the rows (rows [index·B/count,
   * (index+1)·B/count) of B), with the same windows, so {@code count} shards together hold exactly these batches.
   *
   * @throws IllegalArgumentException when the rows do not divide by {@code count}
   */
  public TokenBatches shard(int index, int count) {
    if (count < 1 || index < 0 || index >= count || batchSize % count != 0) {
      throw new IllegalArgumentException("shard " + index + " of " + count + " of " + batchSize + " rows: need 0 <= "
          + "index < count and rows divisible by count");
    }
    int per = batchSize / count;
    return new TokenBatches(Arrays.copyOfRange(rows, index * per * rowLength, (index + 1) * per * rowLength), per,
        rowLength, steps);
  }

  /** Windows per pass over the data. */
  public int windows() {
    return (rowLength - 1) / steps;
  }

  public int batchSize() {
    return batchSize;
  }

  public int steps() {
    return steps;
  }

  /** Targets covered by one pass (batchSize x windows x steps). */
  public long tokensUsed() {
    return (long) batchSize * windows() * steps;
  }

  /** Inputs [batchSize, steps] of window k (row-major). */
  public int[] inputs(int window) {
    return slice(window, 0);
  }

  /** Targets [batchSize, steps] of window k: each input's next token. */
  public int[] targets(int window) {
    return slice(window, 1);
  }

  private int[] slice(int window, int shift) {
    if (window < 0 || window >= windows()) {
      throw new IndexOutOfBoundsException("window " + window + " of " + windows());
    }
    int[] out = new int[batchSize * steps];
    for (int r = 0; r < batchSize; r++) {
      System.arraycopy(rows, r * rowLength + window * steps + shift, out, r * steps, steps);
    }
    return out;
  }

  /** A [batchSize, steps] int32 tensor of ids (the caller closes it). */
  public TInt32 tensor(int[] ids) {
    return TInt32.tensorOf(Shape.of(batchSize, steps), DataBuffers.of(ids, true, false));
  }
}
