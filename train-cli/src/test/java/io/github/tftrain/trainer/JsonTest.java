package io.github.tftrain.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The run directory's JSON: exact doubles, NaN as a string, Long integers, key order, errors that say where. */
class JsonTest {
  @Test
  void roundTripsExactly() {
    Map<String, Object> value = new LinkedHashMap<>();
    value.put("zeta", 0.1 + 0.2); // 0.30000000000000004: every bit must come back
    value.put("alpha", List.of(1L, -2L, 3.5));
    value.put("nan", Double.NaN);
    value.put("inf", Double.NEGATIVE_INFINITY);
    value.put("nested", Map.of("ok", true));
    value.put("none", null);
    String text = Json.write(value);
    assertTrue(text.startsWith("{\n  \"zeta\": 0.30000000000000004,\n"), text);
    Map<String, Object> back = Json.parseObject(text);
    assertEquals(List.of("zeta", "alpha", "nan", "inf", "nested", "none"), List.copyOf(back.keySet()));
    assertEquals(Double.doubleToLongBits(0.1 + 0.2), Double.doubleToLongBits((Double) back.get("zeta")));
    assertEquals(List.of(1L, -2L, 3.5), back.get("alpha"), "integers read as Long");
    assertEquals("NaN", back.get("nan"));
    assertEquals("-Infinity", back.get("inf"));
    assertEquals(Map.of("ok", true), back.get("nested"));
    assertTrue(back.containsKey("none"));
  }

  @Test
  void malformedTextSaysWhereAndWhichFile() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Json.parseObject("{\n  \"step\": 12,\n  \"epoch\": }", Path.of("run/state.json")));
    assertTrue(e.getMessage().startsWith("run/state.json: not a valid JSON object (malformed JSON at line 3, column"),
        e.getMessage());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Json.parseObject("{} {}")).getMessage()
        .startsWith("malformed JSON"));
    assertEquals("expected a JSON object",
        assertThrows(IllegalArgumentException.class, () -> Json.parseObject("[1]")).getMessage());
  }
}
