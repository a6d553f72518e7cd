package io.lb4j.okhttp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.Endpoint;
import io.lb4j.EndpointStatus;
import io.lb4j.LoadBalancer;
import io.lb4j.health.HealthCheckConfig;
import io.lb4j.health.ProbeResult;
import io.lb4j.testing.FakeClock;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.CertificatePinner;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;

class HttpHealthProbeTest {

  /** TLS probes check identity, not speed: a first handshake on a loaded machine may take seconds. */
  private static final java.time.Duration TLS_PROBE_TIMEOUT = java.time.Duration.ofSeconds(30);

  private static ProbeResult probe(HttpHealthProbe probe, Endpoint e) throws Exception {
    return probe.probe(e).toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  @Test
  void statusOfTheHealthPathDecides() throws Exception {
    AtomicInteger code = new AtomicInteger();
    try (MockWebServer server = Backends.noDelayServer()) {
      server.setDispatcher(new Dispatcher() {
        @Override
        public MockResponse dispatch(RecordedRequest request) {
          int c = "/ready".equals(request.getTarget()) ? code.get() : 404;
          return new MockResponse.Builder().code(c).build();
        }
      });
      server.start(InetAddress.getByName("127.0.0.1"), 0);
      Endpoint e = Endpoint.of("127.0.0.1", server.getPort());
      HttpHealthProbe probe = HttpHealthProbe.builder().path("/ready").build();
      code.set(200);
      assertEquals(ProbeResult.healthy("HTTP 200"), probe(probe, e));
      code.set(500);
      assertEquals(ProbeResult.unhealthy("HTTP 500"), probe(probe, e));
      code.set(503);
      assertEquals(ProbeResult.draining("HTTP 503"), probe(probe, e));
      code.set(204);
      assertEquals(ProbeResult.Status.HEALTHY, probe(probe, e).status());
      assertEquals(ProbeResult.unhealthy("HTTP 404"), probe(HttpHealthProbe.builder().build(), e),
          "default path /health");
    }
  }

  @Test
  void loadBalancerMarks500UnhealthyAnd503Draining() throws Exception {
    try (Backends b = new Backends(3)) {
      b.codes.get(1).set(500);
      b.codes.get(2).set(503);
      HealthCheckConfig config = HealthCheckConfig.builder().unhealthyThreshold(1).healthyThreshold(1).build();
      FakeClock clock = new FakeClock(); // no periodic probes: only the round below
      try (LoadBalancer lb = LoadBalancer.builder().endpoints(b.endpoints()).ticker(clock).scheduler(clock)
          .healthCheck(config, HttpHealthProbe.builder().build()).build()) {
        lb.healthChecker().orElseThrow().probeAll().get(10, TimeUnit.SECONDS);
        clock.runDue(); // the rebuild the verdicts asked for
        assertEquals(EndpointStatus.HEALTHY, lb.status(b.endpoint(0)));
        assertEquals(EndpointStatus.UNHEALTHY, lb.status(b.endpoint(1)));
        assertEquals(EndpointStatus.DRAINING, lb.status(b.endpoint(2)));
        assertEquals(List.of("/health", "/health", "/health"), List.of(
            b.servers.get(0).takeRequest(5, TimeUnit.SECONDS).getTarget(),
            b.servers.get(1).takeRequest(5, TimeUnit.SECONDS).getTarget(),
            b.servers.get(2).takeRequest(5, TimeUnit.SECONDS).getTarget()));
      }
    }
  }

  @Test
  void closedPortIsUnhealthy() throws Exception {
    Endpoint e = Endpoint.of("127.0.0.1", Backends.closedPort());
    assertEquals(ProbeResult.Status.UNHEALTHY, probe(HttpHealthProbe.builder().build(), e).status());
  }

  @Test
  void builderRejectsBadValues() {
    assertThrows(IllegalArgumentException.class, () -> HttpHealthProbe.builder().path("health"));
    assertThrows(IllegalArgumentException.class, () -> HttpHealthProbe.builder().scheme("ftp"));
    assertThrows(IllegalArgumentException.class, () -> HttpHealthProbe.builder().timeout(java.time.Duration.ZERO));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> HttpHealthProbe.builder().timeout(java.time.Duration.ofNanos(500_000)));
    assertTrue(e.getMessage().contains("timeout") && e.getMessage().contains("PT0.0005S"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> HttpHealthProbe.builder().serverName("10.0.0.1"));
    assertThrows(IllegalArgumentException.class, () -> HttpHealthProbe.builder().serverName(null));
  }

  /** A timeout past OkHttp's limit (Integer.MAX_VALUE ms) is clamped, not an error at build(). */
  @Test
  void longestTimeoutIsClampedAndProbes() throws Exception {
    try (MockWebServer server = Backends.noDelayServer()) {
      server.enqueue(new MockResponse.Builder().code(200).build());
      server.start(InetAddress.getByName("127.0.0.1"), 0);
      HttpHealthProbe probe = HttpHealthProbe.builder().path("/")
          .timeout(java.time.Duration.ofSeconds(99_999_999_999_999_999L)).build();
      try {
        assertEquals(ProbeResult.healthy("HTTP 200"), probe(probe, Endpoint.of("127.0.0.1", server.getPort())));
      } finally {
        probe.close();
      }
    }
  }

  @Test
  void httpsProbeVerifiesTheServiceNameWithTheApplicationsTlsSettings() throws Exception {
    TlsFixture tls = new TlsFixture();
    try (Backends b = new Backends(0)) {
      b.add(200, tls.server("orders.internal"));
      b.add(200, tls.server("evil.internal"));
      b.servers.forEach(MockWebServer::requireClientAuth);
      // The application's own client, balancing orders.internal onto the evil server only: the
      // probe must still reach the endpoint it probes, with the client's certificate and trust.
      LoadBalancer appLb = LoadBalancer.builder().endpoints(List.of(b.endpoint(1))).build();
      OkHttpClient app = tls.client(true)
          .addInterceptor(LoadBalancingInterceptor.builder().service("orders.internal", appLb).build()).build();
      HttpHealthProbe probe = HttpHealthProbe.builder().client(app).scheme("https").serverName("orders.internal")
            .timeout(TLS_PROBE_TIMEOUT).build();
      try {
        assertEquals(ProbeResult.healthy("HTTP 200"), probe(probe, b.endpoint(0)));
        RecordedRequest seen = b.servers.get(0).takeRequest(5, TimeUnit.SECONDS);
        assertEquals(List.of("orders.internal"), seen.getHandshakeServerNames());
        assertEquals("CN=orders-client", seen.getHandshake().peerPrincipal().getName());
        ProbeResult evil = probe(probe, b.endpoint(1));
        assertEquals(ProbeResult.Status.UNHEALTHY, evil.status());
        assertTrue(evil.reason().contains(b.endpoint(1).address()) && evil.reason().contains("expected name orders.internal")
            && evil.reason().contains("evil.internal"), evil.reason());
        assertEquals(0, b.servers.get(1).getRequestCount());

        HttpHealthProbe wrongPin = HttpHealthProbe.builder().scheme("https").serverName("orders.internal")
            .timeout(TLS_PROBE_TIMEOUT)
            .client(app.newBuilder().certificatePinner(new CertificatePinner.Builder()
                .add("orders.internal", CertificatePinner.pin(tls.untrustedRoot.certificate())).build()).build()).build();
        ProbeResult pinned = probe(wrongPin, b.endpoint(0));
        assertEquals(ProbeResult.Status.UNHEALTHY, pinned.status(), "a probe is no way around pinning");
        assertTrue(pinned.reason().contains("pinning"), pinned.reason());
      } finally {
        appLb.close();
        app.dispatcher().executorService().shutdown();
        app.connectionPool().evictAll();
      }
    }
  }

  @Test
  void endpointsOwnServerNameWinsOverTheProbes() throws Exception {
    TlsFixture tls = new TlsFixture();
    try (Backends b = new Backends(0)) {
      b.add(200, tls.server("node1.orders.internal"));
      OkHttpClient app = tls.client(false).build();
      HttpHealthProbe probe = HttpHealthProbe.builder().client(app).scheme("https").serverName("orders.internal")
            .timeout(TLS_PROBE_TIMEOUT).build();
      assertEquals(ProbeResult.healthy("HTTP 200"), probe(probe, b.endpoint(0).withServerName("node1.orders.internal")));
      assertEquals(ProbeResult.Status.UNHEALTHY, probe(probe, b.endpoint(0)).status());
      app.connectionPool().evictAll();
    }
  }
}
