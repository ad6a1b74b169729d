package io.github.tftrain.trainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.summary.CloseSummaryWriter;
import org.tensorflow.op.summary.FlushSummaryWriter;
import org.tensorflow.op.summary.SummaryWriter;
import org.tensorflow.op.summary.WriteImageSummary;
import org.tensorflow.op.summary.WriteScalarSummary;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint8;

/**
 * Writes TensorBoard event files with TensorFlow's own summary ops ({@code CreateSummaryFileWriter},
 * {@code WriteScalarSummary}, {@code WriteImageSummary}, {@code FlushSummaryWriter}, {@code CloseSummaryWriter}).
 *
 * <p>The writer owns a small graph and session, built once in {@link #open}: tag, step and value are placeholders, so
 * every call is one session run and the graph never grows. The file is {@code events.out.tfevents.<seconds>.<host>
 * .<pid>.<n>.v2} in the log folder; TensorFlow starts it with a {@code brain.Event:2} version record.
 *
 * <p>What TensorFlow records:
 *
 * <ul>
 *   <li>{@link #scalar}: one event with one summary value, tag as given, {@code simple_value} the value as a float.
 *   <li>{@link #images}: one event with one summary value per image, each a PNG tagged {@code <tag>/image/<i>},
 *       i from 0, also for a single image (the op's {@code max_images} is left open, see {@link #images}).
 * </ul>
 *
 * <p>Summaries are queued and reach the file on {@link #flush()}, on {@link #close()}, when the queue holds
 * {@value #MAX_QUEUE} events, or at latest {@value #FLUSH_MILLIS} ms after the previous flush. The methods are
 * synchronized, so one writer may be shared between threads. Failures of TensorFlow's ops come out as
 * {@link IllegalStateException}s (or {@link IOException} from {@link #open}) whose message names the folder.
 */
public final class EventWriter implements AutoCloseable {
  private static final int MAX_QUEUE = 10;
  private static final int FLUSH_MILLIS = 10_000;
  // Part of the file name: two writers of one process opened in the same second get different files.
  private static final AtomicLong SERIAL = new AtomicLong();

  private final Path logDir;
  private final Graph graph;
  private final Session session;
  private final Placeholder<TString> tag;
  private final Placeholder<TInt64> step;
  private final Placeholder<TFloat64> value;
  private final Placeholder<TUint8> pixels;
  private final WriteScalarSummary writeScalar;
  private final WriteImageSummary writeImages;
  private final FlushSummaryWriter flushOp;
  private final CloseSummaryWriter closeOp;
  private boolean closed;

  private EventWriter(Path logDir, Graph graph) {
    this.logDir = logDir;
    this.graph = graph;
    Ops tf = Ops.create(graph);
    // A process-unique resource name, so writers never share TensorFlow's writer resource.
    SummaryWriter writer = tf.summary.summaryWriter(SummaryWriter.sharedName("event_writer_" + UUID.randomUUID()));
    String suffix = "." + ProcessHandle.current().pid() + "." + SERIAL.getAndIncrement() + ".v2";
    var init =
        tf.summary.createSummaryFileWriter(
            writer,
            tf.constant(logDir.toString()),
            tf.constant(MAX_QUEUE),
            tf.constant(FLUSH_MILLIS),
            tf.constant(suffix));
    tag = tf.placeholder(TString.class, Placeholder.shape(Shape.scalar()));
    step = tf.placeholder(TInt64.class, Placeholder.shape(Shape.scalar()));
    value = tf.placeholder(TFloat64.class, Placeholder.shape(Shape.scalar()));
    pixels = tf.placeholder(TUint8.class, Placeholder.shape(Shape.of(-1, -1, -1, -1)));
    writeScalar = tf.summary.writeScalarSummary(writer, step, tag, value);
    // The batch is cut to n images in Java, so the attribute (fixed in the graph) only has to admit any n; TensorFlow
    // caps it below 2^31. Left above 1, it also keeps the tags uniform: max_images = 1 would drop the "/<i>".
    // bad_color only colours non-finite float pixels; uint8 pixels have none, but the op requires a vector.
    writeImages =
        tf.summary.writeImageSummary(
            writer,
            step,
            tag,
            pixels,
            tf.constant(new byte[] {(byte) 255, 0, 0, (byte) 255}),
            WriteImageSummary.maxImages((long) Integer.MAX_VALUE));
    flushOp = tf.summary.flushSummaryWriter(writer);
    closeOp = tf.summary.closeSummaryWriter(writer);
    session = new Session(graph);
    try {
      // Creates the event file and writes its version record.
      session.runner().addTarget(init).run().close();
    } catch (RuntimeException e) {
      session.close();
      throw e;
    }
  }

