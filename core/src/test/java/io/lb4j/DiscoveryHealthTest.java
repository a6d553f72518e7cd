package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.discovery.DiscoveryException;
import io.lb4j.metrics.LoadBalancerMetrics;
import io.lb4j.testing.Balancers;
import io.lb4j.testing.ManualSource;
import io.lb4j.testing.StderrLog;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Discovery health (issue 18 §4): failed refreshes, staleness and the last list's size as meters,
 * failure and recovery as listener events; on the fake clock with a hand-driven source (the real
 * sources' failures are tested against dnsmasq and ZooKeeper).
 */
class DiscoveryHealthTest {

  @RegisterExtension
  final Balancers lbs = new Balancers();

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  private static final Endpoint A = Endpoint.parse("10.0.0.1:80");
  private static final Endpoint B = Endpoint.parse("10.0.0.2:80");

  private static DiscoveryException failure(String reason) {
    return new DiscoveryException("ManualSource", "orders.test", "127.0.0.1:53", reason, null);
  }

  private double failures() {
    return registry.get(LoadBalancerMetrics.DISCOVERY_FAILURES).tags("lb", "disc").functionCounter().count();
  }

  private double staleness() {
    return registry.get(LoadBalancerMetrics.DISCOVERY_STALENESS).tags("lb", "disc").timeGauge().value(TimeUnit.SECONDS);
  }

  private double delivered() {
    return registry.get(LoadBalancerMetrics.DISCOVERY_ENDPOINTS).tags("lb", "disc").gauge().value();
  }

  @Test
  void failuresStalenessAndTheLastListAreMeteredAndTold() {
    ManualSource source = new ManualSource(List.of(A, B));
    LoadBalancer lb = lbs.build(lbs.builder("disc").endpointSource(source).meterRegistry(registry));
    assertEquals(0, failures());
    assertEquals(0, staleness());
    assertEquals(2, delivered());

    lbs.clock.forward(Duration.ofHours(1));
    assertEquals(0, staleness(), "a watch that says nothing for an hour is fresh: its last word was a list");

    DiscoveryException first = failure("SERVFAIL");
    source.fail(first);
    assertEquals(1, failures());
    assertEquals(0, staleness(), "stale since the failure began, not since the last list an hour ago");
    lbs.clock.forward(Duration.ofSeconds(30));
    source.fail(failure("timeout"));
    lbs.clock.forward(Duration.ofSeconds(45));
    assertEquals(2, failures());
    assertEquals(75, staleness());
    assertEquals(2, delivered(), "a failure keeps the list");
    assertEquals(List.of(A, B), lb.endpoints());
    assertEquals(List.of("discovery failure 1", "discovery failure 2"), lbs.listener.changes.subList(3, 5));
    assertSame(first, lbs.listener.discoveryErrors.get(0));

    lbs.listener.changes.clear();
    source.deliver(List.of(A, B));
    assertEquals(List.of("discovery recovery 2"), lbs.listener.changes, "the same list: only the recovery");
    assertEquals(0, staleness());
    assertEquals(2, failures(), "a counter");

    lbs.listener.changes.clear();
    source.fail(failure("SERVFAIL"));
    lbs.clock.forward(Duration.ofSeconds(5));
    source.deliver(List.of(A));
    assertEquals(List.of("discovery failure 1", "discovery recovery 1", "removed 10.0.0.2:80", "updated 1"),
        lbs.listener.changes);
    assertEquals(1, delivered());
    assertEquals(3, failures());
  }

  @Test
  void aSourceThatNeverDeliveredIsStaleSinceItStarted() {
    ManualSource source = new ManualSource(null);
    LoadBalancer lb = lbs.build(lbs.builder("disc").endpointSource(source).meterRegistry(registry));
    lbs.clock.forward(Duration.ofSeconds(10));
    assertEquals(10, staleness(), "no list yet");
    source.fail(failure("REFUSED"));
    lbs.clock.forward(Duration.ofSeconds(5));
    assertEquals(15, staleness());
    assertEquals(0, delivered());
    NoEndpointAvailableException e = assertThrows(NoEndpointAvailableException.class, lb::pick);
    assertTrue(e.getMessage().contains("REFUSED"), e.getMessage());

    source.deliver(List.of());
    assertEquals(0, staleness());
    e = assertThrows(NoEndpointAvailableException.class, lb::pick);
    assertTrue(e.getMessage().contains("has delivered no endpoints"), e.getMessage());

    source.fail(failure("REFUSED"));
    source.deliver(List.of());
    e = assertThrows(NoEndpointAvailableException.class, lb::pick);
    assertTrue(e.getMessage().contains("has delivered no endpoints"),
        "an unchanged empty list after a failure still clears the failure from the message: " + e.getMessage());
  }

  @Test
  void withoutASourceThereAreNoDiscoveryMeters() {
    lbs.build(lbs.builder("disc").endpoints(List.of(A)).meterRegistry(registry));
    assertNull(registry.find(LoadBalancerMetrics.DISCOVERY_FAILURES).meter());
    assertNull(registry.find(LoadBalancerMetrics.DISCOVERY_STALENESS).meter());
    assertNull(registry.find(LoadBalancerMetrics.DISCOVERY_ENDPOINTS).meter());
  }

  @Test
  void aThrowingDiscoveryListenerIsLoggedAndSkipped() {
    ManualSource source = new ManualSource(List.of(A));
    LoadBalancerListener throwing = new LoadBalancerListener() {
      @Override
      public void onDiscoveryFailure(String lb, Throwable error, int consecutiveFailures) {
        throw new IllegalStateException("listener bug");
      }
    };
    lbs.build(lbs.builder("disc").endpointSource(source).listener(throwing));
    try (StderrLog log = StderrLog.capture()) {
      source.fail(failure("SERVFAIL"));
      assertTrue(lbs.listener.changes.contains("discovery failure 1"), "the other listener still heard it");
      assertEquals(1, log.lines("WARN", "lb=disc listener").size(), log.text());
    }
  }
}
