package io.github.tftrain.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train.csv / test.csv: values and labels as written, quotes, blank lines; each malformed file names file and line. */
class CsvTableTest {
  @Test
  void readsFeaturesLabelsAndNames(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("train.csv"), "height,label,\"weight, kg\"\n1.5,0,60\n\n-2e-1,2,\"7.25\"\n");
    assertTrue(CsvTable.detect(dir));
    CsvTable table = CsvTable.read(dir, "train");
    assertEquals(List.of("height", "weight, kg"), table.featureNames());
    assertEquals(2, table.count());
    assertArrayEquals(new float[] {1.5f, 60f}, table.features()[0]);
    assertArrayEquals(new float[] {-0.2f, 7.25f}, table.features()[1]);
    assertArrayEquals(new int[] {0, 2}, table.labels());
    assertEquals(3, table.classes());
  }

  @Test
  void malformedFilesNameFileLineAndColumn(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("train.csv");
    assertMessage(dir, file, "a,b\n1,2\n", file + ":1: the header has no column named 'label' (columns: a, b)");
    assertMessage(dir, file, "a,label\n1,0\n2\n", file + ":3: 1 cells, the header has 2");
    assertMessage(dir, file, "a,label\n1,0\nx,1\n", file + ":3: column 'a' is 'x', not a finite number");
    assertMessage(dir, file, "a,label\nNaN,1\n", file + ":2: column 'a' is 'NaN', not a finite number");
    assertMessage(dir, file, "a,label\n1,-1\n", file + ":2: label '-1' is not a class index (0, 1, 2, ...)");
    assertMessage(dir, file, "a,label\n1,0.5\n", file + ":2: label '0.5' is not a class index");
    assertMessage(dir, file, "a,label\n\"1,0\n", file + ":2: a quote is not closed");
    assertMessage(dir, file, "", file + ": empty");
    assertMessage(dir, file, "a,label\n", file + ": a header but no rows");
    assertMessage(dir, file, "label\n1\n", file + ":1: no feature columns besides 'label'");
    DataFormatException missing = assertThrows(DataFormatException.class, () -> CsvTable.read(dir, "test"));
    assertTrue(missing.getMessage().startsWith(dir.resolve("test.csv") + ": missing"), missing.getMessage());
  }

  private static void assertMessage(Path dir, Path file, String text, String start) throws Exception {
    Files.writeString(file, text);
    DataFormatException e = assertThrows(DataFormatException.class, () -> CsvTable.read(dir, "train"));
    assertTrue(e.getMessage().startsWith(start), e.getMessage());
  }
}
