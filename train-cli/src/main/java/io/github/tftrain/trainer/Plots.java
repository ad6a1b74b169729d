package io.github.tftrain.trainer;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import javax.imageio.ImageIO;

/**
 * PNG charts of a run, readable without TensorBoard, drawn with Java2D (headless): training curves from
 * {@code metrics.csv}, sample grids of a GAN's images, and one column of several runs overlaid.
 *
 * <p>Every file is written through a temporary sibling and an atomic rename, so a crash never leaves half a PNG.
 *
 * <p>Pixel convention (shared with {@link EventWriter#images}): values in [-1, 1] map linearly to 0..255 by
 * {@code round((x + 1) * 127.5)}; values outside are clamped and NaN is 0 (black).
 */
public final class Plots {
  static {
    // Drawing into images needs no display; claim headless unless the application decided otherwise.
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  // Chart geometry: the plot area is fixed (the legend sits to its right), so every chart lines up.
  static final int WIDTH = 960;
  static final int HEIGHT = 540;
  static final int LEFT = 84;
  static final int TOP = 64;
  static final int PLOT_WIDTH = 640;
  static final int PLOT_HEIGHT = 410;
  private static final int LEGEND_X = LEFT + PLOT_WIDTH + 18;

  /** Series colours, in order; the n-th series of a chart gets {@code PALETTE[n % PALETTE.length]}. */
  static final Color[] PALETTE = {
    new Color(31, 100, 200),
    new Color(232, 118, 14),
    new Color(36, 158, 64),
    new Color(208, 38, 46),
    new Color(136, 82, 196),
    new Color(140, 90, 56),
    new Color(222, 88, 172),
    new Color(18, 168, 184),
    new Color(150, 150, 28),
    new Color(96, 96, 96),
  };

  /** Gap and border of a sample grid, in output pixels; images are upscaled by {@link #GRID_SCALE}. */
  static final int GRID_GAP = 2;

  static final int GRID_SCALE = 2;
  static final Color GRID_BACKGROUND = new Color(48, 48, 48);

  /** Series drawn with a dot at every point when they have at most this many (sparse evaluation columns). */
  private static final int MAX_MARKED_POINTS = 60;

  private Plots() {}

  /**
   * Draws a run's curves from its {@code metrics.csv} into {@code plotsDir} (created if needed):
   *
   * <ul>
   *   <li>{@code loss.png}: every column whose name contains {@code loss}, {@code wasserstein} or
   *       {@code gradient_penalty}, against the step;
   *   <li>{@code metric.png}: columns containing {@code error}, {@code ppl} or {@code accuracy};
   *   <li>{@code lr.png}: the learning rate ({@code lr}, or a name starting {@code lr_} or ending {@code _lr}) and
   *       columns containing {@code gain}, {@code effective_step}, {@code sigma_x2}, {@code q_x} or
   *       {@code r_noise}, on a log axis when all their values are positive and span more than a decade.
   * </ul>
   *
   * <p>Names match case-insensitively. Empty cells, NaN and infinities are not drawn (a line bridges them); a column
   * without a finite value is left out, and a chart none of whose columns has one is not written.
   *
   * <p>The file has a header line starting {@code step,epoch}, then one row per line with numeric cells or empty
   * ones. A last line without its line break is taken only if it is complete (the writer may be in the middle of
   * it).
   *
   * @param metricsCsv the run's metrics file
   * @param plotsDir the folder for the PNGs
   * @throws IOException if the file cannot be read, is malformed (the message names the file and line), or a PNG
   *     cannot be written
   */
  public static void curves(Path metricsCsv, Path plotsDir) throws IOException {
    Table table = Table.read(metricsCsv);
    Files.createDirectories(plotsDir);
    String run = runName(metricsCsv);
    String steps = table.rows() == 0 ? "no rows yet" : "up to step " + (long) table.steps[table.rows() - 1];
    drawCurves(table, Plots::isLossColumn, "Loss", "loss", false, run + ", " + steps, plotsDir.resolve("loss.png"));
    drawCurves(table, Plots::isMetricColumn, "Evaluation metrics", "value", false, run + ", " + steps,
        plotsDir.resolve("metric.png"));
    drawCurves(table, Plots::isRateColumn, "Learning rate and optimizer state", "value", true, run + ", " + steps,
        plotsDir.resolve("lr.png"));
  }

  /**
   * Writes a batch of images as one PNG: a near-square grid ({@code ceil(sqrt(n))} columns, as many rows as needed,
   * filled row by row) of the images upscaled {@value #GRID_SCALE}x, with {@value #GRID_GAP}-pixel dark gaps between
   * and around them.
   *
   * @param nhwc the pixels in [-1, 1], image-major then row, column, channel; at least {@code n * height * width *
   *     channels} values (only the first {@code n} images are drawn)
   * @param n the number of images, at least 1
   * @param height image height in pixels
   * @param width image width in pixels
   * @param channels 1 (grey) or 3 (RGB)
   * @param png the file to write (its folder is created if needed)
   * @throws IllegalArgumentException if the sizes do not fit
   * @throws IOException if the PNG cannot be written
   */
  public static void grid(float[] nhwc, int n, int height, int width, int channels, Path png) throws IOException {
    checkImageBatch(nhwc, n, height, width, channels);
    int columns = (int) Math.ceil(Math.sqrt(n));
    int rows = (n + columns - 1) / columns;
    int cellW = width * GRID_SCALE;
    int cellH = height * GRID_SCALE;
    long outW = GRID_GAP + (long) columns * (cellW + GRID_GAP);
    long outH = GRID_GAP + (long) rows * (cellH + GRID_GAP);
    if (outW * outH > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("a grid of " + n + " images of " + height + "x" + width + " is too large");
    }
    BufferedImage image = new BufferedImage((int) outW, (int) outH, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setColor(GRID_BACKGROUND);
    g.fillRect(0, 0, (int) outW, (int) outH);
    g.dispose();
    for (int i = 0; i < n; i++) {
      int x0 = GRID_GAP + (i % columns) * (cellW + GRID_GAP);
      int y0 = GRID_GAP + (i / columns) * (cellH + GRID_GAP);
      int base = i * height * width * channels;
      for (int r = 0; r < height; r++) {
        for (int c = 0; c < width; c++) {
          int at = base + (r * width + c) * channels;
          int red = pixelByte(nhwc[at]);
          int green = channels == 3 ? pixelByte(nhwc[at + 1]) : red;
          int blue = channels == 3 ? pixelByte(nhwc[at + 2]) : red;
          int rgb = (red << 16) | (green << 8) | blue;
          for (int dy = 0; dy < GRID_SCALE; dy++) {
            for (int dx = 0; dx < GRID_SCALE; dx++) {
              image.setRGB(x0 + c * GRID_SCALE + dx, y0 + r * GRID_SCALE + dy, rgb);
            }
          }
        }
      }
    }
    writePng(image, png);
  }

  /**
   * Draws one column of several runs in one chart, one line per run against the epoch, for comparing runs (e.g.
   * optimizers). Each run contributes the rows where the column has a finite value; an epoch with several such rows
   * (a training column logged many times per epoch) becomes one point, their mean. Lines follow the map's iteration
   * order (use a {@link LinkedHashMap} for a fixed order); runs without the column are named in the subtitle.
   *
   * @param metricsByLabel each run's {@code metrics.csv}, by the label its line gets (e.g. the optimizer name)
   * @param column the column to compare, e.g. {@code test_error}
   * @param png the file to write (its folder is created if needed)
   * @throws IllegalArgumentException if the map is empty or no run has a value in the column
   * @throws IOException if a file cannot be read or is malformed (the message names it), or the PNG cannot be written
   */
  public static void overlay(Map<String, Path> metricsByLabel, String column, Path png) throws IOException {
    if (metricsByLabel.isEmpty()) {
      throw new IllegalArgumentException("overlay of '" + column + "': no runs given");
    }
    List<Series> series = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    for (Map.Entry<String, Path> run : metricsByLabel.entrySet()) {
      Table table = Table.read(run.getValue());
      int index = table.columns.indexOf(column);
      TreeMap<Double, double[]> byEpoch = new TreeMap<>(); // epoch -> {sum, count}
      if (index >= 0) {
        for (int row = 0; row < table.rows(); row++) {
          double v = table.values[index][row];
          if (Double.isFinite(v)) {
            double[] acc = byEpoch.computeIfAbsent(table.epochs[row], e -> new double[2]);
            acc[0] += v;
            acc[1]++;
          }
        }
      }
      if (byEpoch.isEmpty()) {
        missing.add(run.getKey());
        continue;
      }
      double[] x = new double[byEpoch.size()];
      double[] y = new double[byEpoch.size()];
      int i = 0;
      for (Map.Entry<Double, double[]> e : byEpoch.entrySet()) {
        x[i] = e.getKey();
        y[i] = e.getValue()[0] / e.getValue()[1];
        i++;
      }
      series.add(new Series(run.getKey(), x, y, PALETTE[series.size() % PALETTE.length]));
    }
    if (series.isEmpty()) {
      throw new IllegalArgumentException(
          "overlay: no run has a value in column '" + column + "' (runs: " + String.join(", ", metricsByLabel.keySet())
              + ")");
    }
    String subtitle = series.size() + " run" + (series.size() == 1 ? "" : "s")
        + (missing.isEmpty() ? "" : "; without this column: " + String.join(", ", missing));
    boolean logY = isRateColumn(column) && wantsLogScale(series);
    BufferedImage image = chart(column + " by epoch", subtitle, "epoch", column, series, logY);
    writePng(image, png);
  }

  /**
   * A column of several groups of runs (an optimizer's seeds), each drawn as the mean over its runs with a band from
   * their minimum to their maximum, by epoch, or against wall time when {@code secondsPerEpoch} gives each group's
   * seconds per epoch (its runs' mean; the x value of epoch e is then e times that). Each run contributes as in
   * {@link #overlay}; a group's points are the epochs every one of its runs has.
   *
   * @param runsByLabel each group's {@code metrics.csv} files, by the label its line gets
   * @param secondsPerEpoch seconds per epoch by label, or null for an epoch axis
   * @throws IllegalArgumentException if no group has a value in the column
   */
  public static void bands(Map<String, List<Path>> runsByLabel, String column, Map<String, Double> secondsPerEpoch,
      Path png) throws IOException {
    bands(runsByLabel, column, false, secondsPerEpoch, png);
  }

  /**
   * {@link #bands} with every logged row a point, by step ({@code bySteps}: a training column logged many times per
   * epoch), or one point per epoch; {@code secondsPerUnit} then gives seconds per step or per epoch.
   */
  public static void bands(Map<String, List<Path>> runsByLabel, String column, boolean bySteps,
      Map<String, Double> secondsPerUnit, Path png) throws IOException {
    List<Series> series = new ArrayList<>();
    List<String> missing = new ArrayList<>();
    int runs = 0;
    for (Map.Entry<String, List<Path>> group : runsByLabel.entrySet()) {
      List<TreeMap<Double, Double>> perRun = new ArrayList<>();
      for (Path file : group.getValue()) {
        Table table = Table.read(file);
        int index = table.columns.indexOf(column);
        TreeMap<Double, double[]> byEpoch = new TreeMap<>();
        for (int row = 0; index >= 0 && row < table.rows(); row++) {
          double v = table.values[index][row];
          if (Double.isFinite(v)) {
            double[] acc = byEpoch.computeIfAbsent(bySteps ? table.steps[row] : table.epochs[row],
                e -> new double[2]);
            acc[0] += v;
            acc[1]++;
          }
        }
        TreeMap<Double, Double> means = new TreeMap<>();
        byEpoch.forEach((epoch, acc) -> means.put(epoch, acc[0] / acc[1]));
        perRun.add(means);
      }
      java.util.SortedSet<Double> common = new java.util.TreeSet<>(perRun.get(0).keySet());
      perRun.forEach(run -> common.retainAll(run.keySet()));
      if (common.isEmpty()) {
        missing.add(group.getKey());
        continue;
      }
      runs += perRun.size();
      int n = common.size();
      double[] x = new double[n];
      double[] mean = new double[n];
      double[] low = new double[n];
      double[] high = new double[n];
      int i = 0;
      double scale = secondsPerUnit == null ? 1 : secondsPerUnit.get(group.getKey());
      for (double epoch : common) {
        double sum = 0;
        low[i] = Double.POSITIVE_INFINITY;
        high[i] = Double.NEGATIVE_INFINITY;
        for (TreeMap<Double, Double> run : perRun) {
          double v = run.get(epoch);
          sum += v;
          low[i] = Math.min(low[i], v);
          high[i] = Math.max(high[i], v);
        }
        x[i] = epoch * scale;
        mean[i] = sum / perRun.size();
        i++;
      }
      series.add(new Series(group.getKey(), x, mean, PALETTE[series.size() % PALETTE.length], low, high));
    }
    if (series.isEmpty()) {
      throw new IllegalArgumentException("bands: no run has a value in column '" + column + "'");
    }
    String subtitle = "mean of " + runs + " runs, band: min to max per group"
        + (missing.isEmpty() ? "" : "; without this column: " + String.join(", ", missing));
    boolean logY = isRateColumn(column) && wantsLogScale(series);
    String unit = bySteps ? "step" : "epoch";
    String x = secondsPerUnit == null ? unit : "seconds (each group's mean time per " + unit + ")";
    writePng(chart(column + (secondsPerUnit == null ? " by " + unit : " against wall time"), subtitle, x, column,
        series, logY), png);
  }

  // ---------------------------------------------------------------------------------------------- column choice

  public static boolean isLossColumn(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.contains("loss") || n.contains("wasserstein") || n.contains("gradient_penalty");
  }

  public static boolean isMetricColumn(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.contains("error") || n.contains("ppl") || n.contains("accuracy");
  }

  public static boolean isRateColumn(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.equals("lr") || n.startsWith("lr_") || n.endsWith("_lr") || n.contains("gain")
        || n.contains("effective_step") || n.contains("sigma_x2") || n.contains("q_x") || n.contains("r_noise");
  }

  /** Log scale when every finite value is positive and the largest is more than ten times the smallest. */
  public static boolean wantsLogScale(List<Series> series) {
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (Series s : series) {
      for (double v : s.y()) {
        if (Double.isFinite(v)) {
          min = Math.min(min, v);
          max = Math.max(max, v);
        }
      }
    }
    return min > 0 && max > 10 * min;
  }

  private static void drawCurves(
      Table table, Predicate<String> wanted, String title, String yLabel, boolean logIfWide, String subtitle, Path png)
      throws IOException {
    List<Series> series = new ArrayList<>();
    for (int c = 0; c < table.columns.size(); c++) {
      String name = table.columns.get(c);
      if (c < 2 || !wanted.test(name)) {
        continue;
      }
      double[] y = table.values[c];
      if (Arrays.stream(y).noneMatch(Double::isFinite)) {
        continue;
      }
      series.add(new Series(name, table.steps, y, PALETTE[series.size() % PALETTE.length]));
    }
    if (series.isEmpty()) {
      return;
    }
    boolean logY = logIfWide && wantsLogScale(series);
    writePng(chart(title, subtitle, "step", yLabel + (logY ? " (log scale)" : ""), series, logY), png);
  }

  // --------------------------------------------------------------------------------------------------- drawing

  /** One line: its name, x and y (non-finite y are skipped), and colour. */
  /**
   * A line; with {@code low} and {@code high} (same length as {@code y}, or null) a shaded band between them (the
   * spread over seeds around their mean).
   */
  public record Series(String name, double[] x, double[] y, Color color, double[] low, double[] high) {
    /** A line without a band. */
    public Series(String name, double[] x, double[] y, Color color) {
      this(name, x, y, color, null, null);
    }
  }

  public static BufferedImage chart(
      String title, String subtitle, String xLabel, String yLabel, List<Series> series, boolean logY) {
    // Data ranges over the finite points; y in log10 when logY.
    double xMin = Double.POSITIVE_INFINITY;
    double xMax = Double.NEGATIVE_INFINITY;
    double yMin = Double.POSITIVE_INFINITY;
    double yMax = Double.NEGATIVE_INFINITY;
    for (Series s : series) {
      for (int i = 0; i < s.y().length; i++) {
        double[] values = s.low() == null ? new double[] {s.y()[i]} : new double[] {s.y()[i], s.low()[i], s.high()[i]};
        for (double y : values) {
          if (drawable(y, logY)) {
            double ty = logY ? Math.log10(y) : y;
            xMin = Math.min(xMin, s.x()[i]);
            xMax = Math.max(xMax, s.x()[i]);
            yMin = Math.min(yMin, ty);
            yMax = Math.max(yMax, ty);
          }
        }
      }
    }
    if (xMin > xMax) { // nothing finite: an empty frame
      xMin = 0;
      xMax = 1;
      yMin = 0;
      yMax = 1;
    }
    if (xMax == xMin) {
      xMin -= 1;
      xMax += 1;
    }
    if (yMax == yMin) {
      double pad = logY ? 0.5 : yMin == 0 ? 1 : Math.abs(yMin) * 0.1;
      yMin -= pad;
      yMax += pad;
    }
    double yPad = 0.05 * (yMax - yMin);
    double[] box = {xMin, xMax, yMin - yPad, yMax + yPad};

    BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, WIDTH, HEIGHT);

    // Grid lines and ticks.
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    FontMetrics fm = g.getFontMetrics();
    double[] xTicks = linearTicks(box[0], box[1]);
    double[] yTicks = logY ? logTicks(box[2], box[3]) : linearTicks(box[2], box[3]);
    for (double t : xTicks) {
      int x = (int) Math.round(px(box, t));
      g.setColor(new Color(232, 232, 232));
      g.drawLine(x, TOP, x, TOP + PLOT_HEIGHT);
      g.setColor(Color.DARK_GRAY);
      g.drawLine(x, TOP + PLOT_HEIGHT, x, TOP + PLOT_HEIGHT + 5);
      String label = tickLabel(t, xTicks);
      g.drawString(label, x - fm.stringWidth(label) / 2, TOP + PLOT_HEIGHT + 19);
    }
    for (double t : yTicks) {
      int y = (int) Math.round(py(box, t));
      g.setColor(new Color(232, 232, 232));
      g.drawLine(LEFT, y, LEFT + PLOT_WIDTH, y);
      g.setColor(Color.DARK_GRAY);
      g.drawLine(LEFT - 5, y, LEFT, y);
      String label = logY ? logTickLabel(t) : tickLabel(t, yTicks);
      g.drawString(label, LEFT - 9 - fm.stringWidth(label), y + fm.getAscent() / 2 - 1);
    }

    // Bands first, translucent, under every line.
    g.setClip(LEFT, TOP, PLOT_WIDTH + 1, PLOT_HEIGHT + 1);
    for (Series s : series) {
      if (s.low() == null) {
        continue;
      }
      Path2D.Double band = new Path2D.Double();
      List<double[]> upper = new ArrayList<>();
      for (int i = 0; i < s.y().length; i++) {
        if (drawable(s.low()[i], logY) && drawable(s.high()[i], logY)) {
          double x = px(box, s.x()[i]);
          double lo = py(box, logY ? Math.log10(s.low()[i]) : s.low()[i]);
          double hi = py(box, logY ? Math.log10(s.high()[i]) : s.high()[i]);
          if (upper.isEmpty()) {
            band.moveTo(x, lo);
          } else {
            band.lineTo(x, lo);
          }
          upper.add(new double[] {x, hi});
        }
      }
      for (int i = upper.size() - 1; i >= 0; i--) {
        band.lineTo(upper.get(i)[0], upper.get(i)[1]);
      }
      if (!upper.isEmpty()) {
        band.closePath();
        Color c = s.color();
        g.setColor(new Color(c.getRed(), c.getGreen(), c.getBlue(), 56));
        g.fill(band);
      }
    }
    g.setClip(null);

    // Lines (bridging skipped points) and, for sparse series, a dot per point.
    g.setStroke(new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
    for (Series s : series) {
      Path2D.Double path = new Path2D.Double();
      int points = 0;
      for (int i = 0; i < s.y().length; i++) {
        if (!drawable(s.y()[i], logY)) {
          continue;
        }
        double x = px(box, s.x()[i]);
        double y = py(box, logY ? Math.log10(s.y()[i]) : s.y()[i]);
        if (points++ == 0) {
          path.moveTo(x, y);
        } else {
          path.lineTo(x, y);
        }
      }
      g.setColor(s.color());
      g.setClip(LEFT, TOP, PLOT_WIDTH + 1, PLOT_HEIGHT + 1);
      g.draw(path);
      if (points <= MAX_MARKED_POINTS) {
        // Dots at the range's ends may stick out a little rather than be cut in half.
        g.setClip(LEFT - 4, TOP - 4, PLOT_WIDTH + 9, PLOT_HEIGHT + 9);
        for (int i = 0; i < s.y().length; i++) {
          if (drawable(s.y()[i], logY)) {
            double x = px(box, s.x()[i]);
            double y = py(box, logY ? Math.log10(s.y()[i]) : s.y()[i]);
            g.fill(new Ellipse2D.Double(x - 3.5, y - 3.5, 7, 7));
          }
        }
      }
    }
    g.setClip(null);

    // Frame, axis labels, title, legend.
    g.setStroke(new BasicStroke(1.2f));
    g.setColor(Color.DARK_GRAY);
    g.drawRect(LEFT, TOP, PLOT_WIDTH, PLOT_HEIGHT);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
    fm = g.getFontMetrics();
    g.drawString(xLabel, LEFT + (PLOT_WIDTH - fm.stringWidth(xLabel)) / 2, TOP + PLOT_HEIGHT + 42);
    Graphics2D rotated = (Graphics2D) g.create();
    rotated.rotate(-Math.PI / 2);
    rotated.drawString(yLabel, -(TOP + (PLOT_HEIGHT + fm.stringWidth(yLabel)) / 2), 20);
    rotated.dispose();
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 17));
    g.drawString(title, LEFT, 28);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    g.drawString(subtitle, LEFT, 48);
    drawLegend(g, series, logY);
    g.dispose();
    return image;
  }

