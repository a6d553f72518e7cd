package io.lb4j;

import static io.lb4j.Rejects.rejects;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.discovery.StaticEndpointSource;
import io.lb4j.health.HealthCheckConfig;
import io.lb4j.health.ProbeResult;
import io.lb4j.policy.Policies;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The facade: builder validation, empty and duplicate lists, drain, status, release rules, state across updates. */
class LoadBalancerFacadeTest {

  private static final Endpoint A = Endpoint.parse("10.0.0.1:80");
  private static final Endpoint B = Endpoint.parse("10.0.0.2:80");
  private static final Endpoint C = Endpoint.parse("[2001:db8::3]:80");

  private final List<LoadBalancer> open = new ArrayList<>();

  @AfterEach
  void closeAll() {
    open.forEach(LoadBalancer::close);
  }

  private LoadBalancer lb(Endpoint... endpoints) {
    LoadBalancer lb = LoadBalancer.builder().name("t").endpoints(List.of(endpoints))
        .policy(Policies.roundRobin()).backgroundTasks(false).build();
    open.add(lb);
    return lb;
  }

  @Test
  void builderValidatesEveryField() {
    LoadBalancer.Builder b = LoadBalancer.builder();
    rejects(() -> b.name(null), "name");
    rejects(() -> b.name(" "), "name");
    rejects(() -> b.endpoints(null), "endpoints");
    rejects(() -> b.endpointSource(null), "endpointSource");
    rejects(() -> b.policy(null), "policy");
    rejects(() -> b.panicThreshold(-0.01), "panicThreshold", "-0.01");
    rejects(() -> b.panicThreshold(1.01), "panicThreshold", "1.01");
    rejects(() -> b.panicThreshold(Double.NaN), "panicThreshold", "NaN");
    rejects(() -> b.slowStart(null), "slowStart");
    rejects(() -> b.slowStart(Duration.ofSeconds(-1)), "slowStart", "-1s");
    rejects(() -> b.meterRegistry(null), "meterRegistry");
    rejects(() -> b.clock(null), "clock");
    rejects(() -> b.outlierDetection(null), "outlierDetection");
    rejects(() -> b.healthCheck(null, e -> CompletableFuture.completedFuture(ProbeResult.healthy("ok"))), "healthCheck");
    rejects(() -> b.healthCheck(HealthCheckConfig.builder().build(), null), "probe");
    rejects(() -> b.listener(null), "listener");
    rejects(() -> b.localZone(""), "localZone");
    rejects(() -> LoadBalancer.builder().endpoints(List.of(A)).endpointSource(StaticEndpointSource.of(A)).build(),
        "endpoints", "endpointSource");
    rejects(() -> LoadBalancer.builder().endpoints(List.of(A, Endpoint.parse("10.0.0.1:80").withWeight(2))).build(),
        "duplicate", "10.0.0.1:80");
    // the edges of the ranges are accepted
    b.panicThreshold(0.0).panicThreshold(1.0).slowStart(Duration.ZERO).clock(Clock.systemUTC());
  }

  @Test
  void defaultsAreP2cAndTheBalancerName() {
    LoadBalancer lb = LoadBalancer.builder().endpoints(List.of(A)).backgroundTasks(false).build();
    open.add(lb);
    assertEquals("p2c", lb.policy().name());
    assertEquals("default", lb.name());
  }

  @Test
  void emptyListSaysEmpty() {
    LoadBalancer lb = lb();
    NoEndpointAvailableException e = assertThrows(NoEndpointAvailableException.class, lb::pick);
    assertTrue(e.getMessage().contains("empty"), e.getMessage());
    lb.updateEndpoints(List.of(A));
    assertEquals(A, pickAndRelease(lb));
    lb.updateEndpoints(List.of());
    e = assertThrows(NoEndpointAvailableException.class, lb::pick);
    assertTrue(e.getMessage().contains("empty"), e.getMessage());
  }

  @Test
  void allDrainedIsADifferentMessage() {
    LoadBalancer lb = lb(A, B);
    lb.drain(A);
    lb.drain(B);
    NoEndpointAvailableException e = assertThrows(NoEndpointAvailableException.class, lb::pick);
    assertTrue(e.getMessage().contains("all 2 endpoints"), e.getMessage());
    assertTrue(!e.getMessage().contains("empty"), e.getMessage());
  }

