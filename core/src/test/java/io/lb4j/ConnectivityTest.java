package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.outlier.OutlierDetectionConfig;
import io.lb4j.policy.Policies;
import io.lb4j.testing.Balancers;
import io.lb4j.testing.TestPolicies;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The transport's connectivity as a status input: eligibility, panic, status, events, metrics, and
 * state that survives a lost connection.
 */
class ConnectivityTest {

  @RegisterExtension
  final Balancers lbs = new Balancers();

  private final List<Endpoint> three = Balancers.endpoints(7_000, 3);
  private final Endpoint a = three.get(0);
  private final Endpoint b = three.get(1);
  private final Endpoint c = three.get(2);

  private LoadBalancer tracked(LoadBalancer.Builder builder) {
    return lbs.build(builder.initialConnectivity(Connectivity.CONNECTING).endpoints(three));
  }

  private static Set<Endpoint> picks(LoadBalancer lb, int n) {
    Set<Endpoint> seen = new HashSet<>();
    for (int i = 0; i < n; i++) {
      seen.add(Balancers.pickAndRelease(lb));
    }
    return seen;
  }

  @Test
  void byDefaultEveryEndpointCountsAsConnected() {
    LoadBalancer lb = lbs.of(a, b);
    assertEquals(Connectivity.CONNECTED, lb.connectivity(a));
    assertEquals(EndpointStatus.HEALTHY, lb.status(a));
    assertEquals(Set.of(a, b), picks(lb, 20));
  }

  @Test
  void nonHashPoliciesPickOnlyConnectedEndpoints() {
    LoadBalancer lb = tracked(lbs.builder("t"));
    assertEquals(EndpointStatus.NOT_CONNECTED, lb.status(a));
    NoEndpointAvailableException none = assertThrows(NoEndpointAvailableException.class, lb::pick);
    assertTrue(none.getMessage().contains("3 not connected"), none.getMessage());

    lb.updateConnectivity(Map.of(a, Connectivity.CONNECTED, b, Connectivity.DISCONNECTED));
    assertEquals(Set.of(a), picks(lb, 20));
    assertEquals(EndpointStatus.HEALTHY, lb.status(a));
    assertEquals(EndpointStatus.NOT_CONNECTED, lb.status(b));
    assertTrue(lb.isPickable(a));
    assertFalse(lb.isPickable(c), "connecting is not pickable without a hash policy");

    lb.updateConnectivity(Map.of(c, Connectivity.CONNECTED));
    assertEquals(Set.of(a, c), picks(lb, 20));
  }

  @Test
  void hashPoliciesPickConnectingEndpointsButNeverDisconnectedOnes() {
    LoadBalancer lb = tracked(lbs.builder("t").policy(Policies.maglev(251)));
    assertEquals(Set.of(a, b, c), picks(lb, 300), "a key's request waits for its endpoint's connection");
    lb.updateConnectivity(Map.of(b, Connectivity.DISCONNECTED));
    assertEquals(Set.of(a, c), picks(lb, 300));
  }

  @Test
  void aSkippingHashPolicyKeepsItsTableAndEveryOtherKeyWhileAnEndpointComesAndGoes() {
    TestPolicies.Counting counting = new TestPolicies.Counting(Policies.skippingUnavailable(Policies.maglev(251)));
    LoadBalancer lb = tracked(lbs.builder("t").policy(counting));
    Map<Integer, Endpoint> homes = new HashMap<>();
    for (int k = 0; k < 300; k++) {
      homes.put(k, lb.choose(PickContext.ofKey("k" + k)));
    }
    int builds = counting.builds();
    lb.updateConnectivity(Map.of(a, Connectivity.CONNECTED, b, Connectivity.DISCONNECTED, c, Connectivity.CONNECTED));
    for (int k = 0; k < 300; k++) {
      Endpoint now = lb.choose(PickContext.ofKey("k" + k));
      if (homes.get(k).equals(b)) {
        assertTrue(now.equals(a) || now.equals(c));
      } else {
        assertEquals(homes.get(k), now, "key k" + k + " moved");
      }
    }
    lb.updateConnectivity(Map.of(b, Connectivity.CONNECTED));
    for (int k = 0; k < 300; k++) {
      assertEquals(homes.get(k), lb.choose(PickContext.ofKey("k" + k)));
    }
    assertEquals(builds, counting.builds(), "one table over all three, never rebuilt");
  }