  private static void drawLegend(Graphics2D g, List<Series> series, boolean logY) {
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    FontMetrics fm = g.getFontMetrics();
    int maxText = WIDTH - LEGEND_X - 34;
    int y = TOP + 6;
    for (Series s : series) {
      if (y > TOP + PLOT_HEIGHT - 10) {
        g.setColor(Color.DARK_GRAY);
        g.drawString("…", LEGEND_X + 28, y + 10);
        break;
      }
      g.setColor(s.color());
      g.setStroke(new BasicStroke(3f));
      g.drawLine(LEGEND_X, y + 6, LEGEND_X + 20, y + 6);
      g.setColor(Color.BLACK);
      g.drawString(fit(s.name(), fm, maxText), LEGEND_X + 28, y + 10);
      double last = lastDrawable(s, logY);
      g.setColor(Color.DARK_GRAY);
      g.drawString(Double.isNaN(last) ? "" : "last " + String.format(Locale.ROOT, "%.4g", last), LEGEND_X + 28, y + 25);
      y += 38;
    }
  }

  private static String fit(String text, FontMetrics fm, int width) {
    if (fm.stringWidth(text) <= width) {
      return text;
    }
    String cut = text;
    while (cut.length() > 1 && fm.stringWidth(cut + "…") > width) {
      cut = cut.substring(0, cut.length() - 1);
    }
    return cut + "…";
  }