  /**
   * Opens a new event file in {@code logDir}, creating the folder (and its parents) if needed.
   *
   * @param logDir the TensorBoard log folder
   * @return the writer; close it to flush and release the file
   * @throws IOException if the folder cannot be created or TensorFlow cannot create the event file in it
   */
  public static EventWriter open(Path logDir) throws IOException {
    Path dir = logDir.toAbsolutePath().normalize();
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new IOException("cannot create the TensorBoard log folder " + dir + ": " + e, e);
    }
    Graph graph = new Graph();
    try {
      return new EventWriter(dir, graph);
    } catch (RuntimeException e) {
      graph.close();
      throw new IOException("cannot open a TensorBoard event file in " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Queues a scalar summary (TensorBoard stores it as a 32-bit float).
   *
   * @param tag the series name, e.g. {@code train/loss}
   * @param step the x coordinate, usually the global step
   * @param value the value; NaN and infinities are written as they are
   * @throws IllegalStateException if the writer is closed or TensorFlow fails
   */
  public synchronized void scalar(String tag, long step, double value) {
    requireTag(tag);
    ensureOpen();
    try (TString t = TString.scalarOf(tag);
        TInt64 s = TInt64.scalarOf(step);
        TFloat64 v = TFloat64.scalarOf(value)) {
      run(session.runner().feed(this.tag, t).feed(this.step, s).feed(this.value, v).addTarget(writeScalar),
          "writing scalar '" + tag + "'");
    }
  }

  /**
   * Queues an image summary of the first {@code n} images of an NHWC batch. Pixel values in [-1, 1] (a tanh output)
   * map linearly to 0..255 ({@code round((x + 1) * 127.5)}); values outside are clamped and NaN becomes 0, as in
   * {@link Plots#grid}.
   *
   * @param tag the summary name; TensorFlow tags image i {@code <tag>/image/<i>}
   * @param step the x coordinate, usually the global step
   * @param nhwc the pixels, image-major then row, column, channel; at least {@code n * height * width * channels}
   * @param n how many images to write, at least 1
   * @param height image height in pixels
   * @param width image width in pixels
   * @param channels 1 (grey) or 3 (RGB)
   * @throws IllegalArgumentException if the sizes do not fit
   * @throws IllegalStateException if the writer is closed or TensorFlow fails
   */
  public synchronized void images(
      String tag, long step, float[] nhwc, int n, int height, int width, int channels) {
    requireTag(tag);
    int size = Plots.checkImageBatch(nhwc, n, height, width, channels);
    ensureOpen();
    byte[] bytes = new byte[size];
    for (int i = 0; i < size; i++) {
      bytes[i] = (byte) Plots.pixelByte(nhwc[i]);
    }
    try (TString t = TString.scalarOf(tag);
        TInt64 s = TInt64.scalarOf(step);
        TUint8 p = TUint8.tensorOf(Shape.of(n, height, width, channels), DataBuffers.of(bytes, true, false))) {
      // The op encodes the PNGs and queues the event.
      run(session.runner().feed(this.tag, t).feed(this.step, s).feed(pixels, p).addTarget(writeImages),
          "writing images '" + tag + "'");
    }
  }

  /**
   * Writes the queued summaries to the event file.
   *
   * @throws IllegalStateException if the writer is closed or TensorFlow fails
   */
  public synchronized void flush() {
    ensureOpen();
    run(session.runner().addTarget(flushOp), "flushing");
  }

  /**
   * Flushes and closes the event file and releases the session and graph. Closing again does nothing.
   *
   * @throws IllegalStateException if TensorFlow fails to write or close the file (the resources are released anyway)
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    RuntimeException failure = null;
    try {
      // CloseSummaryWriter flushes, closes the file and drops the writer resource.
      run(session.runner().addTarget(closeOp), "closing");
    } catch (IllegalStateException e) {
      failure = e;
    } finally {
      try {
        session.close();
      } finally {
        graph.close();
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /** Runs targets that fetch nothing, releasing the (empty) result. */
  private void run(Session.Runner runner, String what) {
    try {
      runner.run().close();
    } catch (RuntimeException e) {
      throw failure(what, e);
    }
  }

  private static void requireTag(String tag) {
    if (tag == null || tag.isEmpty()) {
      throw new IllegalArgumentException("a summary needs a non-empty tag");
    }
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("the event writer for " + logDir + " is closed");
    }
  }

  private IllegalStateException failure(String what, RuntimeException e) {
    return new IllegalStateException("TensorBoard event file in " + logDir + ": " + what + " failed: " + e.getMessage(), e);
  }
}
