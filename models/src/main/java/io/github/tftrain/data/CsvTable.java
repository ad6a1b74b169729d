package io.github.tftrain.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Your own tabular data: a folder with {@code train.csv} and {@code test.csv}. Each file has a header row; the column
 * named {@code label} holds the class index (0, 1, ...), every other column a numeric feature. Both files have the
 * same columns in the same order. Cells are separated by commas and may be quoted; blank lines are skipped. Any other
 * content fails with the file, line and column in the message.
 *
 * @param source the file read
 * @param featureNames the feature columns, in file order
 * @param features one row of features per example
 * @param labels one class index per example
 */
public record CsvTable(String source, List<String> featureNames, float[][] features, int[] labels) {
  /** The label column's name. */
  public static final String LABEL = "label";

  /** Whether {@code dir} holds {@code train.csv}. */
  public static boolean detect(Path dir) {
    return Files.isRegularFile(dir.resolve("train.csv"));
  }

  /**
   * Reads {@code train.csv} or {@code test.csv} of {@code dir}.
   *
   * @param split "train" or "test"
   * @throws DataFormatException naming the file, line and column of the first problem
   */
  public static CsvTable read(Path dir, String split) throws IOException {
    Path file = dir.resolve(split + ".csv");
    if (!Files.isRegularFile(file)) {
      throw new DataFormatException(file + ": missing; a CSV dataset has train.csv and test.csv");
    }
    List<float[]> rows = new ArrayList<>();
    List<Integer> labels = new ArrayList<>();
    List<String> header = null;
    int labelColumn = -1;
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int number = 0;
      while ((line = in.readLine()) != null) {
        number++;
        if (line.isBlank()) {
          continue;
        }
        List<String> cells = cells(line, file, number);
        if (header == null) {
          header = cells;
          labelColumn = header.indexOf(LABEL);
          if (labelColumn < 0) {
            throw new DataFormatException(file + ":" + number + ": the header has no column named 'label' (columns: "
                + String.join(", ", header) + ")");
          }
          if (header.size() < 2) {
            throw new DataFormatException(file + ":" + number + ": no feature columns besides 'label'");
          }
          continue;
        }
        if (cells.size() != header.size()) {
          throw new DataFormatException(file + ":" + number + ": " + cells.size() + " cells, the header has "
              + header.size());
        }
        float[] row = new float[header.size() - 1];
        int k = 0;
        for (int c = 0; c < cells.size(); c++) {
          String cell = cells.get(c).strip();
          if (c == labelColumn) {
            labels.add(label(cell, file, number));
            continue;
          }
          try {
            row[k] = Float.parseFloat(cell);
          } catch (NumberFormatException e) {
            row[k] = Float.NaN;
          }
          if (!Float.isFinite(row[k])) {
            throw new DataFormatException(file + ":" + number + ": column '" + header.get(c) + "' is '" + cell
                + "', not a finite number");
          }
          k++;
        }
        rows.add(row);
      }
    }
    if (header == null) {
      throw new DataFormatException(file + ": empty (expected a header row with a 'label' column)");
    }
    if (rows.isEmpty()) {
      throw new DataFormatException(file + ": a header but no rows");
    }
    List<String> names = new ArrayList<>(header);
    names.remove(labelColumn);
    return new CsvTable(file.toString(), List.copyOf(names), rows.toArray(new float[0][]),
        labels.stream().mapToInt(Integer::intValue).toArray());
  }

  private static int label(String cell, Path file, int line) throws DataFormatException {
    try {
      int value = Integer.parseInt(cell);
      if (value >= 0) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new DataFormatException(file + ":" + line + ": label '" + cell + "' is not a class index (0, 1, 2, ...)");
  }

  /** Splits a line on commas, honouring double quotes ("" inside quotes is a quote). */
  private static List<String> cells(String line, Path file, int number) throws DataFormatException {
    List<String> out = new ArrayList<>();
    StringBuilder cell = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
          cell.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          cell.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        out.add(cell.toString());
        cell.setLength(0);
      } else {
        cell.append(c);
      }
    }
    if (quoted) {
      throw new DataFormatException(file + ":" + number + ": a quote is not closed");
    }
    out.add(cell.toString());
    return out;
  }

  /** The number of classes: the largest label + 1. */
  public int classes() {
    int max = 0;
    for (int label : labels) {
      max = Math.max(max, label);
    }
    return max + 1;
  }

  /** Examples. */
  public int count() {
    return labels.length;
  }

  /**
   * CRC-32 of the content: the feature names, every row's features (by their float bits) and the labels, as eight hex
   * digits. Equal for equal data wherever it was read from (the workers of a data-parallel run compare it).
   */
  public String crc32() {
    Checksum sum = new Checksum().strings(featureNames).ints(features.length);
    for (float[] row : features) {
      sum.floats(row);
    }
    return sum.ints(labels).hex();
  }
}
