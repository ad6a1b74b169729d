package io.github.tftrain.trainer;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The run directory's JSON (config.json, state.json, best.json, eval results), on Jackson: values are plain maps
 * (key order kept), lists, strings, numbers ({@code Long} for integers, {@code Double} otherwise), booleans and null.
 * Doubles are written so that they read back to the same bits, so a resumed run restores its accumulators exactly;
 * NaN and infinities, which JSON lacks, are written as the strings "NaN", "Infinity", "-Infinity" (readers that expect
 * a number accept them).
 */
public final class Json {
  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .enable(DeserializationFeature.USE_LONG_FOR_INTS)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();
  private static final DefaultPrettyPrinter PRETTY = new DefaultPrettyPrinter()
      .withSeparators(Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER))
      .withObjectIndenter(new DefaultIndenter("  ", "\n"));

  private Json() {}

  /** Writes maps, lists, strings, numbers, booleans and nulls, two spaces per level, and a final newline. */
  public static String write(Object value) {
    try {
      return MAPPER.writer(PRETTY).writeValueAsString(finite(value)) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write as JSON: " + e.getOriginalMessage(), e);
    }
  }

  /** The value with non-finite doubles (and floats) as their strings, and other objects as their toString. */
  private static Object finite(Object value) {
    if (value instanceof Float f) {
      return finite(f.doubleValue());
    }
    if (value instanceof Double d) {
      return d.isNaN() || d.isInfinite() ? d.toString() : d;
    }
    if (value == null || value instanceof String || value instanceof Number || value instanceof Boolean) {
      return value;
    }
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> out = new LinkedHashMap<>();
      map.forEach((k, v) -> out.put(String.valueOf(k), finite(v)));
      return out;
    }
    if (value instanceof List<?> list) {
      List<Object> out = new ArrayList<>();
      list.forEach(v -> out.add(finite(v)));
      return out;
    }
    return value.toString();
  }

  /**
   * Parses a JSON text: objects become {@code LinkedHashMap<String, Object>}, arrays {@code List<Object>}, numbers
   * {@code Long} (integers) or {@code Double}.
   *
   * @throws IllegalArgumentException saying what is wrong and where (line and column)
   */
  public static Object parse(String text) {
    try {
      return MAPPER.readValue(text, Object.class);
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      throw new IllegalArgumentException("malformed JSON" + (at == null ? "" : " at line " + at.getLineNr()
          + ", column " + at.getColumnNr()) + ": " + e.getOriginalMessage(), e);
    }
  }

  /**
   * Parses a JSON object.
   *
   * @throws IllegalArgumentException for malformed text or another kind of value
   */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> parseObject(String text) {
    Object value = parse(text);
    if (!(value instanceof Map)) {
      throw new IllegalArgumentException("expected a JSON object");
    }
    return (Map<String, Object>) value;
  }

  /**
   * Parses a JSON object read from {@code file}; a malformed text fails with a message that names the file.
   *
   * @throws IllegalArgumentException naming the file and what is wrong
   */
  public static Map<String, Object> parseObject(String text, Path file) {
    try {
      return parseObject(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": not a valid JSON object (" + e.getMessage() + ")", e);
    }
  }
}