  private static double lastDrawable(Series s, boolean logY) {
    for (int i = s.y().length - 1; i >= 0; i--) {
      if (drawable(s.y()[i], logY)) {
        return s.y()[i];
      }
    }
    return Double.NaN;
  }

  private static boolean drawable(double y, boolean logY) {
    return Double.isFinite(y) && (!logY || y > 0);
  }

  private static double px(double[] box, double x) {
    return LEFT + (x - box[0]) / (box[1] - box[0]) * PLOT_WIDTH;
  }

  private static double py(double[] box, double y) {
    return TOP + (box[3] - y) / (box[3] - box[2]) * PLOT_HEIGHT;
  }

  /** Ticks at multiples of 1, 2 or 5 times a power of ten, about six across [lo, hi]. */
  public static double[] linearTicks(double lo, double hi) {
    double raw = (hi - lo) / 6;
    double step = Math.pow(10, Math.floor(Math.log10(raw)));
    for (double m : new double[] {1, 2, 5, 10}) {
      if (m * step >= raw) {
        step = m * step;
        break;
      }
    }
    long first = (long) Math.ceil(lo / step - 1e-9);
    long last = (long) Math.floor(hi / step + 1e-9);
    double[] ticks = new double[(int) Math.max(0, last - first + 1)];
    for (int i = 0; i < ticks.length; i++) {
      ticks[i] = (first + i) * step;
    }
    return ticks;
  }

