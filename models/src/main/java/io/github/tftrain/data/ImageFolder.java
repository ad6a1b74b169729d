package io.github.tftrain.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads an image dataset from a folder in any of the supported formats, detected from the file names: CIFAR-10
 * binary ({@code data_batch_1.bin}), CIFAR-100 binary ({@code train.bin}), IDX ({@code train-images-idx3-ubyte}
 * [.gz], MNIST and Fashion-MNIST), or a tree of image files ({@code train/CLASS/*.png|jpg}, {@code test/CLASS/...};
 * see {@link ImageFolderTree}). IDX images are padded to 32x32 and repeated to three channels, and image files are
 * resized to 32x32 RGB, so the CIFAR models run on every format.
 */
public final class ImageFolder {
  /** The formats. */
  public enum Format {
    CIFAR10,
    CIFAR100,
    IDX,
    FOLDERS
  }

  private ImageFolder() {}

  /**
   * @throws DataFormatException if the folder holds none of the formats; the message lists the files looked for
   */
  public static Format detect(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new DataFormatException(dir + ": not a folder");
    }
    if (Files.isRegularFile(dir.resolve("data_batch_1.bin"))) {
      return Format.CIFAR10;
    }
    if (Files.isRegularFile(dir.resolve("train.bin"))) {
      return Format.CIFAR100;
    }
    if (Files.isRegularFile(dir.resolve("train-images-idx3-ubyte.gz"))
        || Files.isRegularFile(dir.resolve("train-images-idx3-ubyte"))) {
      return Format.IDX;
    }
    if (ImageFolderTree.isTree(dir)) {
      return Format.FOLDERS;
    }
    if (!Files.isReadable(dir)) {
      throw new java.nio.file.AccessDeniedException(dir.toString(), null, "cannot read the folder (permission denied)");
    }
    throw new DataFormatException(
        dir + ": no image dataset; expected data_batch_1.bin (CIFAR-10 binary), train.bin (CIFAR-100 binary), "
            + "train-images-idx3-ubyte[.gz] (IDX: MNIST, Fashion-MNIST) or train/CLASS/IMAGE files (image folders)");
  }

  /**
   * Reads a split of the dataset in {@code dir}.
   *
   * @param split "train" or "test" (IDX's test files are named t10k)
   * @return 32x32x3 images for IDX; CIFAR as stored
   */
  public static ImageDataset read(Path dir, String split) throws IOException {
    if (!split.equals("train") && !split.equals("test")) {
      throw new IllegalArgumentException("image splits are train and test, not '" + split + "'");
    }
    return switch (detect(dir)) {
      case CIFAR10 -> CifarReader.read(dir, CifarReader.Variant.CIFAR10, split);
      case CIFAR100 -> CifarReader.read(dir, CifarReader.Variant.CIFAR100, split);
      case IDX -> IdxReader.readSplit(dir, split.equals("test") ? "t10k" : "train", 10).padTo(32, 32).toRgb();
      case FOLDERS -> ImageFolderTree.read(dir, split, 32);
    };
  }
}
