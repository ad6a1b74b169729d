package io.github.tftrain.data;

import java.io.IOException;

/**
 * A data file or folder that does not have the expected format. The message names the file and, where it applies,
 * the record and byte offset, e.g. {@code "data_batch_1.bin: 1229100 bytes is not a whole number of 3073-byte
 * records: record 399 is cut off at byte offset 1226127"}.
 */
public final class DataFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  public DataFormatException(String message) {
    super(message);
  }
}
