package io.github.tftrain.data;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * Your own images: a folder with {@code train/CLASS/*.png|jpg} and {@code test/CLASS/...}, the layout of
 * torchvision's ImageFolder and Keras' {@code image_dataset_from_directory}. The classes are the subfolders of
 * {@code train/}, sorted by name (label i is the i-th); {@code test/} may hold a subset of them. Every image is
 * decoded (PNG, JPEG, BMP, GIF), converted to RGB (grey repeated into three channels, transparency drawn on black)
 * and resized to
 * {@code side x side} with bilinear interpolation when it has another size. Files with other extensions and hidden
 * files are ignored; a class folder without images, an image that does not decode, or a test class that train lacks
 * fails with a message that names the file or folder.
 */
public final class ImageFolderTree {
  /** The extensions read (lower case). */
  public static final Set<String> EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp", "gif");

  private ImageFolderTree() {}

  /** Whether {@code dir} has the layout: a {@code train/} folder holding at least one folder. */
  public static boolean isTree(Path dir) throws IOException {
    Path train = dir.resolve("train");
    if (!Files.isDirectory(train)) {
      return false;
    }
    try (Stream<Path> entries = Files.list(train)) {
      return entries.anyMatch(p -> Files.isDirectory(p) && !hidden(p));
    }
  }

  /**
   * Reads a split.
   *
   * @param split "train" or "test"
   * @param side the images' height and width after resizing
   */
  public static ImageDataset read(Path dir, String split, int side) throws IOException {
    List<String> classes = classes(dir.resolve("train"));
    Path root = dir.resolve(split);
    if (!Files.isDirectory(root)) {
      throw new DataFormatException(root + ": missing; an image-folder dataset has train/CLASS/ and test/CLASS/");
    }
    List<String> here = split.equals("train") ? classes : classes(root);
    for (String name : here) {
      if (!classes.contains(name)) {
        throw new DataFormatException(root.resolve(name) + ": class '" + name + "' is not in " + dir.resolve("train")
            + " (classes: " + String.join(", ", classes) + ")");
      }
    }
    List<Path> files = new ArrayList<>();
    List<Integer> labels = new ArrayList<>();
    for (String name : here) {
      List<Path> images = images(root.resolve(name));
      if (images.isEmpty()) {
        throw new DataFormatException(root.resolve(name) + ": no images (." + String.join(", .",
            EXTENSIONS.stream().sorted().toList()) + ")");
      }
      for (Path image : images) {
        files.add(image);
        labels.add(classes.indexOf(name));
      }
    }
    int size = side * side * 3;
    byte[] pixels = new byte[Math.multiplyExact(files.size(), size)];
    for (int i = 0; i < files.size(); i++) {
      decode(files.get(i), side, pixels, i * size);
    }
    int[] labelArray = labels.stream().mapToInt(Integer::intValue).toArray();
    return new ImageDataset(root + " (image folders)", pixels, labelArray, side, side, 3, classes);
  }

  /** The class folders of a split, sorted. */
  private static List<String> classes(Path split) throws IOException {
    readable(split);
    List<String> names;
    try (Stream<Path> entries = Files.list(split)) {
      names = entries.filter(p -> Files.isDirectory(p) && !hidden(p)).map(p -> p.getFileName().toString())
          .sorted().toList();
    }
    if (names.isEmpty()) {
      throw new DataFormatException(split + ": no class folders (expected " + split + "/CLASS/IMAGE)");
    }
    return names;
  }

  private static List<Path> images(Path folder) throws IOException {
    readable(folder);
    try (Stream<Path> entries = Files.list(folder)) {
      return entries.filter(p -> Files.isRegularFile(p) && !hidden(p) && EXTENSIONS.contains(extension(p)))
          .sorted().toList();
    }
  }

  private static void readable(Path folder) throws IOException {
    if (!Files.isReadable(folder)) {
      throw new AccessDeniedException(folder.toString(), null, "cannot read the folder (permission denied)");
    }
  }

  private static boolean hidden(Path p) {
    return p.getFileName().toString().startsWith(".");
  }

  private static String extension(Path p) {
    String name = p.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
  }

  /**
   * A grey image (with or without alpha) as RGB with each grey value repeated, sample for sample: drawn as it is,
   * Java 2D would convert its linear grey colour space to sRGB and brighten every mid-grey.
   */
  private static BufferedImage greyAsRgb(BufferedImage image) {
    int bands = image.getRaster().getNumBands();
    if (image.getColorModel().getColorSpace().getType() != java.awt.color.ColorSpace.TYPE_GRAY || bands > 2) {
      return image;
    }
    int bits = image.getColorModel().getComponentSize(0);
    BufferedImage rgb = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        int v = image.getRaster().getSample(x, y, 0);
        v = bits > 8 ? v >> (bits - 8) : bits < 8 ? v * 255 / ((1 << bits) - 1) : v;
        rgb.setRGB(x, y, v << 16 | v << 8 | v);
      }
    }
    return rgb;
  }

  /** Decodes one image into {@code out} at {@code offset}: side x side x RGB. */
  private static void decode(Path file, int side, byte[] out, int offset) throws IOException {
    BufferedImage image;
    try (InputStream in = Files.newInputStream(file)) {
      image = ImageIO.read(in);
    } catch (IOException | RuntimeException e) {
      if (e instanceof AccessDeniedException) {
        throw (AccessDeniedException) e;
      }
      throw new DataFormatException(file + ": not a readable image (" + e.getMessage() + ")");
    }
    if (image == null) {
      throw new DataFormatException(file + ": not a readable image (no decoder recognises its contents)");
    }
    image = greyAsRgb(image);
    BufferedImage rgb = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = rgb.createGraphics();
    try {
      if (image.getWidth() != side || image.getHeight() != side) {
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
      }
      g.drawImage(image, 0, 0, side, side, null);
    } finally {
      g.dispose();
    }
    int p = offset;
    for (int y = 0; y < side; y++) {
      for (int x = 0; x < side; x++) {
        int argb = rgb.getRGB(x, y);
        out[p++] = (byte) (argb >> 16);
        out[p++] = (byte) (argb >> 8);
        out[p++] = (byte) argb;
      }
    }
  }
}
