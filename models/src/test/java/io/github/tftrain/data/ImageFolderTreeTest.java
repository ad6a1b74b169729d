package io.github.tftrain.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image-folder layout read from PNG and JPEG files written here: classes from the train folder names, labels by
 * sorted name, pixels exact for 32x32 RGB and grey images, resizing of a uniform image keeps its colour, and each
 * malformed case fails naming the file or folder.
 */
class ImageFolderTreeTest {
  @Test
  void readsClassesLabelsAndPixels(@TempDir Path dir) throws Exception {
    // an RGB image whose every pixel is known: (x, y, x + y)
    BufferedImage known = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 32; y++) {
      for (int x = 0; x < 32; x++) {
        known.setRGB(x, y, (x * 7) << 16 | (y * 5) << 8 | (x + y));
      }
    }
    write(known, dir.resolve("train/zebra/a.png"));
    BufferedImage grey = new BufferedImage(32, 32, BufferedImage.TYPE_BYTE_GRAY);
    grey.getRaster().setSample(3, 4, 0, 128);
    write(grey, dir.resolve("train/ant/g.png"));
    write(uniform(64, 48, 0x336699), dir.resolve("train/ant/big.png")); // resized to 32x32
    Files.writeString(dir.resolve("train/ant/notes.txt"), "ignored: not an image");
    Files.writeString(dir.resolve("train/ant/.hidden.png"), "ignored: hidden");
    write(uniform(32, 32, 0x102030), dir.resolve("test/zebra/t.png"));

    assertEquals(ImageFolder.Format.FOLDERS, ImageFolder.detect(dir));
    ImageDataset train = ImageFolder.read(dir, "train");
    assertEquals(List.of("ant", "zebra"), train.classNames(), "sorted folder names");
    assertEquals(3, train.count());
    assertEquals(32, train.height());
    assertEquals(3, train.channels());
    // files in sorted order within a class, classes in label order: ant/big, ant/g, zebra/a
    assertEquals(List.of(0, 0, 1), List.of(train.label(0), train.label(1), train.label(2)));
    for (int c = 0; c < 3; c++) {
      assertEquals(new int[] {0x33, 0x66, 0x99}[c], train.pixel(0, 17, 9, c), "uniform colour after resizing");
      assertEquals(128, train.pixel(1, 4, 3, c), "a grey value repeated in every channel, unchanged");
      assertEquals(0, train.pixel(1, 0, 0, c));
    }
    for (int y = 0; y < 32; y++) {
      for (int x = 0; x < 32; x++) {
        assertEquals(x * 7, train.pixel(2, y, x, 0));
        assertEquals(y * 5, train.pixel(2, y, x, 1));
        assertEquals(x + y, train.pixel(2, y, x, 2));
      }
    }
    ImageDataset test = ImageFolder.read(dir, "test");
    assertEquals(List.of("ant", "zebra"), test.classNames(), "the train classes, even where test has fewer");
    assertEquals(1, test.label(0), "zebra is label 1 in both splits");
  }

  @Test
  void malformedTreesNameTheFileOrFolder(@TempDir Path dir) throws Exception {
    write(uniform(32, 32, 0), dir.resolve("train/cat/a.png"));
    Files.createDirectories(dir.resolve("test/cat"));
    write(uniform(32, 32, 0), dir.resolve("test/cat/a.png"));

    Files.createDirectories(dir.resolve("train/dog"));
    assertMessage(dir, "train", dir.resolve("train/dog") + ": no images (.bmp, .gif, .jpeg, .jpg, .png)");
    Files.write(dir.resolve("train/dog/broken.jpg"), new byte[] {(byte) 0xFF, (byte) 0xD8, 1, 2, 3});
    assertMessage(dir, "train", dir.resolve("train/dog/broken.jpg") + ": not a readable image");
    Files.delete(dir.resolve("train/dog/broken.jpg"));
    write(uniform(20, 20, 0xFFFFFF), dir.resolve("train/dog/ok.png"));
    assertEquals(2, ImageFolder.read(dir, "train").count());

    write(uniform(32, 32, 0), dir.resolve("test/bird/b.png"));
    assertMessage(dir, "test", dir.resolve("test/bird") + ": class 'bird' is not in " + dir.resolve("train")
        + " (classes: cat, dog)");
  }

  @Test
  void aFolderWithoutTheLayoutIsNoDataset(@TempDir Path dir) throws Exception {
    Files.createDirectories(dir.resolve("train"));
    DataFormatException e = assertThrows(DataFormatException.class, () -> ImageFolder.detect(dir));
    assertTrue(e.getMessage().contains("train/CLASS/IMAGE files (image folders)"), e.getMessage());
  }

  private static void assertMessage(Path dir, String split, String start) {
    DataFormatException e = assertThrows(DataFormatException.class, () -> ImageFolder.read(dir, split));
    assertTrue(e.getMessage().startsWith(start), e.getMessage());
  }

  private static BufferedImage uniform(int width, int height, int rgb) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        image.setRGB(x, y, rgb);
      }
    }
    return image;
  }

  private static void write(BufferedImage image, Path file) throws IOException {
    Files.createDirectories(file.getParent());
    assertTrue(ImageIO.write(image, "png", file.toFile()));
  }
}
