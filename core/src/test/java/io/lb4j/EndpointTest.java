package io.lb4j;

import static io.lb4j.Rejects.rejects;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Endpoint: validation of every field, parsing and the canonical address. */
class EndpointTest {

  @Test
  void ofHasDefaults() {
    Endpoint e = Endpoint.of("10.0.0.1", 8080);
    assertEquals("10.0.0.1", e.host());
    assertEquals(8080, e.port());
    assertEquals(1, e.weight());
    assertEquals("", e.zone());
    assertEquals(Map.of(), e.metadata());
    assertEquals("10.0.0.1:8080", e.address());
  }

  @Test
  void hostIsValidated() {
    rejects(() -> Endpoint.of(null, 80), "host", "null");
    rejects(() -> Endpoint.of("", 80), "host", "''");
    rejects(() -> Endpoint.of("   ", 80), "host");
    rejects(() -> Endpoint.of("a b", 80), "host", "a b");
    rejects(() -> Endpoint.of("[oops", 80), "host", "[oops");
    rejects(() -> Endpoint.of("::g", 80), "host", "::g");
    rejects(() -> Endpoint.of("1:2:3", 80), "host", "1:2:3");
  }

  @ParameterizedTest
  @CsvSource({"0", "-1", "65536", "2147483647"})
  void portIsValidated(int port) {
    rejects(() -> Endpoint.of("h", port), "port", String.valueOf(port));
  }

  @Test
  void portBoundsAreInclusive() {
    assertEquals(1, Endpoint.of("h", 1).port());
    assertEquals(65535, Endpoint.of("h", 65535).port());
  }

  @Test
  void weightZoneAndMetadataAreValidated() {
    rejects(() -> new Endpoint("h", 1, 0, "", Map.of()), "weight", "0");
    rejects(() -> new Endpoint("h", 1, -3, "", Map.of()), "weight", "-3");
    rejects(() -> new Endpoint("h", 1, 1, null, Map.of()), "zone", "null");
    rejects(() -> new Endpoint("h", 1, 1, "", null), "metadata", "null");
    Map<String, String> nullValue = new HashMap<>();
    nullValue.put("k", null);
    rejects(() -> new Endpoint("h", 1, 1, "", nullValue), "metadata");
    Map<String, String> nullKey = new HashMap<>();
    nullKey.put(null, "v");
    rejects(() -> new Endpoint("h", 1, 1, "", nullKey), "metadata");
  }

  @Test
  void metadataIsCopiedAndImmutable() {
    Map<String, String> m = new HashMap<>(Map.of("env", "prod"));
    Endpoint e = new Endpoint("h", 1, 1, "", m);
    m.put("env", "dev");
    assertEquals("prod", e.metadata().get("env"));
    assertThrows(UnsupportedOperationException.class, () -> e.metadata().put("x", "y"));
  }

  @ParameterizedTest
  @CsvSource({
      "10.0.0.1:8080, 10.0.0.1, 8080, 10.0.0.1:8080",
      "svc.local:80, svc.local, 80, svc.local:80",
      "'  svc:1  ', svc, 1, svc:1",
      "[::1]:8080, ::1, 8080, [::1]:8080",
      "[2001:0db8:0:0:0:0:0:1]:443, 2001:db8::1, 443, [2001:db8::1]:443",
      "[2001:DB8:0:0:1:0:0:1]:1, 2001:db8::1:0:0:1, 1, [2001:db8::1:0:0:1]:1",
      "[0:0:0:0:0:0:0:0]:9, ::, 9, [::]:9",
      "[fe80:0:0:0:0:0:0:1%eth0]:7, fe80::1%eth0, 7, [fe80::1%eth0]:7",
      "[::ffff:10.0.0.1]:5, ::ffff:10.0.0.1, 5, [::ffff:10.0.0.1]:5",
  })
  void parse(String text, String host, int port, String address) {
    Endpoint e = Endpoint.parse(text);
    assertEquals(host, e.host());
    assertEquals(port, e.port());
    assertEquals(address, e.address());
    assertEquals(1, e.weight());
    assertEquals("", e.zone());
  }

