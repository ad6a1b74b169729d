package io.github.tftrain.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The PTB and WikiText readers (expected counts computed in Python from the same files). */
class TextCorpusTest {

  @Test
  void readsThePtbCopy() throws IOException {
    TextCorpus corpus = TextCorpus.read(TestData.dir("ptb"));
    assertEquals(TextCorpus.Layout.PTB, corpus.layout());
    assertEquals(103775, corpus.split("train").length); // 100,008 words + 3,767 <eos>
    assertEquals(10542, corpus.split("valid").length);
    assertEquals(10444, corpus.split("test").length);
    assertEquals(2487, corpus.vocabulary().size());
    assertEquals(0, corpus.unknownInHeldOut()); // PTB files have a closed vocabulary
    assertEquals(List.of("in", "the", "beginning", "god", "created"), corpus.vocabulary().words().subList(0, 5));
    int[] train = corpus.split("train");
    assertEquals("in", corpus.vocabulary().word(train[0]));
    assertEquals(Vocabulary.END_OF_SENTENCE, corpus.vocabulary().word(train[10])); // "in the beginning ... earth"
  }

  @Test
  void readsTheWikitextCopyMappingUnseenWordsToUnk() throws IOException {
    TextCorpus corpus = TextCorpus.read(TestData.dir("wikitext"));
    assertEquals(TextCorpus.Layout.WIKITEXT, corpus.layout());
    assertEquals(20232, corpus.split("train").length);
    assertEquals(2067, corpus.split("valid").length);
    assertEquals(2073, corpus.split("test").length);
    assertEquals(727, corpus.vocabulary().size());
    assertEquals(3, corpus.unknownInHeldOut());
  }

  @Test
  void vocabularyComesFromTrainingAndUnknownWordsMapToUnk(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("ptb.train.txt"), " a b a \n c b \n");
    Files.writeString(dir.resolve("ptb.valid.txt"), " a z \n");
    Files.writeString(dir.resolve("ptb.test.txt"), " c \n\n");
    TextCorpus corpus = TextCorpus.read(dir);
    Vocabulary v = corpus.vocabulary();
    assertEquals(List.of("a", "b", "<eos>", "c", "<unk>"), v.words());
    assertEquals(List.of(0, 1, 0, 2, 3, 1, 2), ids(corpus.split("train")));
    assertEquals(List.of(0, 4, 2), ids(corpus.split("valid")));
    assertEquals(List.of(3, 2, 2), ids(corpus.split("test"))); // an empty line still ends a sentence
    assertEquals(1, corpus.unknownInHeldOut());
  }

  @Test
  void reportsEmptyAndMissingSplits(@TempDir Path dir) throws IOException {
    DataFormatException none = assertThrows(DataFormatException.class, () -> TextCorpus.read(dir));
    assertEquals(dir + ": no text corpus; expected ptb.train.txt (Penn Treebank) or wiki.train.tokens (WikiText) "
        + "with its valid and test files", none.getMessage());
    Files.writeString(dir.resolve("wiki.train.tokens"), " x y \n");
    DataFormatException missing = assertThrows(DataFormatException.class, () -> TextCorpus.read(dir));
    assertEquals(dir + ": missing wiki.valid.tokens, wiki.test.tokens (a WIKITEXT corpus has wiki.train.tokens, "
        + "wiki.valid.tokens and wiki.test.tokens)", missing.getMessage());
    Files.writeString(dir.resolve("wiki.valid.tokens"), "\n   \n\n");
    Files.writeString(dir.resolve("wiki.test.tokens"), " x \n");
    DataFormatException empty = assertThrows(DataFormatException.class, () -> TextCorpus.read(dir));
    assertEquals(dir.resolve("wiki.valid.tokens") + ": empty text (no words)", empty.getMessage());
    Files.write(dir.resolve("wiki.valid.tokens"), new byte[] {(byte) 0xff, (byte) 0xfe, 0x20});
    DataFormatException binary = assertThrows(DataFormatException.class, () -> TextCorpus.read(dir));
    assertTrue(binary.getMessage().startsWith(dir.resolve("wiki.valid.tokens") + ": not UTF-8 text"),
        binary.getMessage());
  }

  private static List<Integer> ids(int[] values) {
    return java.util.Arrays.stream(values).boxed().toList();
  }
}
