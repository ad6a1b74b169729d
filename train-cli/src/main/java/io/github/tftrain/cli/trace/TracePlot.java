package io.github.tftrain.cli.trace;

import io.github.tftrain.trainer.AtomicFiles;


import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Draws a test function's contours and an optimizer's path as a PNG: a shaded log-scale height map with contour
 * lines, the path with its start and end, the global minimum, axes with ticks, and a title with the result.
 */
public final class TracePlot {
  private static final int WIDTH = 900;
  private static final int HEIGHT = 720;
  private static final int LEFT = 80;
  private static final int RIGHT = 30;
  private static final int TOP = 70;
  private static final int BOTTOM = 70;
  private static final int CONTOUR_LEVELS = 18;
  // Anchors of a viridis-like map: dark blue (low) to yellow (high).
  private static final int[][] PALETTE = {
    {68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}
  };

  private TracePlot() {}

  /**
   * Renders the plot and writes it to {@code out} atomically.
   *
   * @param function the test function
   * @param rows the path (row 0 is the start)
   * @param title the first title line
   * @param subtitle the second title line
   */
  public static void write(TestFunction function, List<TraceRun.Row> rows, String title, String subtitle, Path out)
      throws IOException {
    BufferedImage image = render(function, rows, title, subtitle);
    AtomicFiles.write(out, stream -> javax.imageio.ImageIO.write(image, "png", stream));
  }

  static BufferedImage render(TestFunction function, List<TraceRun.Row> rows, String title, String subtitle) {
    double[] box = viewBox(function, rows);
    int plotW = WIDTH - LEFT - RIGHT;
    int plotH = HEIGHT - TOP - BOTTOM;
    BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, WIDTH, HEIGHT);

    // Height map on log10(1 + f - min), min taken over the grid, shaded and cut into contour bands.
    double[][] height = new double[plotH][plotW];
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    double fmin = Double.POSITIVE_INFINITY;
    for (int r = 0; r < plotH; r++) {
      for (int c = 0; c < plotW; c++) {
        double v = function.value(xAt(box, c, plotW), yAt(box, r, plotH));
        height[r][c] = v;
        fmin = Math.min(fmin, v);
      }
    }
    for (int r = 0; r < plotH; r++) {
      for (int c = 0; c < plotW; c++) {
        double h = Math.log10(1 + height[r][c] - fmin);
        height[r][c] = h;
        lo = Math.min(lo, h);
        hi = Math.max(hi, h);
      }
    }
    double span = hi > lo ? hi - lo : 1;
    for (int r = 0; r < plotH; r++) {
      for (int c = 0; c < plotW; c++) {
        double t = (height[r][c] - lo) / span;
        int band = Math.min(CONTOUR_LEVELS - 1, (int) (t * CONTOUR_LEVELS));
        boolean edge =
            (c + 1 < plotW && band != Math.min(CONTOUR_LEVELS - 1, (int) ((height[r][c + 1] - lo) / span * CONTOUR_LEVELS)))
                || (r + 1 < plotH
                    && band != Math.min(CONTOUR_LEVELS - 1, (int) ((height[r + 1][c] - lo) / span * CONTOUR_LEVELS)));
        int rgb = color(0.15 + 0.85 * t);
        if (edge) {
          rgb = darken(rgb, 0.55);
        }
        image.setRGB(LEFT + c, TOP + r, rgb);
      }
    }

