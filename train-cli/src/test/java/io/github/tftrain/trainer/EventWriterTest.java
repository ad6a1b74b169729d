package io.github.tftrain.trainer;


import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.Event;
import org.tensorflow.proto.Summary;
import org.tensorflow.proto.TensorProto;

/**
 * Writes summaries through TensorFlow's ops and reads the event file back without TensorFlow's reader: the TFRecord
 * framing and its masked CRC32C checksums by hand, each record as an {@code Event} protobuf, images with ImageIO.
 */
class EventWriterTest {

  @Test
  void scalarsAndImagesRoundTrip(@TempDir Path tmp) throws Exception {
    Path logDir = tmp.resolve("runs/a"); // two levels that do not exist yet
    // Image 0 (2 x 3, RGB): all -1 except pixel (row 1, col 2) = (+1, -1, 0); image 1: all +1; image 2 must not
    // be written (n = 2). Grey image: one row of -1, 0, +1, and 3 (clamped to +1).
    int h = 2;
    int w = 3;
    float[] rgb = new float[3 * h * w * 3];
    java.util.Arrays.fill(rgb, 0, h * w * 3, -1f);
    java.util.Arrays.fill(rgb, h * w * 3, 2 * h * w * 3, 1f);
    java.util.Arrays.fill(rgb, 2 * h * w * 3, rgb.length, 0.5f);
    int at = (1 * w + 2) * 3;
    rgb[at] = 1f;
    rgb[at + 1] = -1f;
    rgb[at + 2] = 0f;
    float[] grey = {-1f, 0f, 1f, 3f};

    try (EventWriter events = EventWriter.open(logDir)) {
      events.scalar("train/loss", 1, 0.5);
      events.scalar("train/loss", 2, 1.0 / 3.0);
      events.flush();
      events.scalar("eval/error", 2, 0.125);
      events.images("samples", 7, rgb, 2, h, w, 3);
      events.images("grey", 8, grey, 1, 1, 4, 1);
      events.scalar("train/loss", 3, Double.NaN);
    }

    List<Path> files;
    try (Stream<Path> list = Files.list(logDir)) {
      files = list.toList();
    }
    assertEquals(1, files.size(), files.toString());
    String name = files.get(0).getFileName().toString();
    // TensorBoard's convention events.out.tfevents.<seconds>.<host>, then the writer's .<pid>.<serial>.v2.
    assertTrue(name.matches("events\\.out\\.tfevents\\.\\d{10}\\..+\\.\\d+\\.\\d+\\.v2"), name);

    List<Event> events = readEvents(files.get(0));
    assertEquals("brain.Event:2", events.get(0).getFileVersion());
    List<Event> summaries = events.subList(1, events.size());
    assertEquals(6, summaries.size());

    assertScalar(summaries.get(0), "train/loss", 1, 0.5f);
    assertScalar(summaries.get(1), "train/loss", 2, (float) (1.0 / 3.0));
    assertScalar(summaries.get(2), "eval/error", 2, 0.125f);
    assertScalar(summaries.get(5), "train/loss", 3, Float.NaN);

    Event samples = summaries.get(3);
    assertEquals(7, samples.getStep());
    List<Summary.Value> values = samples.getSummary().getValueList();
    assertEquals(List.of("samples/image/0", "samples/image/1"), values.stream().map(Summary.Value::getTag).toList());
    Raster first = png(values.get(0), w, h).getRaster();
    assertArrayEquals(new int[] {255, 0, 128}, first.getPixel(2, 1, (int[]) null));
    assertArrayEquals(new int[] {0, 0, 0}, first.getPixel(0, 0, (int[]) null));
    assertArrayEquals(new int[] {0, 0, 0}, first.getPixel(2, 0, (int[]) null));
    Raster second = png(values.get(1), w, h).getRaster();
    assertArrayEquals(new int[] {255, 255, 255}, second.getPixel(1, 1, (int[]) null));

    Event greyEvent = summaries.get(4);
    assertEquals(8, greyEvent.getStep());
    assertEquals(1, greyEvent.getSummary().getValueCount());
    Summary.Value greyValue = greyEvent.getSummary().getValue(0);
    assertEquals("grey/image/0", greyValue.getTag());
    assertEquals(1, greyValue.getImage().getColorspace());
    Raster greyRaster = png(greyValue, 4, 1).getRaster();
    assertEquals(1, greyRaster.getNumBands());
    int[] row = greyRaster.getPixels(0, 0, 4, 1, (int[]) null);
    assertArrayEquals(new int[] {0, 128, 255, 255}, row);
  }