  @Test
  void duplicateAddressIsRejectedByNameAndTheOldListKept() {
    LoadBalancer lb = lb(A, B);
    rejects(() -> lb.updateEndpoints(List.of(A, C, Endpoint.parse("[2001:0db8:0::3]:80"))),
        "duplicate", "[2001:db8::3]:80");
    rejects(() -> lb.updateEndpoints(null), "endpoints");
    List<Endpoint> withNull = new ArrayList<>();
    withNull.add(A);
    withNull.add(null);
    rejects(() -> lb.updateEndpoints(withNull), "null", "index 1");
    assertEquals(List.of(A, B), lb.endpoints());
  }

  @Test
  void endpointsKeepInsertionOrderAndAreImmutable() {
    LoadBalancer lb = lb(C, A, B);
    assertEquals(List.of(C, A, B), lb.endpoints());
    lb.updateEndpoints(List.of(B, C));
    assertEquals(List.of(B, C), lb.endpoints());
    assertThrows(UnsupportedOperationException.class, () -> lb.endpoints().add(A));
  }

  @Test
  void drainStopsNewPicksWhileInFlightRequestsFinish() {
    LoadBalancer lb = lb(A, B);
    Selection held = lb.begin(A);
    lb.drain(A);
    assertEquals(EndpointStatus.DRAINING, lb.status(A));
    assertEquals(List.of(A, B), lb.endpoints(), "a drained endpoint stays listed");
    for (int i = 0; i < 50; i++) {
      assertEquals(B, pickAndRelease(lb));
    }
    assertEquals(1, lb.inFlight(A));
    held.release(Outcome.SUCCESS, 1_000);
    assertEquals(0, lb.inFlight(A));
    lb.drain(A); // idempotent
    rejects(() -> lb.drain(C), "[2001:db8::3]:80", "not known");
    rejects(() -> lb.drain(null), "endpoint");
  }

  @Test
  void statusCoversPresentUnknownAndLeaving() {
    LoadBalancer lb = lb(A, B);
    assertEquals(EndpointStatus.HEALTHY, lb.status(A));
    assertEquals(EndpointStatus.UNKNOWN, lb.status(C));
    Selection held = lb.begin(B);
    lb.updateEndpoints(List.of(A));
    assertEquals(EndpointStatus.DRAINING, lb.status(B), "removed with a request in flight");
    assertEquals(1, lb.inFlight(B));
    held.release(Outcome.SUCCESS, 0);
    assertEquals(EndpointStatus.UNKNOWN, lb.status(B), "gone once the last request ended");
    assertEquals(0, lb.inFlight(B));
    rejects(() -> lb.status(null), "endpoint");
  }

  @Test
  void doubleReleaseIsIgnored() {
    LoadBalancer lb = lb(A);
    Selection s = lb.pick();
    assertEquals(1, lb.inFlight(A));
    s.release(Outcome.SERVER_ERROR, 10);
    s.release(Outcome.SERVER_ERROR, 10);
    s.release(Outcome.SUCCESS, 10);
    assertEquals(0, lb.inFlight(A));
    assertEquals(1, lb.requests(A, Outcome.SERVER_ERROR));
    assertEquals(0, lb.requests(A, Outcome.SUCCESS));
  }

