package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class EndpointTest {

  private static void assertRejected(Executable call, String... fragments) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), () -> "message '" + e.getMessage() + "' should contain '" + f + "'");
    }
  }

  @Test
  void blankOrNullHostIsRejectedNamingTheValue() {
    assertRejected(() -> new Endpoint(null, 80, 1, "", Map.of()), "host", "null");
    assertRejected(() -> new Endpoint("", 80, 1, "", Map.of()), "host", "''");
    assertRejected(() -> new Endpoint("   ", 80, 1, "", Map.of()), "host", "'   '");
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 65536, -1})
  void portOutOfRangeIsRejectedNamingTheValue(int port) {
    assertRejected(() -> new Endpoint("h", port, 1, "", Map.of()), "port", "was " + port);
  }

  @Test
  void portBoundsAreAccepted() {
    assertEquals(1, Endpoint.of("h", 1).port());
    assertEquals(65535, Endpoint.of("h", 65535).port());
  }

  @Test
  void weightBelowOneIsRejected() {
    assertRejected(() -> new Endpoint("h", 80, 0, "", Map.of()), "weight", "was 0", "h:80");
    assertRejected(() -> Endpoint.of("h", 80).withWeight(-3), "weight", "was -3");
  }

  @Test
  void nullZoneAndMetadataAreRejected() {
    assertRejected(() -> new Endpoint("h", 80, 1, null, Map.of()), "zone", "null", "h:80");
    assertRejected(() -> new Endpoint("h", 80, 1, "", null), "metadata", "null", "h:80");
  }

  @Test
  void nullMetadataValuesAndKeysAreRejected() {
    Map<String, String> nullValue = new HashMap<>();
    nullValue.put("k", null);
    assertRejected(() -> new Endpoint("h", 80, 1, "", nullValue), "metadata", "null", "k=null");
    Map<String, String> nullKey = new HashMap<>();
    nullKey.put(null, "v");
    assertRejected(() -> new Endpoint("h", 80, 1, "", nullKey), "metadata", "null=v");
  }

  @ParameterizedTest
  @CsvSource({
      "10.0.0.1:8080, 10.0.0.1, 8080, 10.0.0.1:8080",
      "'[::1]:8080', ::1, 8080, '[::1]:8080'",
      "svc.local:80, svc.local, 80, svc.local:80",
      "' svc.local:80 ', svc.local, 80, svc.local:80",
  })
  void parsesHostPort(String text, String host, int port, String address) {
    Endpoint e = Endpoint.parse(text);
    assertEquals(host, e.host());
    assertEquals(port, e.port());
    assertEquals(address, e.address());
    assertEquals(1, e.weight());
    assertEquals("", e.zone());
    assertEquals(Map.of(), e.metadata());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "host", "host:abc", "::1:80", "[::1]", ":80", "host:70000", "host:0", "[::1]80", "host:"})
  void parseRejectsBadInputQuotingIt(String text) {
    assertRejected(() -> Endpoint.parse(text), "'" + text + "'");
  }

  /**
   * Each bad input is refused with a message that quotes the whole input and says what is wrong.
   * (The \\u escapes are Java's: the strings hold the non-ASCII characters themselves.)
   */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "host:+80 | port | ASCII digits",
      "host:-80 | port | ASCII digits",
      "host:\u0668\u0660 | port | ASCII digits", // Arabic-Indic 80
      "host:\uff18\uff10 | port | ASCII digits", // fullwidth 80
      "host:0080000 | port | 1..65535",
      "host:99999999999 | port | 1..65535",
      "999.1.1.1:80 | host '999.1.1.1' | above 255",
      "1.2.3.256:80 | host '1.2.3.256' | above 255",
      "10.1:80 | host '10.1' | four decimal numbers",
      "1.2.3.4.5:80 | host '1.2.3.4.5' | four decimal numbers",
      "010.0.0.1:80 | host '010.0.0.1' | leading zero",
      "svc.123:80 | host 'svc.123' | last label is not all digits",
      "http://x:80 | without a scheme | http://x:80",
      "x:80/path | without a path | x:80/path",
      "host:80:90 | with one ':' | '[addr]:port'",
      "::1:80 | IPv6 endpoint must be written '[addr]:port' | ::1:80",
      "[svc.local]:80 | brackets are only for IPv6 | [svc.local]:80",
      "-svc.local:80 | host '-svc.local' | starts or ends with '-'",
      "svc..local:80 | host 'svc..local' | empty label",
      "sv c:80 | host 'sv c' | character ' ' not allowed",
      "b\u00fccher.de:80 | host 'b\u00fccher.de' | xn--",
      "user@host:80 | host 'user@host' | character '@'",
      "[fe80::1%]:80 | host 'fe80::1%' | scope",
  })
  void parseRefusesBadInputSayingWhy(String text, String what, String detail) {
    assertRejected(() -> Endpoint.parse(text), "'" + text + "'", what, detail);
  }

  @Test
  void hostLabelsHaveRfc1123Lengths() {
    String label63 = "a".repeat(63);
    assertEquals(label63 + ".example", Endpoint.of(label63 + ".example", 80).host());
    assertRejected(() -> Endpoint.of("a" + label63 + ".example", 80), "longer than 63");
    String name253 = (label63 + ".").repeat(3) + "a".repeat(61);
    assertEquals(253, name253.length());
    assertEquals(name253, Endpoint.of(name253, 80).host());
    assertRejected(() -> Endpoint.of(name253 + "a", 80), "longer than 253");
  }

  @ParameterizedTest
  @ValueSource(strings = {"localhost", "svc.local", "svc.local.", "my_service", "x-1.example.com", "0.0.0.0",
      "255.255.255.255", "xn--bcher-kva.de", "a", "1a.example", "example.123a"})
  void acceptsHostNamesAndAddresses(String host) {
    assertEquals(host, Endpoint.of(host, 80).host());
    assertEquals(host + ":80", Endpoint.parse(host + ":80").address());
  }

  @Test
  void parseRejectsNull() {
    assertRejected(() -> Endpoint.parse(null), "null");
  }

  @ParameterizedTest
  @CsvSource({
      "'[2001:0db8:0:0:0:0:0:1]:80', '[2001:db8::1]:80'",
      "'[0:0:0:0:0:0:0:1]:1', '[::1]:1'",
      "'[0:0:0:0:0:0:0:0]:1', '[::]:1'",
      "'[2001:DB8::A]:80', '[2001:db8::a]:80'",
      // a single zero group stays
      "'[2001:db8:0:1:1:1:1:1]:80', '[2001:db8:0:1:1:1:1:1]:80'",
      // the longest run is compressed
      "'[1:0:0:2:0:0:0:3]:80', '[1:0:0:2::3]:80'",
      // of two equal runs, the first
      "'[1:0:0:2:0:0:3:4]:80', '[1::2:0:0:3:4]:80'",
      "'[1:2:3:4:5:6:7:0]:80', '[1:2:3:4:5:6:7:0]:80'",
      "'[1:2:3:4:5:6:0:0]:80', '[1:2:3:4:5:6::]:80'",
  })
  void ipv6IsCanonicalLikeInetNtop(String text, String address) {
    assertEquals(address, Endpoint.parse(text).address());
  }

  @Test
  void constructorCanonicalisesIpv6WithOrWithoutBrackets() {
    assertEquals("2001:db8::1", Endpoint.of("2001:0db8::0001", 80).host());
    assertEquals("2001:db8::1", Endpoint.of("[2001:db8:0:0::1]", 80).host());
    assertEquals(Endpoint.of("::1", 80).address(), Endpoint.of("[0:0::1]", 80).address());
  }

  @Test
  void withersChangeOneFieldAndValidate() {
    Endpoint base = Endpoint.parse("10.0.0.1:80");
    Endpoint w = base.withWeight(5);
    assertEquals(5, w.weight());
    assertEquals(base.address(), w.address());
    assertEquals(1, base.weight(), "the original is unchanged");
    Endpoint z = w.withZone("us-east-1a");
    assertEquals("us-east-1a", z.zone());
    assertEquals(5, z.weight());
    Endpoint m = z.withMetadata(Map.of("canary", "true"));
    assertEquals(Map.of("canary", "true"), m.metadata());
    assertEquals("us-east-1a", m.zone());
    assertEquals(5, m.weight());
    assertEquals("10.0.0.1:80;weight=5;zone=us-east-1a;{canary=true}", m.toString());
    assertRejected(() -> base.withZone(null), "zone");
    assertRejected(() -> base.withMetadata(null), "metadata");
  }

  @Test
  void metadataIsCopiedAndImmutable() {
    Map<String, String> source = new HashMap<>();
    source.put("a", "1");
    Endpoint e = Endpoint.of("h", 80).withMetadata(source);
    source.put("b", "2");
    assertEquals(Map.of("a", "1"), e.metadata(), "later changes to the caller's map do not leak in");
    assertNotSame(source, e.metadata());
    assertThrows(UnsupportedOperationException.class, () -> e.metadata().put("c", "3"));
  }

  @Test
  void serverNameLivesInTheMetadataAndIsNotPartOfTheIdentity() {
    Endpoint plain = Endpoint.of("10.0.0.1", 8443);
    assertEquals(java.util.Optional.empty(), plain.serverName());
    Endpoint named = plain.withServerName("Node1.Orders.Internal");
    assertEquals(java.util.Optional.of("node1.orders.internal"), named.serverName());
    assertEquals("node1.orders.internal", named.metadata().get(Endpoint.SERVER_NAME_KEY));
    assertEquals(plain.address(), named.address());
    assertEquals(plain, named.withServerName(null));
    Endpoint fromMetadata = plain.withMetadata(java.util.Map.of("lb4j.serverName", "orders.internal", "v", "2"));
    assertEquals(java.util.Optional.of("orders.internal"), fromMetadata.serverName());
  }

  @Test
  void badServerNameIsRejectedNamingTheKeyAndValue() {
    Endpoint e = Endpoint.of("10.0.0.1", 8443);
    for (String bad : new String[] {"", " ", "10.0.0.1", "a b", "orders..internal", ".orders", "orders:443", "::1"}) {
      assertRejected(() -> e.withServerName(bad), "lb4j.serverName", "'" + bad + "'");
    }
  }

  @Test
  void ipLiteralHostsAreRecognised() {
    assertTrue(Endpoint.of("10.0.0.1", 1).hostIsIpLiteral());
    assertTrue(Endpoint.of("::1", 1).hostIsIpLiteral());
    assertFalse(Endpoint.of("svc.local", 1).hostIsIpLiteral());
    assertFalse(Endpoint.of("10.0.0.example", 1).hostIsIpLiteral());
    // "1.2.3" is neither an address nor a host name, so no Endpoint has it
    assertThrows(IllegalArgumentException.class, () -> Endpoint.of("1.2.3", 1));
  }
}
