package io.github.tftrain.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;

/** File helpers shared by the readers. */
final class DataFiles {
  private DataFiles() {}

  /** The file's bytes, gunzipped when it starts with the gzip magic (whatever its name). */
  static byte[] readMaybeGzipped(Path file) throws IOException {
    byte[] raw = Files.readAllBytes(file);
    if (raw.length >= 2 && (raw[0] & 0xff) == 0x1f && (raw[1] & 0xff) == 0x8b) {
      try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(raw), 1 << 16)) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length * 4);
        in.transferTo(out);
        return out.toByteArray();
      } catch (java.io.EOFException e) {
        throw new DataFormatException(file + ": truncated gzip data");
      } catch (java.util.zip.ZipException e) {
        throw new DataFormatException(file + ": corrupt gzip data (" + e.getMessage() + ")");
      }
    }
    return raw;
  }

  /** The first of {@code candidates} that exists in {@code dir}, or an error listing them all. */
  static Path firstExisting(Path dir, String what, List<String> candidates) throws DataFormatException {
    for (String name : candidates) {
      Path file = dir.resolve(name);
      if (Files.isRegularFile(file)) {
        return file;
      }
    }
    throw new DataFormatException(
        dir + ": missing " + what + "; expected one of: " + String.join(", ", candidates));
  }

  static int readInt(byte[] data, int offset) {
    return ((data[offset] & 0xff) << 24) | ((data[offset + 1] & 0xff) << 16) | ((data[offset + 2] & 0xff) << 8)
        | (data[offset + 3] & 0xff);
  }
}
