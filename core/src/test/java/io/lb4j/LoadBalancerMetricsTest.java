package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.health.HealthCheckConfig;
import io.lb4j.health.ProbeResult;
import io.lb4j.metrics.LoadBalancerMetrics;
import io.lb4j.outlier.OutlierDetectionConfig;
import io.lb4j.policy.Policy;
import io.lb4j.testing.FakeClock;
import io.lb4j.testing.TestPolicies;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The Micrometer binding, through the public API of a balancer built with a registry. */
class LoadBalancerMetricsTest {

  private static final Endpoint A = Endpoint.parse("10.0.0.1:80");
  private static final Endpoint B = Endpoint.parse("10.0.0.2:80");

  private static final Policy ROTATE = TestPolicies.roundRobin();

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final FakeClock clock = new FakeClock();

  private LoadBalancer.Builder lb(Endpoint... endpoints) {
    return LoadBalancer.builder().name("orders").endpoints(List.of(endpoints)).policy(ROTATE)
        .meterRegistry(registry).ticker(clock).scheduler(clock);
  }

  private double requests(Endpoint e, String outcome) {
    return registry.get("lb4j.requests")
        .tags("lb", "orders", "policy", "test-rr", "endpoint", e.address(), "outcome", outcome)
        .functionCounter().count();
  }

  private double gauge(String name, String... tags) {
    return registry.get(name).tags("lb", "orders").tags(tags).gauge().value();
  }

  private long lb4jMeters() {
    return registry.getMeters().stream().filter(m -> m.getId().getName().startsWith("lb4j.")).count();
  }

  @Test
  void requestsByOutcomeLatencyAndInflightPerEndpoint() {
    try (LoadBalancer balancer = lb(A).build()) {
      assertEquals("test-rr", balancer.policy().name());
      Selection held = balancer.pick();
      assertEquals(1, gauge("lb4j.inflight", "endpoint", A.address()));
      held.release(Outcome.SUCCESS, TimeUnit.MILLISECONDS.toNanos(4));
      balancer.pick().release(Outcome.SUCCESS, TimeUnit.MILLISECONDS.toNanos(6));
      balancer.pick().release(Outcome.SERVER_ERROR, TimeUnit.MILLISECONDS.toNanos(2));

      assertEquals(2, requests(A, "success"));
      assertEquals(1, requests(A, "server_error"));
      assertEquals(0, requests(A, "timeout"));
      assertEquals(0, gauge("lb4j.inflight", "endpoint", A.address()));
      Timer latency = registry.get("lb4j.request.latency").tags("lb", "orders", "endpoint", A.address()).timer();
      assertEquals(3, latency.count());
      assertEquals(12.0, latency.totalTime(TimeUnit.MILLISECONDS), 1e-9);
      assertEquals(6.0, latency.max(TimeUnit.MILLISECONDS), 1e-9);
      assertEquals(0, latency.takeSnapshot().percentileValues().length, "no percentiles by default");
    }
  }

  @Test
  void endpointsByStatusAndNoEndpointPicks() {
    try (LoadBalancer balancer = lb(A, B).build()) {
      assertEquals(2, gauge("lb4j.endpoints", "status", "healthy"));
      balancer.drain(B);
      assertEquals(1, gauge("lb4j.endpoints", "status", "healthy"));
      assertEquals(1, gauge("lb4j.endpoints", "status", "draining"));

      balancer.updateEndpoints(List.of());
      assertThrows(NoEndpointAvailableException.class, balancer::pick);
      assertThrows(NoEndpointAvailableException.class, balancer::pick);
      assertEquals(2, registry.get("lb4j.picks.no_endpoint").tags("lb", "orders").counter().count());
    }
  }

  @Test
  void ejectionsByReasonAndPanic() {
    OutlierDetectionConfig od = OutlierDetectionConfig.builder()
        .consecutiveFailures(2).consecutiveLocalFailures(2).maxEjectionPercent(100).build();
    try (LoadBalancer balancer = lb(A, B).outlierDetection(od).build()) {
      assertEquals(0, gauge("lb4j.panic"));
      for (int i = 0; i < 4; i++) { // round robin: A, B, A, B
        balancer.pick().release(i < 2 ? Outcome.SERVER_ERROR : Outcome.CONNECT_FAILURE, 1);
      }
      clock.runDue(); // the rebuild the releases asked for
      // A failed SERVER_ERROR then CONNECT_FAILURE: 2 in a row; same for B.
      double consecutive = registry.get("lb4j.ejections").tags("reason", "consecutive").functionCounter().count();
      double local = registry.get("lb4j.ejections").tags("reason", "local").functionCounter().count();
      assertEquals(2, consecutive + local);
      assertEquals(2, consecutive);
      assertEquals(0, registry.get("lb4j.ejections").tags("reason", "success-rate").functionCounter().count());
      assertEquals(0, registry.get("lb4j.ejections").tags("reason", "failure-percentage").functionCounter().count());
      assertEquals(2, gauge("lb4j.endpoints", "status", "ejected"));
      assertEquals(1, gauge("lb4j.panic"));
    }
  }

  @Test
  void localOriginEjectionsHaveTheirOwnReason() {
    OutlierDetectionConfig od = OutlierDetectionConfig.builder()
        .consecutiveFailures(5).consecutiveLocalFailures(2).maxEjectionPercent(100).build();
    try (LoadBalancer balancer = lb(A).outlierDetection(od).build()) {
      balancer.pick().release(Outcome.TIMEOUT, 1);
      balancer.pick().release(Outcome.CONNECT_FAILURE, 1);
      clock.runDue();
      assertEquals(1, registry.get("lb4j.ejections").tags("reason", "local").functionCounter().count());
    }
  }