  @Test
  void closeIsIdempotentAndLaterCallsNameTheFolder(@TempDir Path tmp) throws Exception {
    EventWriter events = EventWriter.open(tmp);
    events.scalar("x", 0, 1);
    events.close();
    events.close();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> events.scalar("x", 1, 2));
    assertTrue(e.getMessage().contains(tmp.toAbsolutePath().toString()), e.getMessage());
    assertThrows(IllegalStateException.class, events::flush);
    // The one scalar made it to the file before the first close.
    try (Stream<Path> list = Files.list(tmp)) {
      List<Event> read = readEvents(list.findFirst().orElseThrow());
      assertEquals(2, read.size());
      assertScalar(read.get(1), "x", 0, 1f);
    }
  }

  @Test
  void badArgumentsAndAnUnusableFolder(@TempDir Path tmp) throws Exception {
    Path file = Files.writeString(tmp.resolve("not-a-folder"), "x");
    IOException e = assertThrows(IOException.class, () -> EventWriter.open(file.resolve("logs")));
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    try (EventWriter events = EventWriter.open(tmp.resolve("logs"))) {
      assertThrows(IllegalArgumentException.class, () -> events.images("a", 0, new float[8], 1, 2, 2, 2));
      assertThrows(IllegalArgumentException.class, () -> events.images("a", 0, new float[11], 1, 2, 2, 3));
      assertThrows(IllegalArgumentException.class, () -> events.images("a", 0, new float[12], 0, 2, 2, 3));
    }
  }

  @Test
  void crc32cMatchesTheKnownCheckValue() {
    // The CRC-32C check value from RFC 3720 / the Castagnoli catalogue: "123456789" -> 0xE3069283.
    CRC32C crc = new CRC32C();
    crc.update("123456789".getBytes(StandardCharsets.US_ASCII));
    assertEquals(0xE3069283L, crc.getValue());
  }

  private static void assertScalar(Event event, String tag, long step, float value) {
    assertEquals(step, event.getStep());
    assertEquals(1, event.getSummary().getValueCount());
    Summary.Value v = event.getSummary().getValue(0);
    assertEquals(tag, v.getTag());
    assertEquals(value, scalarOf(v), 0f, tag + " at " + step);
  }

  /** The value of a scalar summary, whether TensorFlow stored it as simple_value or as a one-element tensor. */
  private static float scalarOf(Summary.Value v) {
    switch (v.getValueCase()) {
      case SIMPLE_VALUE:
        return v.getSimpleValue();
      case TENSOR:
        TensorProto t = v.getTensor();
        if (t.getFloatValCount() > 0) {
          return t.getFloatVal(0);
        }
        if (t.getDoubleValCount() > 0) {
          return (float) t.getDoubleVal(0);
        }
        ByteBuffer content = t.getTensorContent().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        return content.remaining() == 8 ? (float) content.getDouble() : content.getFloat();
      default:
        throw new AssertionError("not a scalar summary: " + v);
    }
  }

  private static BufferedImage png(Summary.Value v, int width, int height) throws IOException {
    assertEquals(Summary.Value.ValueCase.IMAGE, v.getValueCase());
    Summary.Image image = v.getImage();
    assertEquals(width, image.getWidth());
    assertEquals(height, image.getHeight());
    byte[] bytes = image.getEncodedImageString().toByteArray();
    assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(bytes, 4), "PNG signature");
    BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(bytes));
    assertEquals(width, decoded.getWidth());
    assertEquals(height, decoded.getHeight());
    return decoded;
  }

  /** TFRecord framing: u64 length, masked crc32c(length), data, masked crc32c(data), all little-endian. */
  static List<Event> readEvents(Path file) throws IOException {
    ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    List<Event> events = new ArrayList<>();
    while (in.hasRemaining()) {
      assertTrue(in.remaining() >= 12, "truncated record header");
      byte[] lengthBytes = new byte[8];
      in.get(lengthBytes);
      int lengthCrc = in.getInt();
      assertEquals(maskedCrc(lengthBytes), lengthCrc, "length checksum of record " + events.size());
      long length = ByteBuffer.wrap(lengthBytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
      assertTrue(length >= 0 && length + 4 <= in.remaining(), "record length " + length);
      byte[] data = new byte[(int) length];
      in.get(data);
      int dataCrc = in.getInt();
      assertEquals(maskedCrc(data), dataCrc, "data checksum of record " + events.size());
      events.add(Event.parseFrom(data));
    }
    return events;
  }

  /** TFRecord's mask: rotate the CRC right by 15 bits and add a constant. */
  private static int maskedCrc(byte[] data) {
    CRC32C crc = new CRC32C();
    crc.update(data);
    int c = (int) crc.getValue();
    return ((c >>> 15) | (c << 17)) + 0xa282ead8;
  }
}
