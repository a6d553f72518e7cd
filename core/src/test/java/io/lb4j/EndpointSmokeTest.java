package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class EndpointSmokeTest {
  @Test
  void ipv6IsCompressed() {
    assertEquals("[2001:db8::1]:8080", Endpoint.parse("[2001:0db8:0:0:0:0:0:1]:8080").address());
  }
}
