package io.github.tftrain.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Word ids for a language model, built from the training split: ids in order of first occurrence (deterministic),
 * with {@link #UNKNOWN} always present. Words not in the vocabulary map to {@code <unk>}.
 */
public final class Vocabulary {
  /** The token unknown words map to. */
  public static final String UNKNOWN = "<unk>";
  /** The token appended at the end of every line. */
  public static final String END_OF_SENTENCE = "<eos>";

  private final List<String> words;
  private final Map<String, Integer> ids;

  private Vocabulary(List<String> words) {
    this.words = Collections.unmodifiableList(words);
    Map<String, Integer> map = new HashMap<>();
    for (int i = 0; i < words.size(); i++) {
      map.put(words.get(i), i);
    }
    this.ids = map;
  }

  /** The vocabulary of a token stream (the training split). */
  public static Vocabulary of(List<String> tokens) {
    List<String> words = new ArrayList<>();
    Map<String, Integer> seen = new HashMap<>();
    for (String token : tokens) {
      if (seen.putIfAbsent(token, words.size()) == null) {
        words.add(token);
      }
    }
    if (!seen.containsKey(UNKNOWN)) {
      words.add(UNKNOWN);
    }
    return new Vocabulary(words);
  }

  /** The number of words (ids are 0 .. size-1). */
  public int size() {
    return words.size();
  }

  /** The id of a word, or of {@code <unk>} for words outside the vocabulary. */
  public int id(String word) {
    Integer id = ids.get(word);
    return id != null ? id : ids.get(UNKNOWN);
  }

  /** Whether the word has its own id. */
  public boolean contains(String word) {
    return ids.containsKey(word);
  }

  /** The word with this id. */
  public String word(int id) {
    return words.get(id);
  }

  /** All words, by id. */
  public List<String> words() {
    return words;
  }
}
