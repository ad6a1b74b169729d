package io.github.tftrain.trainer;


import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Charts and grids read back with ImageIO: files and sizes, series colours at the places the data puts them (found
 * from the plot area's geometry, not from the drawing code), grid pixels, and malformed input.
 */
class PlotsTest {
  private static final int ROWS = 50;

  /**
   * 50 rows, steps 0, 10, ..., 490; loss 2 exp(-i/10) (one NaN); lr 0.1, 0.01, 0.001 in three equal stretches;
   * test_error every tenth row; val_loss empty throughout; a throughput column no chart takes.
   */
  private static String runCsv() {
    StringBuilder csv = new StringBuilder("step,epoch,loss,lr,examples_per_s,test_error,val_loss\n");
    for (int i = 0; i < ROWS; i++) {
      String loss = i == 30 ? "NaN" : String.format(Locale.ROOT, "%.17g", 2 * Math.exp(-i / 10.0));
      String lr = i < 17 ? "0.1" : i < 34 ? "0.01" : "0.001";
      String error = i % 10 == 9 ? String.format(Locale.ROOT, "%.17g", 0.5 - 0.05 * (i / 10)) : "";
      csv.append(10 * i).append(',').append(i / 10).append(',').append(loss).append(',').append(lr)
          .append(",1234.5,").append(error).append(",\n");
    }
    return csv.toString();
  }

  @Test
  void curvesWriteLossMetricAndLrCharts(@TempDir Path tmp) throws Exception {
    Path run = Files.createDirectories(tmp.resolve("run1"));
    Path csv = Files.writeString(run.resolve("metrics.csv"), runCsv());
    Path plots = run.resolve("plots");
    Plots.curves(csv, plots);

    try (Stream<Path> files = Files.list(plots)) {
      assertEquals(
          List.of("loss.png", "lr.png", "metric.png"),
          files.map(p -> p.getFileName().toString()).sorted().toList(),
          "exactly the three charts, no temporary files left");
    }
    BufferedImage loss = read(plots.resolve("loss.png"));
    BufferedImage metric = read(plots.resolve("metric.png"));
    BufferedImage lr = read(plots.resolve("lr.png"));
    for (BufferedImage image : List.of(loss, metric, lr)) {
      assertEquals(Plots.WIDTH, image.getWidth());
      assertEquals(Plots.HEIGHT, image.getHeight());
    }

    // Loss: the first series' colour, high on the left and low on the right; the empty val_loss is not drawn.
    Color first = Plots.PALETTE[0];
    double leftY = meanY(loss, first, Plots.LEFT, Plots.LEFT + Plots.PLOT_WIDTH / 25);
    double rightY = meanY(loss, first, Plots.LEFT + Plots.PLOT_WIDTH * 9 / 10, Plots.LEFT + Plots.PLOT_WIDTH + 1);
    assertTrue(leftY < Plots.TOP + Plots.PLOT_HEIGHT * 0.2, "loss starts near the top: " + leftY);
    assertTrue(rightY > Plots.TOP + Plots.PLOT_HEIGHT * 0.8, "loss ends near the bottom: " + rightY);
    assertEquals(0, count(loss, Plots.PALETTE[1]), "val_loss has no values and must not be drawn");

    // Metric: test_error's five points are drawn (with markers, so the exact colour is there).
    assertTrue(count(metric, first) > 20, "test_error drawn");

    // lr: 0.1 to 0.001 spans two decades, so the axis is logarithmic and 0.01 sits at mid-height. Its stretch
    // covers steps 170..330 of 0..490; look at step 250.
    int x = Plots.LEFT + (int) Math.round(250.0 / 490.0 * Plots.PLOT_WIDTH);
    double midY = meanY(lr, first, x - 2, x + 3);
    assertEquals(Plots.TOP + Plots.PLOT_HEIGHT / 2.0, midY, 4.0, "0.01 halfway between 0.1 and 0.001 on a log axis");
  }

  @Test
  void metricChartOmittedWithoutMetricValues(@TempDir Path tmp) throws Exception {
    Path none = Files.writeString(tmp.resolve("none.csv"), "step,epoch,loss,lr\n0,0,1.0,0.1\n10,0,0.5,0.1\n");
    Plots.curves(none, tmp.resolve("a"));
    assertTrue(Files.isRegularFile(tmp.resolve("a/loss.png")));
    assertTrue(Files.isRegularFile(tmp.resolve("a/lr.png")));
    assertFalse(Files.exists(tmp.resolve("a/metric.png")), "no metric columns");

    Path empty =
        Files.writeString(tmp.resolve("empty.csv"), "step,epoch,loss,test_error\n0,0,1.0,\n10,0,0.5,\n20,1,0.4,NaN\n");
    Plots.curves(empty, tmp.resolve("b"));
    assertTrue(Files.isRegularFile(tmp.resolve("b/loss.png")));
    assertFalse(Files.exists(tmp.resolve("b/metric.png")), "a metric column without values");
    assertFalse(Files.exists(tmp.resolve("b/lr.png")), "no lr columns");
  }

  @Test
  void malformedCsvNamesFileAndLine(@TempDir Path tmp) throws Exception {
    Path bad = Files.writeString(tmp.resolve("bad.csv"), "step,epoch,loss\n0,0,1.0\n10,0,0.9\n20,0,abc\n30,0,0.7\n");
    IOException e = assertThrows(IOException.class, () -> Plots.curves(bad, tmp.resolve("plots")));
    assertTrue(e.getMessage().contains(bad.toString() + ":4"), e.getMessage());
    assertTrue(e.getMessage().contains("abc"), e.getMessage());

    Path cells = Files.writeString(tmp.resolve("cells.csv"), "step,epoch,loss\n0,0,1.0,7\n");
    IOException e2 = assertThrows(IOException.class, () -> Plots.curves(cells, tmp.resolve("plots")));
    assertTrue(e2.getMessage().contains(cells.toString() + ":2"), e2.getMessage());

    Path header = Files.writeString(tmp.resolve("header.csv"), "epoch,step,loss\n0,0,1.0\n");
    IOException e3 = assertThrows(IOException.class, () -> Plots.curves(header, tmp.resolve("plots")));
    assertTrue(e3.getMessage().contains(header.toString() + ":1"), e3.getMessage());

    // A last line without its line break that does not parse is a row being written: skipped, not an error.
    Path open = Files.writeString(tmp.resolve("open.csv"), "step,epoch,loss,lr\n0,0,1.0,0.1\n10,0,0.5,0.1\n20,0,0.");
    assertDoesNotThrow(() -> Plots.curves(open, tmp.resolve("open")));
    assertTrue(Files.isRegularFile(tmp.resolve("open/loss.png")));
  }

  @Test
  void gridPlacesImagesRowByRow(@TempDir Path tmp) throws Exception {
    int n = 5;
    int h = 3;
    int w = 4;
    float[] pixels = new float[n * h * w * 3];
    int size = h * w * 3;
    java.util.Arrays.fill(pixels, 0, size, 1f); // image 0: white
    java.util.Arrays.fill(pixels, size, 2 * size, -1f); // image 1: black
    java.util.Arrays.fill(pixels, 2 * size, 3 * size, 0f); // image 2: grey 128
    java.util.Arrays.fill(pixels, 3 * size, 4 * size, -1f); // image 3: black but row 2, col 1 red
    int red = 3 * size + (2 * w + 1) * 3;
    pixels[red] = 1f;
    java.util.Arrays.fill(pixels, 4 * size, 5 * size, 0.5f); // image 4: round(1.5 * 127.5) = 191
    Path png = tmp.resolve("samples/epoch_1.png");
    Plots.grid(pixels, n, h, w, 3, png);

    BufferedImage image = read(png);
    // ceil(sqrt(5)) = 3 columns, 2 rows; each cell 2x upscaled (8 x 6) with 2-pixel gaps between and around.
    assertEquals(2 + 3 * (8 + 2), image.getWidth());
    assertEquals(2 + 2 * (6 + 2), image.getHeight());
    assertEquals(0xffffff, rgb(image, 2, 2));
    assertEquals(0xffffff, rgb(image, 9, 7));
    assertEquals(0x000000, rgb(image, 12, 2)); // image 1 at column 1
    assertEquals(0x808080, rgb(image, 22, 4)); // image 2 at column 2
    assertEquals(0x000000, rgb(image, 2, 10)); // image 3 at row 1, column 0
    for (int dy = 0; dy < 2; dy++) {
      for (int dx = 0; dx < 2; dx++) {
        assertEquals(0xff0000, rgb(image, 2 + 2 + dx, 10 + 4 + dy), "image 3's red pixel, upscaled");
      }
    }
    assertEquals(0xbfbfbf, rgb(image, 12, 10)); // image 4 at row 1, column 1
    int gap = Plots.GRID_BACKGROUND.getRGB() & 0xffffff;
    assertEquals(gap, rgb(image, 0, 0));
    assertEquals(gap, rgb(image, 10, 3)); // between images 0 and 1
    assertEquals(gap, rgb(image, 25, 12)); // the empty sixth cell

    Path grey = tmp.resolve("grey.png");
    Plots.grid(new float[] {-1f, 1f}, 1, 1, 2, 1, grey);
    BufferedImage g = read(grey);
    assertEquals(2 + 4 + 2, g.getWidth());
    assertEquals(2 + 2 + 2, g.getHeight());
    assertEquals(0x000000, rgb(g, 3, 3));
    assertEquals(0xffffff, rgb(g, 4, 2));

    assertThrows(IllegalArgumentException.class, () -> Plots.grid(new float[11], 1, 2, 2, 3, grey));
    assertThrows(IllegalArgumentException.class, () -> Plots.grid(new float[16], 1, 2, 2, 4, grey));
  }

  @Test
  void overlayDrawsOneLinePerRun(@TempDir Path tmp) throws Exception {
    Path sgd = Files.writeString(tmp.resolve("sgd.csv"),
        "step,epoch,loss,test_error\n5,0,2.0,\n10,0,1.5,0.5\n15,1,1.0,\n20,1,0.9,0.4\n30,2,0.8,0.3\n");
    Path kafisto = Files.writeString(tmp.resolve("kafisto.csv"),
        "step,epoch,loss,test_error\n10,0,1.2,0.45\n20,1,0.7,0.3\n30,2,0.5,0.2\n");
    Path other = Files.writeString(tmp.resolve("other.csv"), "step,epoch,loss\n10,0,1.0\n");
    Map<String, Path> runs = new LinkedHashMap<>();
    runs.put("sgd", sgd);
    runs.put("kafisto", kafisto);
    runs.put("other", other);

    Path png = tmp.resolve("compare/test_error.png");
    Plots.overlay(runs, "test_error", png);
    BufferedImage image = read(png);
    assertEquals(Plots.WIDTH, image.getWidth());
    assertTrue(count(image, Plots.PALETTE[0]) > 20, "sgd's line");
    assertTrue(count(image, Plots.PALETTE[1]) > 20, "kafisto's line");
    assertEquals(0, count(image, Plots.PALETTE[2]), "the run without the column draws nothing");
    // y range 0.2..0.5 plus 5%: sgd at epoch 0 (0.5) is near the top, kafisto at epoch 2 (0.2) near the bottom.
    assertTrue(meanY(image, Plots.PALETTE[0], Plots.LEFT, Plots.LEFT + 6) < Plots.TOP + 0.15 * Plots.PLOT_HEIGHT);
    int right = Plots.LEFT + Plots.PLOT_WIDTH;
    assertTrue(meanY(image, Plots.PALETTE[1], right - 5, right + 1) > Plots.TOP + 0.85 * Plots.PLOT_HEIGHT);

    // A training column: several rows per epoch become their mean. Here every epoch's mean is 2, a flat line
    // through the middle of the plot (a flat range is padded symmetrically).
    Path flat = Files.writeString(tmp.resolve("flat.csv"), "step,epoch,loss\n1,0,1\n2,0,3\n3,1,2\n4,2,0\n5,2,4\n");
    Plots.overlay(Map.of("flat", flat), "loss", png);
    BufferedImage flatImage = read(png);
    double y = meanY(flatImage, Plots.PALETTE[0], Plots.LEFT, Plots.LEFT + Plots.PLOT_WIDTH + 1);
    assertEquals(Plots.TOP + Plots.PLOT_HEIGHT / 2.0, y, 1.5);

    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Plots.overlay(runs, "test_ppl", tmp.resolve("x.png")));
    assertTrue(e.getMessage().contains("test_ppl"), e.getMessage());
    assertFalse(Files.exists(tmp.resolve("x.png")));
  }

  /**
   * Bands: two seeds of one group at y = 1 and 3 at every epoch draw the mean line at 2 (the middle of the plot: the
   * range is the band's, 1..3) and a translucent band over the whole height in between.
   */
  @Test
  void bandsDrawTheMeanAndTheRangeOfEachGroup(@TempDir Path tmp) throws Exception {
    Path a = Files.writeString(tmp.resolve("a.csv"), "step,epoch,test_error\n1,0,1\n2,1,1\n3,2,1\n");
    Path b = Files.writeString(tmp.resolve("b.csv"), "step,epoch,test_error\n1,0,3\n2,1,3\n3,2,3\n");
    Path png = tmp.resolve("bands.png");
    Plots.bands(Map.of("sgd", List.of(a, b)), "test_error", null, png);
    BufferedImage image = read(png);
    double line = meanY(image, Plots.PALETTE[0], Plots.LEFT + 10, Plots.LEFT + Plots.PLOT_WIDTH - 10);
    assertEquals(Plots.TOP + Plots.PLOT_HEIGHT / 2.0, line, 1.5, "the mean, 2");
    // the band: a light shade of the line's colour above and below the line
    int x = Plots.LEFT + Plots.PLOT_WIDTH / 2;
    Color above = new Color(image.getRGB(x, Plots.TOP + Plots.PLOT_HEIGHT / 4));
    Color below = new Color(image.getRGB(x, Plots.TOP + 3 * Plots.PLOT_HEIGHT / 4));
    assertTrue(!above.equals(Color.WHITE) && above.equals(below), "shaded between min and max: " + above);
    // against wall time: 10 s per epoch puts the last epoch (2) at x = 20 s
    Plots.bands(Map.of("sgd", List.of(a, b)), "test_error", Map.of("sgd", 10.0), png);
    assertTrue(Files.size(png) > 1000);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Plots.bands(Map.of("sgd", List.of(a)), "valid_ppl", null, tmp.resolve("none.png")));
    assertTrue(e.getMessage().contains("valid_ppl"), e.getMessage());
  }

  @Test
  void tickLabels() {
    assertEquals(List.of(0.0, 100.0, 200.0, 300.0, 400.0), boxed(Plots.linearTicks(0, 490)));
    assertEquals("0.25", Plots.tickLabel(0.25, new double[] {0.2, 0.25}));
    assertEquals("300", Plots.tickLabel(300, new double[] {200, 300}));
    assertEquals("0.001", Plots.logTickLabel(-3));
    assertEquals("1e-5", Plots.logTickLabel(-5));
    assertEquals("20", Plots.logTickLabel(Math.log10(20)));
  }

  private static List<Double> boxed(double[] values) {
    return java.util.Arrays.stream(values).boxed().toList();
  }

  private static BufferedImage read(Path png) throws IOException {
    BufferedImage image = ImageIO.read(png.toFile());
    assertTrue(image != null, "not a readable image: " + png);
    return image;
  }

  private static int rgb(BufferedImage image, int x, int y) {
    return image.getRGB(x, y) & 0xffffff;
  }

  /** Pixels of exactly {@code color} inside the plot area. */
  private static int count(BufferedImage image, Color color) {
    int n = 0;
    for (int y = Plots.TOP; y <= Plots.TOP + Plots.PLOT_HEIGHT; y++) {
      for (int x = Plots.LEFT; x <= Plots.LEFT + Plots.PLOT_WIDTH; x++) {
        if (rgb(image, x, y) == (color.getRGB() & 0xffffff)) {
          n++;
        }
      }
    }
    return n;
  }

  /** Mean row of the pixels of exactly {@code color} in plot-area columns [x0, x1). */
  private static double meanY(BufferedImage image, Color color, int x0, int x1) {
    double sum = 0;
    int n = 0;
    for (int y = Plots.TOP; y <= Plots.TOP + Plots.PLOT_HEIGHT; y++) {
      for (int x = x0; x < x1; x++) {
        if (rgb(image, x, y) == (color.getRGB() & 0xffffff)) {
          sum += y;
          n++;
        }
      }
    }
    assertTrue(n > 0, "no pixel of " + color + " in columns " + x0 + ".." + x1);
    return sum / n;
  }
}