    // Minimum, path, start and end.
    g.setClip(LEFT, TOP, plotW, plotH);
    double[] minimum = function.minimum();
    drawStar(g, px(box, minimum[0], plotW), py(box, minimum[1], plotH));
    Path2D.Double path = new Path2D.Double();
    for (int i = 0; i < rows.size(); i++) {
      double x = px(box, rows.get(i).x0(), plotW);
      double y = py(box, rows.get(i).x1(), plotH);
      if (i == 0) {
        path.moveTo(x, y);
      } else {
        path.lineTo(x, y);
      }
    }
    g.setStroke(new BasicStroke(3.5f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
    g.setColor(new Color(0, 0, 0, 120));
    g.draw(path);
    g.setStroke(new BasicStroke(1.8f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
    g.setColor(new Color(255, 90, 60));
    g.draw(path);
    // A dot per step where steps are far enough apart to tell apart; dense stretches keep just the line.
    double lastX = Double.NaN;
    double lastY = Double.NaN;
    for (TraceRun.Row row : rows) {
      double x = px(box, row.x0(), plotW);
      double y = py(box, row.x1(), plotH);
      if (Double.isNaN(lastX) || Math.hypot(x - lastX, y - lastY) >= 6) {
        fillDot(g, x, y, 2.2, new Color(255, 90, 60));
        lastX = x;
        lastY = y;
      }
    }
    TraceRun.Row first = rows.get(0);
    TraceRun.Row last = rows.get(rows.size() - 1);
    fillDot(g, px(box, first.x0(), plotW), py(box, first.x1(), plotH), 6, new Color(40, 220, 90));
    drawCross(g, px(box, last.x0(), plotW), py(box, last.x1(), plotH));
    g.setClip(null);

    // Frame, ticks, labels, title, legend.
    g.setColor(Color.DARK_GRAY);
    g.setStroke(new BasicStroke(1.2f));
    g.drawRect(LEFT, TOP, plotW, plotH);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    FontMetrics fm = g.getFontMetrics();
    for (double tick : ticks(box[0], box[1])) {
      int x = (int) Math.round(px(box, tick, plotW));
      g.drawLine(x, TOP + plotH, x, TOP + plotH + 5);
      String label = tickLabel(tick);
      g.drawString(label, x - fm.stringWidth(label) / 2, TOP + plotH + 20);
    }
    for (double tick : ticks(box[2], box[3])) {
      int y = (int) Math.round(py(box, tick, plotH));
      g.drawLine(LEFT - 5, y, LEFT, y);
      String label = tickLabel(tick);
      g.drawString(label, LEFT - 9 - fm.stringWidth(label), y + fm.getAscent() / 2 - 1);
    }
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
    g.drawString("x0", LEFT + plotW / 2 - 8, HEIGHT - 22);
    g.drawString("x1", 22, TOP + plotH / 2);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
    g.setColor(Color.BLACK);
    g.drawString(title, LEFT, 30);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
    g.drawString(subtitle, LEFT, 52);
    drawLegend(g, LEFT + plotW - 190, TOP + 10);
    g.dispose();
    return image;
  }

  /** The function's domain, widened to include the path (up to 10x the domain), with a margin. */
  private static double[] viewBox(TestFunction function, List<TraceRun.Row> rows) {
    double[] d = function.domain();
    double w = d[1] - d[0];
    double h = d[3] - d[2];
    double[] box = d.clone();
    for (TraceRun.Row row : rows) {
      box[0] = Math.min(box[0], Math.max(row.x0(), d[0] - 5 * w));
      box[1] = Math.max(box[1], Math.min(row.x0(), d[1] + 5 * w));
      box[2] = Math.min(box[2], Math.max(row.x1(), d[2] - 5 * h));
      box[3] = Math.max(box[3], Math.min(row.x1(), d[3] + 5 * h));
    }
    double mx = 0.04 * (box[1] - box[0]);
    double my = 0.04 * (box[3] - box[2]);
    return new double[] {box[0] - mx, box[1] + mx, box[2] - my, box[3] + my};
  }

  private static double xAt(double[] box, int c, int w) {
    return box[0] + (c + 0.5) / w * (box[1] - box[0]);
  }

  private static double yAt(double[] box, int r, int h) {
    return box[3] - (r + 0.5) / h * (box[3] - box[2]);
  }

  private static double px(double[] box, double x, int w) {
    return LEFT + (x - box[0]) / (box[1] - box[0]) * w;
  }

  private static double py(double[] box, double y, int h) {
    return TOP + (box[3] - y) / (box[3] - box[2]) * h;
  }

  /** "Nice" tick positions (steps of 1, 2 or 5 times a power of ten), about six per axis. */
  static double[] ticks(double lo, double hi) {
    double raw = (hi - lo) / 6;
    double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    double step = magnitude;
    for (double m : new double[] {1, 2, 5, 10}) {
      if (m * magnitude >= raw) {
        step = m * magnitude;
        break;
      }
    }
    double first = Math.ceil(lo / step) * step;
    int count = (int) Math.floor((hi - first) / step) + 1;
    double[] ticks = new double[Math.max(count, 0)];
    for (int i = 0; i < ticks.length; i++) {
      ticks[i] = first + i * step;
    }
    return ticks;
  }

  private static String tickLabel(double v) {
    if (Math.abs(v) < 1e-12) {
      return "0";
    }
    String s = String.format(Locale.ROOT, "%.3f", v).replaceAll("0+$", "").replaceAll("\\.$", "");
    return s;
  }

  private static int color(double t) {
    t = Math.max(0, Math.min(1, t));
    double pos = t * (PALETTE.length - 1);
    int i = Math.min((int) pos, PALETTE.length - 2);
    double f = pos - i;
    int r = (int) Math.round(PALETTE[i][0] + f * (PALETTE[i + 1][0] - PALETTE[i][0]));
    int gr = (int) Math.round(PALETTE[i][1] + f * (PALETTE[i + 1][1] - PALETTE[i][1]));
    int b = (int) Math.round(PALETTE[i][2] + f * (PALETTE[i + 1][2] - PALETTE[i][2]));
    return (r << 16) | (gr << 8) | b;
  }

  private static int darken(int rgb, double factor) {
    int r = (int) (((rgb >> 16) & 0xff) * factor);
    int g = (int) (((rgb >> 8) & 0xff) * factor);
    int b = (int) ((rgb & 0xff) * factor);
    return (r << 16) | (g << 8) | b;
  }

  private static void fillDot(Graphics2D g, double x, double y, double r, Color color) {
    g.setColor(Color.BLACK);
    g.fill(new java.awt.geom.Ellipse2D.Double(x - r - 1, y - r - 1, 2 * r + 2, 2 * r + 2));
    g.setColor(color);
    g.fill(new java.awt.geom.Ellipse2D.Double(x - r, y - r, 2 * r, 2 * r));
  }

  private static void drawCross(Graphics2D g, double x, double y) {
    g.setStroke(new BasicStroke(5f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
    g.setColor(Color.BLACK);
    g.draw(new java.awt.geom.Line2D.Double(x - 7, y - 7, x + 7, y + 7));
    g.draw(new java.awt.geom.Line2D.Double(x - 7, y + 7, x + 7, y - 7));
    g.setStroke(new BasicStroke(2.5f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
    g.setColor(Color.WHITE);
    g.draw(new java.awt.geom.Line2D.Double(x - 7, y - 7, x + 7, y + 7));
    g.draw(new java.awt.geom.Line2D.Double(x - 7, y + 7, x + 7, y - 7));
  }

  private static void drawStar(Graphics2D g, double x, double y) {
    Path2D.Double star = new Path2D.Double();
    for (int i = 0; i < 10; i++) {
      double r = i % 2 == 0 ? 10 : 4;
      double a = Math.PI / 2 + i * Math.PI / 5;
      double sx = x + r * Math.cos(a);
      double sy = y - r * Math.sin(a);
      if (i == 0) {
        star.moveTo(sx, sy);
      } else {
        star.lineTo(sx, sy);
      }
    }
    star.closePath();
    g.setColor(Color.WHITE);
    g.fill(star);
    g.setColor(Color.BLACK);
    g.setStroke(new BasicStroke(1.2f));
    g.draw(star);
  }

  private static void drawLegend(Graphics2D g, int x, int y) {
    g.setColor(new Color(255, 255, 255, 215));
    g.fillRoundRect(x, y, 180, 78, 8, 8);
    g.setColor(Color.DARK_GRAY);
    g.drawRoundRect(x, y, 180, 78, 8, 8);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    fillDot(g, x + 16, y + 16, 6, new Color(40, 220, 90));
    g.setColor(Color.BLACK);
    g.drawString("start", x + 32, y + 21);
    drawCross(g, x + 16, y + 39);
    g.setColor(Color.BLACK);
    g.drawString("end of path", x + 32, y + 44);
    drawStar(g, x + 16, y + 62);
    g.setColor(Color.BLACK);
    g.drawString("global minimum", x + 32, y + 67);
  }
}
