package io.github.tftrain.data;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Minibatches of an image dataset for one epoch at a time: shuffled and augmented (random 32x32 crop of the image
 * padded by 4 black pixels, horizontal flip) with a seed, normalised per channel, and produced by a background
 * thread that keeps {@code prefetch} batches ready so the training step does not wait on input.
 *
 * <p>Epoch e's order and augmentation depend only on (seed, e), so a run resumed at epoch e sees the same batches.
 */
public final class ImageBatches {
  private final ImageDataset data;
  private final int batchSize;
  private final boolean shuffle;
  private final boolean augment;
  private final boolean dropLast;
  private final int prefetch;
  private final int shardIndex;
  private final int shardCount;
  private final long seed;
  private final float[][] normalize;
  private final AtomicLong producerNanos = new AtomicLong();
  private final AtomicLong waitNanos = new AtomicLong();

  private ImageBatches(Builder b) {
    this.data = b.data;
    this.batchSize = b.batchSize;
    this.shuffle = b.shuffle;
    this.augment = b.augment;
    this.dropLast = b.dropLast;
    this.shardIndex = b.shardIndex;
    this.shardCount = b.shardCount;
    this.prefetch = b.prefetch;
    this.seed = b.seed;
    ChannelStats stats = b.stats != null ? b.stats : ChannelStats.of(b.data);
    if (stats.channels() != data.channels()) {
      throw new IllegalArgumentException(
          "normalisation has " + stats.channels() + " channels, the images have " + data.channels());
    }
    this.normalize = stats.table();
  }

  /** Starts a builder (batch size 128, no shuffling or augmentation, statistics of this dataset, prefetch 2). */
  public static Builder of(ImageDataset data) {
    return new Builder(data);
  }

  /** One image batch: channel-last normalised floats, and labels. */
  public record Batch(float[] images, int[] labels, int size, int height, int width, int channels) {
    /** The images as a [size, height, width, channels] float32 tensor (the caller closes it). */
    public TFloat32 imagesTensor() {
      return TFloat32.tensorOf(Shape.of(size, height, width, channels), DataBuffers.of(images, true, false));
    }

    /** The labels as a [size] int32 tensor (the caller closes it). */
    public TInt32 labelsTensor() {
      return TInt32.tensorOf(Shape.of(size), DataBuffers.of(labels, true, false));
    }
  }

  /** Batches per epoch. */
  public int batchesPerEpoch() {
    return dropLast ? data.count() / batchSize : (data.count() + batchSize - 1) / batchSize;
  }

  /** The dataset batched. */
  public ImageDataset dataset() {
    return data;
  }

  /**
   * The batches of epoch {@code index}, produced in the background. Close the epoch when leaving early.
   */
  public Epoch epoch(int index) {
    return new Epoch(index, 0);
  }

  /**
   * The batches of epoch {@code index} from batch {@code startBatch} on: the same batches {@link #epoch(int)} gives
   * there (the order and each batch's augmentation depend only on the seed, the epoch and the batch index), so a
   * resumed run sees exactly the data an uninterrupted one would.
   */
  public Epoch epoch(int index, int startBatch) {
    if (startBatch < 0 || startBatch > batchesPerEpoch()) {
      throw new IllegalArgumentException(
          "start batch " + startBatch + " outside [0, " + batchesPerEpoch() + "] of epoch " + index);
    }
    return new Epoch(index, startBatch);
  }

  /** Total time the producer thread spent building batches, in seconds. */
  public double producerSeconds() {
    return producerNanos.get() / 1e9;
  }

  /** Total time the consumer spent waiting for a batch that was not ready, in seconds. */
  public double waitSeconds() {
    return waitNanos.get() / 1e9;
  }