  /** Ticks for a log10 axis (arguments and results are exponents): decades, and 2 and 5 between when few. */
  public static double[] logTicks(double lo, double hi) {
    List<Double> ticks = new ArrayList<>();
    boolean fine = hi - lo <= 3;
    for (long k = (long) Math.floor(lo); k <= (long) Math.ceil(hi); k++) {
      for (double m : fine ? new double[] {1, 2, 5} : new double[] {1}) {
        double t = k + Math.log10(m);
        if (t >= lo - 1e-9 && t <= hi + 1e-9) {
          ticks.add(t);
        }
      }
    }
    return ticks.stream().mapToDouble(Double::doubleValue).toArray();
  }

  /** A linear tick's label, with as many decimals as the tick spacing needs (scientific for extreme values). */
  public static String tickLabel(double v, double[] ticks) {
    double spacing = ticks.length > 1 ? ticks[1] - ticks[0] : Math.abs(v);
    if (Math.abs(v) < spacing * 1e-6) {
      return "0";
    }
    double a = Math.abs(v);
    if (a >= 1e7 || a < 1e-4) {
      return scientific(v);
    }
    int decimals = spacing > 0 ? (int) Math.max(0, Math.ceil(-Math.log10(spacing) - 1e-9)) : 3;
    return new BigDecimal(v).setScale(Math.min(decimals, 10), java.math.RoundingMode.HALF_EVEN).toPlainString();
  }