  @Test
  void healthChecksByResult() {
    try (LoadBalancer balancer = lb(A, B)
        .healthCheck(HealthCheckConfig.defaults(), e -> CompletableFuture.completedFuture(
            e.equals(A) ? ProbeResult.healthy("ok") : ProbeResult.unhealthy("refused")))
        .build()) {
      balancer.healthChecker().orElseThrow().probeAll().join();
      balancer.healthChecker().orElseThrow().probeAll().join();
      clock.runDue();
      assertEquals(2, registry.get("lb4j.health.checks").tags("result", "healthy").functionCounter().count());
      assertEquals(2, registry.get("lb4j.health.checks").tags("result", "unhealthy").functionCounter().count());
      assertEquals(1, gauge("lb4j.endpoints", "status", "unhealthy"));
    }
  }

  @Test
  void tenThousandJoinsAndLeavesLeakNoMeter() {
    try (LoadBalancer balancer = lb(A).build()) {
      long baseline = lb4jMeters();
      for (int i = 0; i < 10_000; i++) {
        Endpoint churn = Endpoint.of("10.1." + (i / 250) + "." + (i % 250), 8080);
        balancer.updateEndpoints(List.of(A, churn));
        if (i == 0) {
          assertEquals(baseline + 7, lb4jMeters(), "5 outcome counters, in-flight gauge, latency timer");
        }
        Selection s = balancer.pick();
        balancer.updateEndpoints(List.of(A)); // leaves, possibly with the request in flight
        s.release(Outcome.SUCCESS, 1);
      }
      assertEquals(baseline, lb4jMeters());
      assertEquals(1, registry.find("lb4j.inflight").meters().size());
    }
    assertEquals(0, lb4jMeters(), "close removes every meter of the balancer");
  }

  @Test
  void withoutARegistryNothingIsRegistered() {
    MeterRegistry other = new SimpleMeterRegistry();
    try (LoadBalancer balancer = LoadBalancer.builder().endpoints(List.of(A)).build()) {
      balancer.pick().release(Outcome.SUCCESS, 1);
    }
    assertTrue(other.getMeters().isEmpty());
    assertTrue(io.micrometer.core.instrument.Metrics.globalRegistry.getMeters().stream()
        .noneMatch(m -> m.getId().getName().startsWith("lb4j.")));
  }

  @Test
  void latencyPercentilesAreConfigurableByFilter() {
    registry.config().meterFilter(LoadBalancerMetrics.latencyPercentiles(0.5, 0.99));
    try (LoadBalancer balancer = lb(A).build()) {
      for (int i = 1; i <= 100; i++) {
        balancer.pick().release(Outcome.SUCCESS, TimeUnit.MILLISECONDS.toNanos(i));
      }
      Timer latency = registry.get("lb4j.request.latency").timer();
      assertEquals(2, latency.takeSnapshot().percentileValues().length);
    }
    assertThrows(IllegalArgumentException.class, () -> LoadBalancerMetrics.latencyPercentiles(1.5));
    assertThrows(IllegalArgumentException.class, LoadBalancerMetrics::latencyPercentiles);
  }

  @Test
  void releaseWithARegistryAllocatesNoMoreThanTheSelection() {
    var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    if (!mx.isThreadAllocatedMemorySupported()) {
      return;
    }
    mx.setThreadAllocatedMemoryEnabled(true);
    try (LoadBalancer balancer = lb(A, B).build()) {
      run(balancer, 200_000); // warm up
      long tid = Thread.currentThread().getId();
      long before = mx.getThreadAllocatedBytes(tid);
      run(balancer, 200_000);
      long allocated = mx.getThreadAllocatedBytes(tid) - before;
      // At most the 24-byte selection per pick; anything more per request would add >= 3 MB.
      assertTrue(allocated <= 200_000L * 24 + 16_384, "allocated " + allocated + " bytes over 200,000 pick/release");
      assertEquals(400_000, requests(A, "success") + requests(B, "success"));
    }
  }

  private static void run(LoadBalancer lb, int n) {
    for (int i = 0; i < n; i++) {
      lb.pick().release(Outcome.SUCCESS, 1_000 + i);
    }
  }

  @Test
  void aSecondLiveBalancerWithTheSameNameOnOneRegistryIsRefused() {
    try (LoadBalancer first = lb(A).build()) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> lb(B).build());
      assertTrue(e.getMessage().contains("'orders'") && e.getMessage().contains("meterRegistry"), e.getMessage());
      assertEquals(1, registry.find("lb4j.inflight").meters().size(), "the refused one registered nothing");
      try (LoadBalancer other = lb(B).name("orders-2").build()) {
        assertEquals(2, registry.find("lb4j.panic").meters().size());
        assertTrue(other.endpoints().contains(B));
      }
      assertEquals(1, registry.find("lb4j.panic").meters().size(), "closing one left the other's meters");
      first.pick().release(Outcome.SUCCESS, 1);
      assertEquals(1, requests(A, "success"), "the first one's meters still count");
    }
    try (LoadBalancer again = lb(B).build()) { // the name is free once the first closed
      assertEquals(1, registry.find("lb4j.panic").meters().size());
      assertTrue(again.endpoints().contains(B));
    }
  }

  @Test
  void everyMeterCarriesTheBalancerName() {
    try (LoadBalancer balancer = lb(A).build()) {
      for (Meter m : registry.getMeters()) {
        assertEquals("orders", m.getId().getTag("lb"), m.getId().toString());
        assertEquals("test-rr", m.getId().getTag("policy"), m.getId().toString());
      }
      assertTrue(balancer.endpoints().contains(A));
    }
  }
}