  @Test
  void notConnectedEndpointsLeavePanicAlone() {
    List<Endpoint> ten = Balancers.endpoints(8_000, 10);
    LoadBalancer lb = lbs.build(lbs.builder("t").initialConnectivity(Connectivity.CONNECTING).endpoints(ten));
    Map<Endpoint, Connectivity> up = new HashMap<>();
    up.put(ten.get(0), Connectivity.CONNECTED);
    for (int i = 1; i < 10; i++) {
      up.put(ten.get(i), Connectivity.DISCONNECTED);
    }
    lb.updateConnectivity(up);
    assertFalse(lb.inPanic(), "1 of 10 connected is not panic: the others cannot take requests at all");
    assertEquals(Set.of(ten.get(0)), picks(lb, 50));
    assertFalse(lbs.listener.events.contains("panic true"));
  }

  @Test
  void panicNeverOffersEndpointsThatAreNotConnected() {
    List<Endpoint> four = Balancers.endpoints(9_000, 4);
    LoadBalancer lb = lbs.build(lbs.builder("t").endpoints(four).outlierDetection(OutlierDetectionConfig.builder()
        .consecutiveFailures(1).maxEjectionPercent(100).build()));
    lbs.record(lb, four.get(0), Outcome.SERVER_ERROR, 1);
    lbs.record(lb, four.get(1), Outcome.SERVER_ERROR, 1);
    lbs.record(lb, four.get(2), Outcome.SERVER_ERROR, 1);
    assertTrue(lb.inPanic());
    lb.updateConnectivity(Map.of(four.get(0), Connectivity.DISCONNECTED, four.get(3), Connectivity.CONNECTING));
    assertEquals(EndpointStatus.EJECTED, lb.status(four.get(0)), "ejected wins over not connected");
    assertEquals(Set.of(four.get(1), four.get(2)), picks(lb, 60), "panic among the connected ejected ones");
  }

  @Test
  void ejectionOutlivesALostConnectionAndEndsOnTime() {
    LoadBalancer lb = lbs.build(lbs.builder("t").endpoints(three).outlierDetection(OutlierDetectionConfig.builder()
        .consecutiveFailures(2).baseEjectionTime(Duration.ofSeconds(30)).interval(Duration.ofSeconds(1))
        .maxEjectionPercent(50).build()));
    lbs.record(lb, a, Outcome.SERVER_ERROR, 2);
    assertEquals(EndpointStatus.EJECTED, lb.status(a));
    EndpointState before = lb.state(a);

    lb.setConnectivity(a, Connectivity.DISCONNECTED);
    lbs.clock.forward(Duration.ofSeconds(10));
    lb.setConnectivity(a, Connectivity.CONNECTED);
    lbs.clock.forward(Duration.ofSeconds(10));
    assertEquals(EndpointStatus.EJECTED, lb.status(a), "reconnected, still ejected");
    assertSame(before, lb.state(a), "the same state: counters, latency and ejection kept");
    assertFalse(picks(lb, 30).contains(a));

    lbs.clock.forward(Duration.ofSeconds(11));
    assertEquals(EndpointStatus.HEALTHY, lb.status(a));
    assertTrue(picks(lb, 30).contains(a));
  }

  @Test
  void statusChangesAreEventsWithReasonsAndTheFirstConnectionIsOneToo() {
    LoadBalancer lb = tracked(lbs.builder("t"));
    lb.updateConnectivity(Map.of(a, Connectivity.CONNECTED));
    lb.updateConnectivity(Map.of(a, Connectivity.DISCONNECTED));
    lb.updateConnectivity(Map.of(a, Connectivity.CONNECTING));
    lb.updateConnectivity(Map.of(a, Connectivity.CONNECTED));
    assertEquals(List.of(a.address() + " NOT_CONNECTED->HEALTHY", a.address() + " HEALTHY->NOT_CONNECTED",
        a.address() + " NOT_CONNECTED->HEALTHY"), lbs.listener.events);
    assertEquals(List.of("connected", "connection failed", "connected"), lbs.listener.reasons);
  }

  @Test
  void singleReportsAreCoalescedOntoTheScheduler() {
    TestPolicies.Counting counting = new TestPolicies.Counting(TestPolicies.roundRobin());
    LoadBalancer lb = tracked(lbs.builder("t").policy(counting));
    int before = counting.builds();
    lb.setConnectivity(a, Connectivity.CONNECTED);
    lb.setConnectivity(b, Connectivity.CONNECTED);
    lb.setConnectivity(c, Connectivity.CONNECTED);
    lb.setConnectivity(Endpoint.of("10.9.9.9", 1), Connectivity.CONNECTED); // unknown: ignored
    assertEquals(EndpointStatus.NOT_CONNECTED, lb.status(a), "not applied before the scheduler runs");
    lbs.clock.runDue();
    assertEquals(1, counting.builds() - before, "three reports, one rebuild");
    assertEquals(Set.of(a, b, c), picks(lb, 30));
  }