  /** A log tick's label, for the exponent {@code t}: 0.001 ... 10000 written out, beyond that as 1e-5, 2e6. */
  public static String logTickLabel(double t) {
    double v = Math.pow(10, t);
    if (v >= 1e-3 && v < 1e5) {
      return new BigDecimal(v).round(new MathContext(2)).stripTrailingZeros().toPlainString();
    }
    return scientific(v);
  }

  private static String scientific(double v) {
    String s = String.format(Locale.ROOT, "%.2e", v); // e.g. 2.50e-05
    int e = s.indexOf('e');
    String mantissa = s.substring(0, e).replaceAll("0+$", "").replaceAll("\\.$", "");
    int exponent = Integer.parseInt(s.substring(e + 1));
    return mantissa + "e" + exponent;
  }

  // ------------------------------------------------------------------------------------------------------ files

  /** Writes a chart atomically. */
  public static void writePng(BufferedImage image, Path png) throws IOException {
    Path parent = png.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    AtomicFiles.write(png, out -> {
      if (!ImageIO.write(image, "png", out)) {
        throw new IOException("no PNG writer available for " + png);
      }
    });
  }

  private static String runName(Path metricsCsv) {
    Path parent = metricsCsv.toAbsolutePath().getParent();
    return parent == null || parent.getFileName() == null ? metricsCsv.toString() : parent.getFileName().toString();
  }

