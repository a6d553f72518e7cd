package io.lb4j;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import net.openhft.hashing.LongHashFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PickContextTest {

  @Test
  void emptyHasNoHash() {
    assertFalse(PickContext.EMPTY.hasHash());
    assertEquals(0L, PickContext.EMPTY.hash());
    assertNotEquals(PickContext.EMPTY, PickContext.ofHash(0L), "hash 0 is still a hash");
  }

  @Test
  void ofHashCarriesTheHash() {
    PickContext c = PickContext.ofHash(-42L);
    assertTrue(c.hasHash());
    assertEquals(-42L, c.hash());
    assertEquals(c, PickContext.ofHash(-42L));
    assertEquals(c.hashCode(), PickContext.ofHash(-42L).hashCode());
  }

  @ParameterizedTest
  @CsvSource({
      "'', EF46DB3751D8E999",
      "a, D24EC4F1A98C6E5B",
      "abc, 44BC2CF5AD770999",
  })
  void ofKeyIsXxh64SeedZero(String key, String hex) {
    long expected = Long.parseUnsignedLong(hex, 16);
    PickContext c = PickContext.ofKey(key);
    assertTrue(c.hasHash());
    assertEquals(expected, c.hash());
    assertEquals(expected, PickContext.hashKey(key));
  }

  @Test
  void nonAsciiKeyHashesItsUtf8Bytes() {
    String key = "ü日本";
    long expected = LongHashFunction.xx(0).hashBytes(key.getBytes(UTF_8));
    assertEquals(expected, PickContext.ofKey(key).hash());
    // Latin-1 range but not ASCII: must not take the Latin-1 shortcut.
    assertEquals(LongHashFunction.xx(0).hashBytes("é".getBytes(UTF_8)), PickContext.ofKey("é").hash());
    // A surrogate pair (4 UTF-8 bytes).
    assertEquals(LongHashFunction.xx(0).hashBytes("x😀".getBytes(UTF_8)), PickContext.ofKey("x😀").hash());
  }

  @Test
  void anyCharSequenceHashesLikeItsString() {
    assertEquals(PickContext.ofKey("abc"), PickContext.ofKey(new StringBuilder("abc")));
    assertEquals(PickContext.ofKey("ü日本"), PickContext.ofKey(new StringBuilder("ü日本")));
  }

  @Test
  void severalValuesAreSortedAndChainedThroughTheSeedAsEnvoyDoes() {
    long alice = LongHashFunction.xx(0).hashBytes("alice".getBytes(UTF_8));
    long expected = LongHashFunction.xx(alice).hashBytes("bob".getBytes(UTF_8));
    assertEquals(PickContext.ofHash(expected), PickContext.ofKeys(List.of("bob", "alice")));
    assertEquals(PickContext.ofKeys(List.of("alice", "bob")), PickContext.ofKeys(List.of("bob", "alice")));
    assertEquals(PickContext.ofKey("alice"), PickContext.ofKeys(List.of("alice")), "one value: ofKey");
    assertEquals(PickContext.EMPTY, PickContext.ofKeys(List.of()));
    assertThrows(IllegalArgumentException.class, () -> PickContext.ofKeys(null));
    assertThrows(IllegalArgumentException.class, () -> PickContext.ofKeys(Arrays.asList("a", null)));
    assertThrows(IllegalArgumentException.class, () -> PickContext.hashKeys(List.of()));
  }

  @Test
  void nullKeyIsRejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PickContext.ofKey(null));
    assertTrue(e.getMessage().contains("key"), e.getMessage());
  }
}