  @Test
  void unchangedReportsRebuildNothing() {
    TestPolicies.Counting counting = new TestPolicies.Counting(TestPolicies.roundRobin());
    LoadBalancer lb = lbs.build(lbs.builder("t").policy(counting).endpoints(three));
    int before = counting.builds();
    lb.updateConnectivity(Map.of(a, Connectivity.CONNECTED, b, Connectivity.CONNECTED));
    assertEquals(0, counting.builds() - before);
  }

  @Test
  void badReportsAreRefusedByName() {
    LoadBalancer lb = lbs.of(a);
    Map<Endpoint, Connectivity> withNull = new HashMap<>();
    withNull.put(a, null);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> lb.updateConnectivity(withNull));
    assertEquals("connectivity of " + a.address() + " must not be null", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> lb.setConnectivity(a, null));
    assertThrows(IllegalArgumentException.class, () -> lb.setConnectivity(null, Connectivity.CONNECTED));
    assertThrows(IllegalArgumentException.class, () -> LoadBalancer.builder().initialConnectivity(null));
  }

  @Test
  void theGaugeCountsNotConnectedEndpoints() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    LoadBalancer lb = tracked(lbs.builder("gauged").meterRegistry(registry));
    lb.updateConnectivity(Map.of(a, Connectivity.CONNECTED));
    assertEquals(2.0, registry.get("lb4j.endpoints").tag("lb", "gauged").tag("status", "not_connected").gauge().value());
    assertEquals(1.0, registry.get("lb4j.endpoints").tag("lb", "gauged").tag("status", "healthy").gauge().value());
  }

  @Test
  void aReconnectAfterAFailureRampsUnderSlowStart() {
    LoadBalancer lb = lbs.build(lbs.builder("t").endpoints(three).slowStart(Duration.ofSeconds(10)));
    lb.updateConnectivity(Map.of(a, Connectivity.DISCONNECTED));
    lb.updateConnectivity(Map.of(a, Connectivity.CONNECTED));
    assertEquals(10, lb.state(a).effectiveWeight(), "ramps from 10 % again: it was down, maybe restarted");
    lb.updateConnectivity(Map.of(b, Connectivity.CONNECTING));
    lb.updateConnectivity(Map.of(b, Connectivity.CONNECTED));
    assertEquals(100, lb.state(b).effectiveWeight(), "a connection that only blinked does not ramp");
  }

  @Test
  void handlesCountWithoutALookupAndCarryAnAttachment() {
    LoadBalancer lb = lbs.of(a, b);
    EndpointHandle h = lb.handle(a);
    assertSame(h, lb.handle(Endpoint.of(a.host(), a.port())), "one handle per present endpoint");
    h.attach("result-a");
    lb.handle(b).attach("result-b");
    Set<Object> attachments = new HashSet<>();
    for (int i = 0; i < 20; i++) {
      attachments.add(lb.chooseHandle(PickContext.EMPTY).attachment());
    }
    assertEquals(Set.of("result-a", "result-b"), attachments);
    h.acquire();
    h.acquire();
    assertEquals(2, lb.inFlight(a));
    h.release(Outcome.SUCCESS, 1_000);
    h.release(null, -1);
    assertEquals(0, lb.inFlight(a));
    assertEquals(1, lb.requests(a, Outcome.CANCELLED), "a null outcome counts as cancelled");

    lb.updateEndpoints(List.of(b));
    EndpointHandle gone = lb.handle(a);
    gone.acquire();
    gone.release(Outcome.SUCCESS, 1);
    assertEquals(0, lb.inFlight(a), "a detached handle balances too");
  }

  @Test
  void aHandleReleasedOnAnotherThreadBalancesInPerThreadCounts() throws Exception {
    // Random reads no in-flight count, so requests are counted in per-thread cells: a transport
    // that starts a request on one thread and ends it on another must still balance.
    LoadBalancer lb = lbs.build(lbs.builder("cells").endpoints(List.of(a, b)).policy(io.lb4j.policy.Policies.random()));
    EndpointHandle h = lb.handle(a);
    for (int i = 0; i < 3; i++) {
      h.acquire();
    }
    assertEquals(3, lb.inFlight(a));
    java.util.concurrent.ExecutorService other = java.util.concurrent.Executors.newSingleThreadExecutor();
    try {
      other.submit(() -> {
        for (int i = 0; i < 3; i++) {
          h.release(i == 0 ? Outcome.SERVER_ERROR : Outcome.SUCCESS, 1_000);
        }
      }).get(10, java.util.concurrent.TimeUnit.SECONDS);
    } finally {
      other.shutdownNow();
    }
    assertEquals(0, lb.inFlight(a));
    assertEquals(2, lb.requests(a, Outcome.SUCCESS));
    assertEquals(1, lb.requests(a, Outcome.SERVER_ERROR));
  }
}
