package io.github.tftrain.cli.commands;

import static io.github.tftrain.cli.commands.TrainRuns.train;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --data DIR} with {@code train/CLASS/*.png} and {@code test/CLASS/...}: a classifier learns three colours,
 * config.json names the classes, and a corrupt image fails the run before anything is written, naming the file.
 */
class TrainImageFoldersTest {
  private static final Map<String, Integer> COLOURS = Map.of("red", 0xD02020, "green", 0x20B020, "blue", 0x2040D0);

  @Test
  void aClassifierTrainsOnImageFolders(@TempDir Path tmp) throws Exception {
    Path data = tmp.resolve("colours");
    java.util.Random random = new java.util.Random(5);
    for (String split : List.of("train", "test")) {
      for (Map.Entry<String, Integer> colour : COLOURS.entrySet()) {
        for (int i = 0; i < (split.equals("train") ? 40 : 10); i++) {
          BufferedImage image = new BufferedImage(24 + random.nextInt(20), 24 + random.nextInt(20),
              BufferedImage.TYPE_INT_RGB);
          for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
              int noise = random.nextInt(40) - 20;
              int c = colour.getValue();
              int r = Math.max(0, Math.min(255, (c >> 16 & 255) + noise));
              int g = Math.max(0, Math.min(255, (c >> 8 & 255) + noise));
              int b = Math.max(0, Math.min(255, (c & 255) + noise));
              image.setRGB(x, y, r << 16 | g << 8 | b);
            }
          }
          Path file = data.resolve(split).resolve(colour.getKey()).resolve(i + ".png");
          Files.createDirectories(file.getParent());
          ImageIO.write(image, "png", file.toFile());
        }
      }
    }
    Path run = tmp.resolve("run");
    TrainRuns.Cli cli = train("--model", "wrn-10-1", "--data", data.toString(), "--optimizer", "adam", "--lr",
        "0.01", "--epochs", "3", "--batch-size", "20", "--run-dir", run.toString());
    assertEquals(0, cli.exitCode(), cli::toString);
    assertEquals("folders", TrainRuns.trainSettings(run).get("data_format"));
    @SuppressWarnings("unchecked")
    Map<String, Object> facts = (Map<String, Object>) TrainRuns.config(run).get("data");
    assertEquals(List.of("blue", "green", "red"), facts.get("class_names"));
    assertEquals(120L, ((Number) facts.get("train_images")).longValue());
    TrainRuns.Metrics metrics = TrainRuns.metrics(run);
    double error = metrics.number(metrics.steps().size() - 1, "test_error");
    assertTrue(error < 0.34, "three plain colours are told apart better than by chance: test error " + error);

    Files.write(data.resolve("test/red/0.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 0});
    TrainRuns.Cli corrupt = train("--model", "wrn-10-1", "--data", data.toString(), "--steps", "1",
        "--run-dir", tmp.resolve("corrupt").toString());
    assertEquals(2, corrupt.exitCode(), corrupt::toString);
    assertTrue(corrupt.err().contains(data.resolve("test/red/0.png") + ": not a readable image"), corrupt::toString);
    assertTrue(Files.notExists(tmp.resolve("corrupt")), "nothing written");
  }
}
