package io.lb4j.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.Endpoint;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TcpConnectProbeTest {

  private final TcpConnectProbe probe = new TcpConnectProbe(Duration.ofSeconds(2));

  @Test
  void listeningPortIsHealthy() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      ProbeResult r = probe.probe(Endpoint.of("127.0.0.1", server.getLocalPort()))
          .toCompletableFuture().get(5, TimeUnit.SECONDS);
      assertEquals(ProbeResult.Status.HEALTHY, r.status());
      assertTrue(r.reason().startsWith("connected in "), r.reason());
    }
  }

  @Test
  void closedPortIsRefused() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      port = s.getLocalPort();
    }
    ProbeResult r = probe.probe(Endpoint.of("127.0.0.1", port)).toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertEquals(ProbeResult.unhealthy("connect refused"), r);
  }

  @Test
  void hostNamesResolveOffTheCallerThread() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      ProbeResult r = probe.probe(Endpoint.of("localhost", server.getLocalPort()))
          .toCompletableFuture().get(5, TimeUnit.SECONDS);
      assertEquals(ProbeResult.Status.HEALTHY, r.status(), r.reason());
    }
  }

  @Test
  void rejectsBadTimeout() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TcpConnectProbe(Duration.ZERO));
    assertTrue(e.getMessage().contains("connectTimeout"), e.getMessage());
  }
}