  @Test
  void releaseWithNullOutcomeReleasesAsCancelledThenThrows() {
    LoadBalancer lb = lb(A);
    Selection s = lb.pick();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.release(null, 5));
    assertTrue(e.getMessage().contains("outcome"), e.getMessage());
    assertEquals(0, lb.inFlight(A), "no in-flight count leaks");
    assertEquals(1, lb.requests(A, Outcome.CANCELLED));
    s.release(Outcome.SUCCESS, 5); // already released: ignored
    assertEquals(0, lb.requests(A, Outcome.SUCCESS));
    assertEquals(0, lb.inFlight(A));
  }

  @Test
  void recycledSelectionsStayCorrect() throws Exception {
    LoadBalancer lb = lb(A, B);
    // Beyond the per-thread pool: every selection must still release its own endpoint once.
    List<Selection> held = new ArrayList<>();
    for (int i = 0; i < SelectionPool.MAX_POOLED * 2 + 3; i++) {
      held.add(lb.pick());
    }
    assertEquals(held.size(), lb.inFlight(A) + lb.inFlight(B));
    // released on another thread: back to the picking thread's pool, from where they are reused
    ExecutorService other = Executors.newSingleThreadExecutor();
    try {
      other.submit(() -> held.forEach(s -> s.release(Outcome.SUCCESS, 1))).get(10, TimeUnit.SECONDS);
    } finally {
      other.shutdownNow();
    }
    assertEquals(0, lb.inFlight(A) + lb.inFlight(B));
    Set<Selection> reused = new HashSet<>();
    for (int i = 0; i < 100; i++) {
      Selection s = lb.pick();
      Endpoint e = s.endpoint();
      assertEquals(1, lb.inFlight(e), "a reused selection is armed for its new endpoint");
      reused.add(s);
      s.release(Outcome.SUCCESS, 1);
      assertEquals(0, lb.inFlight(e));
    }
    assertTrue(held.containsAll(reused), "steady-state picks reuse pooled selections");
    assertEquals(held.size(), lb.requests(A, Outcome.SUCCESS) + lb.requests(B, Outcome.SUCCESS) - 100);
  }

  @Test
  void aSelectionIsNotReusedWhileHeld() {
    LoadBalancer lb = lb(A);
    Selection first = lb.pick();
    Selection second = lb.pick();
    assertNotSame(first, second);
    first.release(Outcome.SUCCESS, 0);
    Selection third = lb.pick();
    assertSame(first, third, "the released one is recycled");
    assertEquals(2, lb.inFlight(A));
    second.release(Outcome.SUCCESS, 0);
    third.release(Outcome.SUCCESS, 0);
    assertEquals(0, lb.inFlight(A));
  }

  @Test
  void stateSurvivesUpdatesForEndpointsThatStay() {
    LoadBalancer lb = lb(A, B);
    Selection held = lb.begin(A);
    lb.begin(B).release(Outcome.TIMEOUT, 1);
    pickUntil(lb, A).release(Outcome.SERVER_ERROR, 1);
    lb.updateEndpoints(List.of(C, A.withWeight(3), B));
    assertEquals(1, lb.inFlight(A), "in-flight count kept");
    assertEquals(1, lb.requests(A, Outcome.SERVER_ERROR), "counters kept");
    assertEquals(1, lb.requests(B, Outcome.TIMEOUT));
    assertEquals(3, lb.endpoints().get(1).weight(), "the new weight is taken over");
    held.release(Outcome.SUCCESS, 1);
    assertEquals(0, lb.inFlight(A));
    assertEquals(1, lb.requests(A, Outcome.SUCCESS));
    // removed and re-added while a request is in flight: the same state comes back
    Selection again = lb.begin(B);
    lb.updateEndpoints(List.of(A));
    lb.updateEndpoints(List.of(A, B));
    assertEquals(1, lb.inFlight(B));
    again.release(Outcome.SUCCESS, 1);
    assertEquals(0, lb.inFlight(B));
    assertEquals(EndpointStatus.HEALTHY, lb.status(B));
  }

  @Test
  void closedBalancerRefusesPicks() {
    LoadBalancer lb = lb(A);
    lb.close();
    lb.close();
    assertThrows(IllegalStateException.class, lb::pick);
    rejects(() -> lb(A).pick(null), "ctx");
  }

  private static Endpoint pickAndRelease(LoadBalancer lb) {
    Selection s = lb.pick();
    Endpoint e = s.endpoint();
    s.release(Outcome.SUCCESS, 0);
    return e;
  }

  /** Picks (releasing the others) until the wanted endpoint comes up; bounded. */
  private static Selection pickUntil(LoadBalancer lb, Endpoint wanted) {
    for (int i = 0; i < 1000; i++) {
      Selection s = lb.pick();
      if (s.endpoint().equals(wanted)) {
        return s;
      }
      s.release(Outcome.SUCCESS, 0);
    }
    throw new AssertionError(wanted + " not picked in 1000 picks");
  }
}
