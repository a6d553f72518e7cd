package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import net.openhft.hashing.LongHashFunction;
import org.junit.jupiter.api.Test;

class AsciiAccessTest {

  @Test
  void inPlaceAsciiHashEqualsHashOfTheUtf8Bytes() {
    Random random = new Random(42);
    LongHashFunction xx = LongHashFunction.xx(0);
    // 0..69 chars covers XXH64's 32-byte stripes and its 8-, 4- and 1-byte tails
    for (int len = 0; len < 70; len++) {
      for (int t = 0; t < 20; t++) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < len; i++) {
          sb.append((char) random.nextInt(128));
        }
        String key = sb.toString();
        long expected = xx.hashBytes(key.getBytes(StandardCharsets.UTF_8));
        assertEquals(expected, PickContext.hashKey(key), "String of length " + len);
        assertEquals(expected, PickContext.hashKey(sb), "StringBuilder of length " + len);
      }
    }
  }
}
