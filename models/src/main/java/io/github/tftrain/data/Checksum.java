package io.github.tftrain.data;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.CRC32;

/**
 * A CRC-32 over a dataset's content as held in memory (values and their layout), so that the workers of a
 * data-parallel run can tell whether they read the same data: equal checksums for equal content, whichever folder it
 * was read from. Not a cryptographic hash; it catches another dataset or a damaged copy, not a forgery.
 */
final class Checksum {
  private final CRC32 crc = new CRC32();
  private final ByteBuffer buffer = ByteBuffer.allocate(4 * 4096).order(ByteOrder.LITTLE_ENDIAN);

  /** Adds ints (sizes, labels, token ids), little-endian. */
  Checksum ints(int... values) {
    for (int from = 0; from < values.length; from += 4096) {
      buffer.clear();
      buffer.asIntBuffer().put(values, from, Math.min(4096, values.length - from));
      buffer.limit(4 * Math.min(4096, values.length - from));
      crc.update(buffer);
    }
    return this;
  }

  /** Adds bytes (pixels), after their count. */
  Checksum bytes(byte[] values) {
    ints(values.length);
    crc.update(values);
    return this;
  }

  /** Adds floats (feature values) by their bits. */
  Checksum floats(float[] values) {
    int[] bits = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      bits[i] = Float.floatToIntBits(values[i]);
    }
    ints(values.length);
    return ints(bits);
  }

  /** Adds strings (names, words), each after its UTF-8 length. */
  Checksum strings(List<String> values) {
    ints(values.size());
    for (String value : values) {
      byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
      ints(utf8.length);
      crc.update(utf8);
    }
    return this;
  }

  /** The checksum as eight hex digits. */
  String hex() {
    return String.format("%08x", crc.getValue());
  }
}