  /** The order of epoch {@code e}: a seeded Fisher-Yates shuffle (or identity). */
  int[] order(int epoch) {
    int[] order = new int[data.count()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    if (shuffle) {
      SplittableRandom random = new SplittableRandom(mix(seed, epoch, 0x5EED));
      for (int i = order.length - 1; i > 0; i--) {
        int j = random.nextInt(i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
    }
    return order;
  }

  /** Builds batch {@code b} of epoch {@code e}. */
  Batch build(int epoch, int b, int[] order) {
    int start = b * batchSize;
    int global = Math.min(batchSize, data.count() - start);
    // A shard is its slice of the global batch: rows [lo, hi); the random stream still runs through every row, so
    // each image is augmented as in the unsharded batch.
    int lo = shardCount == 1 ? 0 : global / shardCount * shardIndex;
    int hi = shardCount == 1 ? global : lo + global / shardCount;
    int size = hi - lo;
    int h = data.height();
    int w = data.width();
    int c = data.channels();
    float[] out = new float[size * h * w * c];
    int[] labels = new int[size];
    byte[] pixels = data.rawPixels();
    // One random stream per batch, so batches can be built in any order with the same result.
    SplittableRandom random = new SplittableRandom(mix(seed, epoch, b));
    for (int row = 0; row < hi; row++) {
      int image = order[start + row];
      int dx = 0;
      int dy = 0;
      boolean flip = false;
      if (augment) {
        dy = random.nextInt(9) - 4; // crop offset in [-4, 4] of the image padded by 4
        dx = random.nextInt(9) - 4;
        flip = random.nextBoolean();
      }
      if (row < lo) {
        continue; // another shard's row
      }
      int i = row - lo;
      labels[i] = data.label(image);
      int base = image * h * w * c;
      int outBase = i * h * w * c;
      for (int r = 0; r < h; r++) {
        int sr = r + dy;
        for (int col = 0; col < w; col++) {
          int sc = (flip ? w - 1 - col : col) + dx;
          boolean inside = sr >= 0 && sr < h && sc >= 0 && sc < w;
          for (int k = 0; k < c; k++) {
            int v = inside ? pixels[base + (sr * w + sc) * c + k] & 0xff : 0; // padding is black
            out[outBase + (r * w + col) * c + k] = normalize[k][v];
          }
        }
      }
    }
    return new Batch(out, labels, size, h, w, c);
  }

  static long mix(long seed, long a, long b) {
    long x = seed * 0x9E3779B97F4A7C15L + a * 0xBF58476D1CE4E5B9L + b * 0x94D049BB133111EBL;
    x ^= x >>> 31;
    x *= 0xD6E8FEB86659FD93L;
    return x ^ (x >>> 32);
  }

  /** The batches of one epoch, built ahead by a daemon thread. */
  public final class Epoch implements Iterator<Batch>, AutoCloseable {
    private static final Object END = new Object();
    private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(Math.max(1, prefetch));
    private final Thread producer;
    private final int total = batchesPerEpoch();
    private int delivered;

    private Epoch(int index, int startBatch) {
      delivered = startBatch;
      int[] order = order(index);
      producer =
          new Thread(
              () -> {
                try {
                  for (int b = startBatch; b < total; b++) {
                    long t0 = System.nanoTime();
                    Batch batch = build(index, b, order);
                    producerNanos.addAndGet(System.nanoTime() - t0);
                    queue.put(batch);
                  }
                  queue.put(END);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                } catch (RuntimeException e) {
                  queue.offer(e);
                }
              },
              "tftrain-batches-epoch-" + index);
      producer.setDaemon(true);
      producer.start();
    }

    @Override
    public boolean hasNext() {
      return delivered < total;
    }

    @Override
    public Batch next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      long t0 = System.nanoTime();
      Object item;
      try {
        item = queue.poll();
        if (item == null) {
          item = queue.poll(1, TimeUnit.HOURS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for a batch", e);
      }
      waitNanos.addAndGet(System.nanoTime() - t0);
      if (item instanceof RuntimeException e) {
        throw new IllegalStateException("building a batch failed: " + e.getMessage(), e);
      }
      if (!(item instanceof Batch batch)) {
        throw new IllegalStateException("the batch producer stopped early");
      }
      delivered++;
      return batch;
    }

    @Override
    public void close() {
      producer.interrupt();
    }
  }

  /** Configures {@link ImageBatches}. */
  public static final class Builder {
    private final ImageDataset data;
    private int batchSize = 128;
    private int shardIndex;
    private int shardCount = 1;
    private boolean shuffle;
    private boolean augment;
    private boolean dropLast;
    private int prefetch = 2;
    private long seed;
    private ChannelStats stats;

    private Builder(ImageDataset data) {
      if (data == null || data.count() == 0) {
        throw new IllegalArgumentException("no images to batch");
      }
      this.data = data;
    }

    /**
     * Data parallelism: each batch is the {@code index}-th of {@code count} equal slices of the global batch of
     * {@link #batchSize} (same order and augmentation as unsharded), so {@code count} shards together see exactly
     * the unsharded batches. The batch size must divide by {@code count}.
     */
    public Builder shard(int index, int count) {
      if (count < 1 || index < 0 || index >= count) {
        throw new IllegalArgumentException("shard " + index + " of " + count + ": need 0 <= index < count");
      }
      this.shardIndex = index;
      this.shardCount = count;
      return this;
    }

    public Builder batchSize(int value) {
      if (value < 1) {
        throw new IllegalArgumentException("batch size must be >= 1, got " + value);
      }
      this.batchSize = value;
      return this;
    }

    /** Reshuffle every epoch with the seed. */
    public Builder shuffle(boolean value) {
      this.shuffle = value;
      return this;
    }

    /** Random crop from 4-pixel padding and horizontal flip (training). */
    public Builder augment(boolean value) {
      this.augment = value;
      return this;
    }

    /** Leave out the last, smaller batch. */
    public Builder dropLast(boolean value) {
      this.dropLast = value;
      return this;
    }

    /** Batches built ahead (default 2; at least 1). */
    public Builder prefetch(int value) {
      if (value < 1) {
        throw new IllegalArgumentException("prefetch must be >= 1, got " + value);
      }
      this.prefetch = value;
      return this;
    }

    public Builder seed(long value) {
      this.seed = value;
      return this;
    }

    /** Normalisation statistics (default: this dataset's own; pass the training split's to test data). */
    public Builder stats(ChannelStats value) {
      this.stats = value;
      return this;
    }

    public ImageBatches build() {
      if (dropLast && data.count() < batchSize) {
        throw new IllegalArgumentException(
            data.source() + ": " + data.count() + " images make no full batch of " + batchSize);
      }
      if (batchSize % shardCount != 0 || (!dropLast && shardCount > 1)) {
        throw new IllegalArgumentException("a batch of " + batchSize + " splits into " + shardCount
            + " equal shards only when it divides and the last partial batch is dropped");
      }
      return new ImageBatches(this);
    }
  }
}
