package io.github.tftrain.cli.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tftrain plot}: groups of runs charted from their metrics.csv; bad groups, runs and columns named. */
class PlotCommandTest {

  private static TrainRuns.Cli plot(String... args) {
    String[] all = new String[args.length + 1];
    all[0] = "plot";
    System.arraycopy(args, 0, all, 1, args.length);
    return TrainRuns.tftrain(all);
  }

  private static Path run(Path dir, String name, double scale) throws Exception {
    Path run = dir.resolve(name);
    Files.createDirectories(run);
    StringBuilder csv = new StringBuilder("step,epoch,loss,effective_step\n");
    for (int step = 1; step <= 20; step++) {
      csv.append(step).append(",1,").append(scale * 2.0 / step).append(',').append(0.1 * scale).append('\n');
    }
    Files.writeString(run.resolve("metrics.csv"), csv);
    return run;
  }

  @Test
  void chartsGroupsOfRuns(@TempDir Path dir) throws Exception {
    Path a1 = run(dir, "a1", 1.0);
    Path a2 = run(dir, "a2", 1.2);
    Path b1 = run(dir, "b1", 0.5);
    Path png = dir.resolve("charts/loss.png");
    TrainRuns.Cli cli = plot("--out", png.toString(), "paper=" + a1 + "," + a2, "authors=" + b1);
    assertEquals(0, cli.exitCode(), cli.toString());
    BufferedImage image = ImageIO.read(png.toFile());
    assertTrue(image.getWidth() > 400 && image.getHeight() > 300, "a chart");
    TrainRuns.Cli step = plot("--out", dir.resolve("step.png").toString(), "--column", "effective_step",
        "a=" + a1, "b=" + b1);
    assertEquals(0, step.exitCode(), step.toString());
  }

  @Test
  void badInputIsNamedAndWritesNothing(@TempDir Path dir) throws Exception {
    Path a1 = run(dir, "a1", 1.0);
    Path png = dir.resolve("x.png");
    TrainRuns.Cli noLabel = plot("--out", png.toString(), a1.toString());
    assertEquals(2, noLabel.exitCode(), noLabel.toString());
    assertTrue(noLabel.err().contains("is not LABEL=RUN[,RUN...]"), noLabel.err());
    TrainRuns.Cli notRun = plot("--out", png.toString(), "a=" + dir.resolve("missing"));
    assertEquals(2, notRun.exitCode(), notRun.toString());
    assertTrue(notRun.err().contains("missing is not a run directory (no metrics.csv)"), notRun.err());
    TrainRuns.Cli column = plot("--out", png.toString(), "--column", "test_error", "a=" + a1);
    assertEquals(2, column.exitCode(), column.toString());
    assertTrue(column.err().contains("has no column 'test_error'; it has step, epoch, loss, effective_step"),
        column.err());
    TrainRuns.Cli twice = plot("--out", png.toString(), "a=" + a1, "a=" + a1);
    assertTrue(twice.err().contains("label 'a' is given twice"), twice.err());
    TrainRuns.Cli by = plot("--out", png.toString(), "--by", "time", "a=" + a1);
    assertTrue(by.err().contains("--by must be step or epoch, got 'time'"), by.err());
    assertFalse(Files.exists(png), "no chart from bad input");
  }
}
