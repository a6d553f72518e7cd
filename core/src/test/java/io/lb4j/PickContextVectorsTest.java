package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * PickContext reference vectors (the rest of PickContext is in PickContextTest): XXH64 (seed 0) of the key's UTF-8 bytes. The first three reference values are the
 * xxHash specification's test vectors; the others were computed with an independent from-the-spec
 * implementation (Python, big integers), which reproduces those three.
 */
class PickContextVectorsTest {

  @ParameterizedTest
  @CsvSource({
      "'', EF46DB3751D8E999",
      "a, D24EC4F1A98C6E5B",
      "abc, 44BC2CF5AD770999",
      "10.0.0.1:8080, CB972177068EB685", // < 32 bytes: 8-, 4- and 1-byte tails
      "127.0.0.1:90_0, DFABF37478DAAD19",
      "The quick brown fox jumps over the lazy dog, 0B242D361FDA71BC", // >= 32 bytes: four lanes
      "héllo wörld ☃ 𝄞, 4ADA1B9604E45980", // 2-, 3- and 4-byte UTF-8 sequences, a surrogate pair
  })
  void ofKeyIsXxh64OfUtf8SeedZero(String key, String hex) {
    long expected = Long.parseUnsignedLong(hex, 16);
    assertEquals(expected, PickContext.ofKey(key).hash(), key);
    assertEquals(expected, PickContext.hashKey(key), key);
    // a CharSequence that is not a String takes the general path and must agree
    assertEquals(expected, PickContext.ofKey(new StringBuilder(key)).hash(), key);
    assertTrue(PickContext.ofKey(key).hasHash());
  }
}