  @Test
  void parseRejectsMalformedInputQuotingIt() {
    rejects(() -> Endpoint.parse(null), "null");
    rejects(() -> Endpoint.parse(""), "host:port");
    rejects(() -> Endpoint.parse("10.0.0.1"), "port", "'10.0.0.1'");
    rejects(() -> Endpoint.parse("10.0.0.1:"), "port", "10.0.0.1:");
    rejects(() -> Endpoint.parse("10.0.0.1:http"), "port", "http");
    rejects(() -> Endpoint.parse("10.0.0.1:70000"), "port", "70000");
    rejects(() -> Endpoint.parse("10.0.0.1:0"), "port", "0");
    rejects(() -> Endpoint.parse(":80"), "host", ":80");
    rejects(() -> Endpoint.parse("::1:8080"), "IPv6", "::1:8080");
    rejects(() -> Endpoint.parse("[::1]8080"), "[::1]8080");
    rejects(() -> Endpoint.parse("[::1]"), "[::1]");
    rejects(() -> Endpoint.parse("[::1:8080"), "[::1:8080");
    rejects(() -> Endpoint.parse("[]:80"), "host");
  }

  /** RFC 5952 / inet_ntop form, as Envoy prints addresses. */
  @ParameterizedTest
  @CsvSource({
      "2001:db8:0:0:0:0:2:1, 2001:db8::2:1",
      "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1", // a single zero group is not compressed
      "2001:0:0:1:0:0:0:1, 2001:0:0:1::1", // the longest run wins
      "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1", // equal runs: the first wins
      "0:0:0:0:0:0:0:1, ::1",
      "1:0:0:0:0:0:0:0, 1::",
      "ABCD:EF01:0:0:0:0:0:0, abcd:ef01::",
      "::0001, ::1",
  })
  void ipv6IsCompressed(String literal, String compressed) {
    assertEquals(compressed, Endpoint.of(literal, 80).host());
    assertEquals(compressed, Endpoint.of("[" + literal + "]", 80).host());
    assertEquals("[" + compressed + "]:80", Endpoint.of(literal, 80).address());
  }

  @Test
  void identityIsTheCanonicalAddress() {
    Endpoint a = Endpoint.parse("[2001:0db8::0001]:80");
    Endpoint b = Endpoint.of("2001:db8:0:0:0:0:0:1", 80);
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    assertEquals(a.address(), b.address());
    assertNotEquals(Endpoint.of("h", 1), Endpoint.of("h", 2));
  }

  @Test
  void withWeightAndWithZoneKeepTheRest() {
    Endpoint base = new Endpoint("h", 9, 1, "z1", Map.of("k", "v"));
    Endpoint heavy = base.withWeight(7);
    assertEquals(7, heavy.weight());
    assertEquals("z1", heavy.zone());
    assertEquals(Map.of("k", "v"), heavy.metadata());
    assertEquals(base.address(), heavy.address());
    assertEquals(1, base.weight(), "the original is unchanged");

    Endpoint moved = heavy.withZone("us-east-1a");
    assertEquals("us-east-1a", moved.zone());
    assertEquals(7, moved.weight());
    assertEquals(Map.of("k", "v"), moved.metadata());
    assertEquals("", moved.withZone("").zone());

    rejects(() -> base.withWeight(0), "weight", "0");
    rejects(() -> base.withZone(null), "zone");
  }

  @Test
  void toStringShowsNonDefaults() {
    assertEquals("h:1", Endpoint.of("h", 1).toString());
    String s = Endpoint.of("h", 1).withWeight(3).withZone("z").toString();
    assertTrue(s.startsWith("h:1") && s.contains("weight=3") && s.contains("zone=z"), s);
  }
}