  /** A [-1, 1] pixel value as 0..255: {@code round((x + 1) * 127.5)}, clamped; NaN is 0. */
  public static int pixelByte(float x) {
    if (Float.isNaN(x)) {
      return 0;
    }
    double clamped = Math.max(-1.0, Math.min(1.0, x));
    return (int) Math.round((clamped + 1.0) * 127.5);
  }

  /** Checks an NHWC batch's sizes; returns the number of values of its first {@code n} images. */
  public static int checkImageBatch(float[] nhwc, int n, int height, int width, int channels) {
    if (nhwc == null) {
      throw new IllegalArgumentException("no pixels (null array)");
    }
    if (n < 1 || height < 1 || width < 1) {
      throw new IllegalArgumentException(
          "an image batch needs n, height and width >= 1, got n=" + n + " height=" + height + " width=" + width);
    }
    if (channels != 1 && channels != 3) {
      throw new IllegalArgumentException("images need 1 or 3 channels, got " + channels);
    }
    long size = (long) n * height * width * channels;
    if (size > Integer.MAX_VALUE || size > nhwc.length) {
      throw new IllegalArgumentException(
          n + " images of " + height + "x" + width + "x" + channels + " need " + size + " values, the array has "
              + nhwc.length);
    }
    return (int) size;
  }

