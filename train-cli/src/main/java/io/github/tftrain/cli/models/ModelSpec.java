package io.github.tftrain.cli.models;

import io.github.tftrain.models.CifarResNet;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The models the CLI trains, by name. Three families, each trained differently: image classifiers (cross-entropy on
 * labels), the WGAN-GP DCGAN (critic and generator updates), and word-level language models (BPTT windows).
 *
 * <ul>
 *   <li>{@code wrn-D-K}: WideResNet of depth D = 6n + 4 and widen factor K (wrn-16-4, wrn-28-10, ...)
 *   <li>{@code resnet18}, {@code resnet50}, {@code wrn-50-2}: CIFAR ResNets (3x3 stem, no max-pool)
 *   <li>{@code resnet110}: the thin CIFAR ResNet-110 of He et al. (depth 6n + 2, 16/32/64 channels), the Apollo
 *       paper's CIFAR-10 model
 *   <li>{@code dcgan}: DCGAN generator and critic with the WGAN-GP loss
 *   <li>{@code lstm-tiny} (200/200), {@code lstm-large} (1500/1500): 2-layer LSTM with tied embeddings
 *   <li>{@code transformer-tiny}: 2 layers, 2 heads, width 200
 * </ul>
 */
public sealed interface ModelSpec {
  /** The name as given on the command line. */
  String name();

  /** A one-line description. */
  String description();

  /** The model families: each trains differently, and some run settings apply to one family only. */
  enum Family {
    IMAGE_CLASSIFIER("image classifiers", "an image classifier", "wrn-16-4"),
    GAN("dcgan", "a GAN", "dcgan"),
    LANGUAGE_MODEL("language models", "a language model", "lstm-tiny"),
    TABULAR("mlp-...", "an MLP", "mlp-64");

    private final String label;
    private final String one;
    private final String example;

    Family(String label, String one, String example) {
      this.label = label;
      this.one = one;
      this.example = example;
    }

    /** One model of the family, with its article ("an image classifier"), for messages. */
    public String one() {
      return one;
    }

    /** How help and messages name the family ("language models"). */
    public String label() {
      return label;
    }

    /** A model of this family (help texts show its defaults). */
    public ModelSpec example() {
      return parse(example);
    }
  }

  /** This model's family. */
  default Family family() {
    if (this instanceof ImageClassifier) {
      return Family.IMAGE_CLASSIFIER;
    }
    if (this instanceof Gan) {
      return Family.GAN;
    }
    return this instanceof LanguageModel ? Family.LANGUAGE_MODEL : Family.TABULAR;
  }

  /** WideResNet or CIFAR ResNet on 32x32 images. */
  record ImageClassifier(String name, String description, int depth, int widen, CifarResNet.Architecture resnet)
      implements ModelSpec {
    /** Whether this is a WideResNet (otherwise a CIFAR ResNet). */
    public boolean isWideResNet() {
      return resnet == null;
    }
  }

  /**
   * DCGAN with the WGAN-GP loss.
   *
   * @param base channel unit (128: the paper's 4x4x512 generator input)
   */
  record Gan(String name, String description, int base) implements ModelSpec {}

  /**
   * A multilayer perceptron on tabular features ({@code --data} with train.csv and test.csv): ReLU hidden layers of
   * the given widths, a softmax classifier.
   */
  record Mlp(String name, String description, List<Integer> hidden) implements ModelSpec {}

  /** Word-level language model. */
  record LanguageModel(
      String name, String description, boolean transformer, int size, int layers, int heads, double dropout)
      implements ModelSpec {}

  /** The named models (WideResNets of other depths and widths are accepted as wrn-D-K). */
  static List<ModelSpec> catalogue() {
    List<ModelSpec> all = new ArrayList<>();
    all.add(wideResNet(16, 4));
    all.add(wideResNet(28, 10));
    all.add(new ImageClassifier("resnet18", "CIFAR ResNet-18 (11.2M parameters with 10 classes)", 0, 0,
        CifarResNet.Architecture.RESNET18));
    all.add(new ImageClassifier("resnet50", "CIFAR bottleneck ResNet-50 (23.5M)", 0, 0,
        CifarResNet.Architecture.RESNET50));
    all.add(new ImageClassifier("wrn-50-2", "CIFAR wide bottleneck ResNet-50-2 (66.8M)", 0, 0,
        CifarResNet.Architecture.WIDE_RESNET50_2));
    all.add(new ImageClassifier("resnet110",
        "CIFAR ResNet-110 (He et al., 16/32/64 channels, projection shortcuts; 1.73M)", 0, 0,
        CifarResNet.Architecture.RESNET110));
    all.add(new Gan("dcgan", "DCGAN (z 128 -> 4x4x512 -> 32x32x3) with the WGAN-GP loss", 128));
    all.add(new LanguageModel("lstm-tiny", "2-layer LSTM, 200/200, tied embeddings, dropout 0.65", false, 200, 2, 0,
        0.65));
    all.add(new LanguageModel("lstm-large", "2-layer LSTM, 1500/1500, tied embeddings, dropout 0.65", false, 1500,
        2, 0, 0.65));
    all.add(new LanguageModel("transformer-tiny", "2-layer, 2-head causal Transformer, width 200, dropout 0.2", true,
        200, 2, 2, 0.2));
    return all;
  }

  /** The catalogue's names. */
  static List<String> names() {
    List<String> names = new ArrayList<>();
    for (ModelSpec m : catalogue()) {
      names.add(m.name());
    }
    return names;
  }

  /**
   * Looks up a model by name (case-insensitive); {@code wrn-D-K} is accepted for any valid D and K.
   *
   * @throws IllegalArgumentException for an unknown name, listing the known ones
   */
  static ModelSpec parse(String name) {
    String key = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    for (ModelSpec m : catalogue()) {
      if (m.name().equals(key)) {
        return m;
      }
    }
    Matcher mlp = Pattern.compile("mlp((?:-\\d{1,5})*)").matcher(key);
    if (mlp.matches()) {
      List<Integer> hidden = new ArrayList<>();
      for (String width : mlp.group(1).split("-")) {
        if (!width.isEmpty()) {
          int w = Integer.parseInt(width);
          if (w < 1 || w > 65536) {
            throw new IllegalArgumentException("model '" + name + "': hidden widths must be 1 to 65536");
          }
          hidden.add(w);
        }
      }
      return new Mlp(key, "MLP on tabular features, hidden " + (hidden.isEmpty() ? "none (softmax regression)"
          : hidden.toString()), List.copyOf(hidden));
    }
    Matcher wrn = Pattern.compile("wrn-(\\d{1,3})-(\\d{1,2})").matcher(key);
    if (wrn.matches()) {
      int depth = Integer.parseInt(wrn.group(1));
      int widen = Integer.parseInt(wrn.group(2));
      if (depth >= 10 && (depth - 4) % 6 == 0 && widen >= 1) {
        return wideResNet(depth, widen);
      }
      throw new IllegalArgumentException(
          "model '" + name + "': a WideResNet needs depth 6n + 4 >= 10 (10, 16, 22, 28, 40) and widen >= 1");
    }
    throw new IllegalArgumentException(
        "unknown model '" + name + "'; valid: " + String.join(", ", names()) + " (and wrn-D-K for other WideResNets, "
            + "mlp-H1-H2... for tabular data)");
  }

  private static ImageClassifier wideResNet(int depth, int widen) {
    return new ImageClassifier("wrn-" + depth + "-" + widen,
        "WideResNet-" + depth + "-" + widen + " (pre-activation, Zagoruyko & Komodakis)", depth, widen, null);
  }
}
