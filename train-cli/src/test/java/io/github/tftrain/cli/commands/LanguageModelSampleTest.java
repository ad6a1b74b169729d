package io.github.tftrain.cli.commands;

import static io.github.tftrain.cli.commands.TrainRuns.train;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.tftrain.cli.app.Tftrain;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tftrain sample} of a language-model run: the same seed gives the same text, another seed other text, top-k 1
 * is greedy (the same for every seed), every token is a word of the run's vocabulary.txt, the prompt comes first, and
 * bad settings exit 2.
 */
class LanguageModelSampleTest {
  @TempDir static Path shared;
  private static Path run;
  private static Set<String> vocabulary;

  @BeforeAll
  static void trainATinyLstm() throws Exception {
    run = shared.resolve("lstm");
    TrainRuns.Cli cli = train("--model", "lstm-tiny", "--data", "testdata/ptb", "--steps", "5", "--batch-size", "16",
        "--bptt", "20", "--run-dir", run.toString());
    assertEquals(0, cli.exitCode(), cli::toString);
    vocabulary = new HashSet<>(Files.readAllLines(run.resolve("vocabulary.txt")));
    assertEquals(Files.readAllLines(run.resolve("vocabulary.txt")),
        Files.readAllLines(run.resolve("saved_model/assets/vocabulary.txt")));
  }

  private static String[] sample(String... extra) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    String[] args = new String[extra.length + 3];
    args[0] = "sample";
    args[1] = "--run";
    args[2] = run.toString();
    System.arraycopy(extra, 0, args, 3, extra.length);
    int code = Tftrain.execute(new PrintWriter(out), new PrintWriter(err), args);
    return new String[] {Integer.toString(code), out.toString().strip(), err.toString().strip()};
  }

  @Test
  void seedsTopKVocabularyAndPrompt() {
    String[] first = sample("--words", "30", "--seed", "3");
    assertEquals("0", first[0], first[2]);
    List<String> words = List.of(first[1].split(" "));
    assertEquals(30, words.size());
    assertTrue(vocabulary.containsAll(words), "only vocabulary words: " + words);
    assertEquals(first[1], sample("--words", "30", "--seed", "3")[1], "the same seed, the same text");
    assertNotEquals(first[1], sample("--words", "30", "--seed", "4")[1], "another seed, other text");
    assertEquals(sample("--words", "12", "--top-k", "1", "--seed", "1")[1],
        sample("--words", "12", "--top-k", "1", "--seed", "2")[1], "top-1 is greedy: no randomness left");
    String prompted = sample("--words", "5", "--prompt", "the company", "--seed", "3")[1];
    assertTrue(prompted.startsWith("the company "), prompted);
    assertEquals(7, prompted.split(" ").length);
    String[] cold = sample("--temperature", "0");
    assertEquals("2", cold[0]);
    assertTrue(cold[2].contains("--temperature must be a finite number > 0, got 0.0"), cold[2]);
  }
}
