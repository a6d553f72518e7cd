package io.lb4j.okhttp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
import org.junit.jupiter.api.Test;

class HttpHealthProbeTest {

  private static ProbeResult probe(HttpHealthProbe probe, Endpoint e) throws Exception {
    return probe.probe(e).toCompletableFuture().get(10, TimeUnit.SECONDS);
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
  }
}