  /** metrics.csv parsed: column names, and per column its values by row (NaN where a cell is empty). */
  public static final class Table {
    final List<String> columns;
    final double[] steps;
    final double[] epochs;
    final double[][] values;

    private Table(List<String> columns, double[] steps, double[] epochs, double[][] values) {
      this.columns = columns;
      this.steps = steps;
      this.epochs = epochs;
      this.values = values;
    }

    public int rows() {
      return steps.length;
    }

    /** The column names of a metrics.csv, from its header line only (empty for an empty file). */
    public static List<String> columns(Path file) throws IOException {
      try (java.io.BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        String header = in.readLine();
        return header == null ? List.of() : Arrays.stream(header.split(",", -1)).map(String::strip).toList();
      }
    }

    public static Table read(Path file) throws IOException {
      String text = Files.readString(file, StandardCharsets.UTF_8);
      boolean terminated = text.endsWith("\n");
      List<String> lines = text.lines().toList();
      if (lines.isEmpty() || lines.get(0).isBlank()) {
        throw new IOException(file + ":1: no header line");
      }
      List<String> columns = Arrays.stream(lines.get(0).split(",", -1)).map(String::strip).toList();
      if (columns.size() < 2 || !columns.get(0).equals("step") || !columns.get(1).equals("epoch")) {
        throw new IOException(file + ":1: the header must start with step,epoch, got '" + lines.get(0) + "'");
      }
      int width = columns.size();
      List<double[]> rows = new ArrayList<>();
      for (int i = 1; i < lines.size(); i++) {
        String line = lines.get(i);
        if (line.isBlank()) {
          continue;
        }
        boolean lastAndOpen = i == lines.size() - 1 && !terminated;
        try {
          rows.add(parseRow(file, i + 1, line, columns));
        } catch (IOException e) {
          if (!lastAndOpen) {
            throw e;
          }
          // A row still being written: leave it for the next call.
        }
      }
      double[] steps = new double[rows.size()];
      double[] epochs = new double[rows.size()];
      double[][] values = new double[width][rows.size()];
      for (int r = 0; r < rows.size(); r++) {
        double[] row = rows.get(r);
        steps[r] = row[0];
        epochs[r] = row[1];
        for (int c = 0; c < width; c++) {
          values[c][r] = row[c];
        }
      }
      return new Table(columns, steps, epochs, values);
    }

    private static double[] parseRow(Path file, int lineNumber, String line, List<String> columns)
        throws IOException {
      String[] cells = line.split(",", -1);
      if (cells.length != columns.size()) {
        throw new IOException(
            file + ":" + lineNumber + ": " + cells.length + " cells, the header has " + columns.size());
      }
      double[] row = new double[cells.length];
      for (int c = 0; c < cells.length; c++) {
        String cell = cells[c].strip();
        if (cell.isEmpty()) {
          if (c < 2) {
            throw new IOException(file + ":" + lineNumber + ": column '" + columns.get(c) + "' is empty");
          }
          row[c] = Double.NaN;
          continue;
        }
        try {
          row[c] = Double.parseDouble(cell);
        } catch (NumberFormatException e) {
          throw new IOException(
              file + ":" + lineNumber + ": column '" + columns.get(c) + "': not a number: '" + cell + "'", e);
        }
        if (c < 2 && !Double.isFinite(row[c])) {
          throw new IOException(file + ":" + lineNumber + ": column '" + columns.get(c) + "' is " + cell);
        }
      }
      return row;
    }
  }
}
