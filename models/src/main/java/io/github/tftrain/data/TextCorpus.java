package io.github.tftrain.data;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A word-level language-modelling corpus with train, valid and test splits: Penn Treebank ({@code ptb.train.txt},
 * {@code ptb.valid.txt}, {@code ptb.test.txt}) or WikiText-2 ({@code wiki.train.tokens}, ...). Every line is split on
 * white space and ends with {@code <eos>}; the vocabulary is the training split's, and words of the other splits that
 * it lacks become {@code <unk>}.
 */
public final class TextCorpus {
  /** The file layouts. */
  public enum Layout {
    PTB("ptb.%s.txt"),
    WIKITEXT("wiki.%s.tokens");

    private final String pattern;

    Layout(String pattern) {
      this.pattern = pattern;
    }

    /** The file name of a split. */
    public String file(String split) {
      return String.format(Locale.ROOT, pattern, split);
    }
  }

  static final List<String> SPLITS = List.of("train", "valid", "test");

  private final Layout layout;
  private final Vocabulary vocabulary;
  private final int[] train;
  private final int[] valid;
  private final int[] test;
  private final int unknownInHeldOut;

  private TextCorpus(Layout layout, Vocabulary vocabulary, int[] train, int[] valid, int[] test, int unknown) {
    this.layout = layout;
    this.vocabulary = vocabulary;
    this.train = train;
    this.valid = valid;
    this.test = test;
    this.unknownInHeldOut = unknown;
  }

  /** The layout of a folder, if it holds a training split of one. */
  public static Layout detect(Path dir) throws DataFormatException {
    for (Layout layout : Layout.values()) {
      if (Files.isRegularFile(dir.resolve(layout.file("train")))) {
        return layout;
      }
    }
    throw new DataFormatException(
        dir + ": no text corpus; expected " + Layout.PTB.file("train") + " (Penn Treebank) or "
            + Layout.WIKITEXT.file("train") + " (WikiText) with its valid and test files");
  }

  /** Reads a corpus, detecting its layout. */
  public static TextCorpus read(Path dir) throws IOException {
    return read(dir, detect(dir));
  }

  /** Reads a corpus in a given layout; all three splits must exist and hold at least one word. */
  public static TextCorpus read(Path dir, Layout layout) throws IOException {
    List<String> missing = new ArrayList<>();
    for (String split : SPLITS) {
      if (!Files.isRegularFile(dir.resolve(layout.file(split)))) {
        missing.add(layout.file(split));
      }
    }
    if (!missing.isEmpty()) {
      throw new DataFormatException(
          dir + ": missing " + String.join(", ", missing) + " (a " + layout + " corpus has "
              + layout.file("train") + ", " + layout.file("valid") + " and " + layout.file("test") + ")");
    }
    List<String> trainTokens = tokens(dir.resolve(layout.file("train")));
    Vocabulary vocabulary = Vocabulary.of(trainTokens);
    int[] train = ids(trainTokens, vocabulary);
    int unknown = 0;
    int[][] heldOut = new int[2][];
    for (int s = 1; s < 3; s++) {
      List<String> tokens = tokens(dir.resolve(layout.file(SPLITS.get(s))));
      for (String token : tokens) {
        if (!vocabulary.contains(token)) {
          unknown++;
        }
      }
      heldOut[s - 1] = ids(tokens, vocabulary);
    }
    return new TextCorpus(layout, vocabulary, train, heldOut[0], heldOut[1], unknown);
  }

  private static List<String> tokens(Path file) throws IOException {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (CharacterCodingException e) {
      throw new DataFormatException(file + ": not UTF-8 text (" + e + ")");
    }
    List<String> tokens = new ArrayList<>();
    int words = 0;
    for (String line : lines) {
      for (String word : line.trim().split("\\s+")) {
        if (!word.isEmpty()) {
          tokens.add(word);
          words++;
        }
      }
      tokens.add(Vocabulary.END_OF_SENTENCE);
    }
    if (words == 0) {
      throw new DataFormatException(file + ": empty text (no words)");
    }
    return tokens;
  }

  private static int[] ids(List<String> tokens, Vocabulary vocabulary) {
    int[] out = new int[tokens.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = vocabulary.id(tokens.get(i));
    }
    return out;
  }

  public Layout layout() {
    return layout;
  }

  public Vocabulary vocabulary() {
    return vocabulary;
  }

  /** The token ids of a split ("train", "valid" or "test"), including one {@code <eos>} per line. */
  public int[] split(String name) {
    return switch (name) {
      case "train" -> train.clone();
      case "valid" -> valid.clone();
      case "test" -> test.clone();
      default -> throw new IllegalArgumentException("splits are train, valid and test, not '" + name + "'");
    };
  }

  /**
   * CRC-32 of the content: the vocabulary in id order and the three splits' token ids, as eight hex digits. Equal for
   * equal data wherever it was read from (the workers of a data-parallel run compare it).
   */
  public String crc32() {
    return new Checksum().strings(vocabulary.words()).ints(train.length).ints(train).ints(valid.length).ints(valid)
        .ints(test.length).ints(test).hex();
  }

  /** How many valid and test tokens were outside the training vocabulary (mapped to {@code <unk>}). */
  public int unknownInHeldOut() {
    return unknownInHeldOut;
  }
}
