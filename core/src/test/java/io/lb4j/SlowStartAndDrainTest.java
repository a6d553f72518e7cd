package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.outlier.OutlierDetectionConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SlowStartAndDrainTest {

  private final FakeClock clock = new FakeClock();
  private final RecordingListener listener = new RecordingListener();
  private final List<LoadBalancer> opened = new ArrayList<>();

  @AfterEach
  void closeAll() {
    opened.forEach(LoadBalancer::close);
  }

  private static final Endpoint A = Endpoint.of("127.0.0.1", 30_001);
  private static final Endpoint B = Endpoint.of("127.0.0.1", 30_002).withWeight(3);
  private static final Endpoint C = Endpoint.of("127.0.0.1", 30_003);

  private LoadBalancer slowStart(TestPolicies.Capturing policy) {
    LoadBalancer lb = LoadBalancer.builder().name("ss").endpoints(List.of(A, B)).policy(policy)
        .slowStart(Duration.ofSeconds(10)).clock(clock).backgroundTasks(false).listener(listener)
        .outlierDetection(OutlierDetectionConfig.builder().maxEjectionPercent(50).build())
        .build();
    opened.add(lb);
    return lb;
  }

  @Test
  void theFirstListDoesNotRampButLaterJoinersDo() {
    TestPolicies.Capturing policy = new TestPolicies.Capturing();
    LoadBalancer lb = slowStart(policy);
    assertEquals(List.of("127.0.0.1:30001=100", "127.0.0.1:30002=300"), policy.last());
    lb.updateEndpoints(List.of(A, B, C));
    assertEquals(List.of("127.0.0.1:30001=100", "127.0.0.1:30002=300", "127.0.0.1:30003=10"), policy.last());
    clock.advance(Duration.ofMillis(500));
    lb.refresh();
    assertEquals(10, lb.state(C).effectiveWeight(), "10 % floor for the first tenth of the window");
    clock.advance(Duration.ofMillis(2_000));
    lb.refresh();
    assertEquals(25, lb.state(C).effectiveWeight());
    clock.advance(Duration.ofMillis(5_000));
    lb.refresh();
    assertEquals(75, lb.state(C).effectiveWeight());
    assertEquals("127.0.0.1:30003=75", policy.last().get(2), "the picker was rebuilt with the ramped weight");
    clock.advance(Duration.ofMillis(2_500));
    lb.refresh();
    assertEquals(100, lb.state(C).effectiveWeight());
    clock.advance(Duration.ofSeconds(60));
    lb.refresh();
    assertEquals(100, lb.state(C).effectiveWeight(), "stays at full weight");
    assertEquals(300, lb.state(B).effectiveWeight());
  }

  @Test
  void anEndpointBackFromEjectionRamps() {
    TestPolicies.Capturing policy = new TestPolicies.Capturing();
    LoadBalancer lb = slowStart(policy);
    EndpointState b = lb.state(B);
    for (int i = 0; i < 5; i++) {
      b.acquire();
      lb.onRelease(b, Outcome.SERVER_ERROR, 1);
    }
    assertEquals(EndpointStatus.EJECTED, lb.status(B));
    assertEquals(List.of("127.0.0.1:30001=100"), policy.last());
    clock.advance(Duration.ofSeconds(30));
    lb.outlierDetector().orElseThrow().sweep();
    assertEquals(EndpointStatus.HEALTHY, lb.status(B));
    assertEquals(30, b.effectiveWeight(), "weight 3 x 100 x 10 %");
    clock.advance(Duration.ofSeconds(5));
    lb.refresh();
    assertEquals(150, b.effectiveWeight());
    clock.advance(Duration.ofSeconds(5));
    lb.refresh();
    assertEquals(300, b.effectiveWeight());
  }

  @Test
  void withoutSlowStartWeightsAreTheEndpointWeights() {
    TestPolicies.Capturing policy = new TestPolicies.Capturing();
    LoadBalancer lb = LoadBalancer.builder().endpoints(List.of(A, B)).policy(policy).build();
    opened.add(lb);
    lb.updateEndpoints(List.of(A, B, C));
    assertEquals(List.of("127.0.0.1:30001=1", "127.0.0.1:30002=3", "127.0.0.1:30003=1"), policy.last());
  }

  @Test
  void drainStopsNewPicksAndLetsInFlightFinish() {
    LoadBalancer lb = LoadBalancer.builder().name("dr").endpoints(List.of(A, B, C))
        .policy(TestPolicies.roundRobin()).listener(listener).build();
    opened.add(lb);
    List<Selection> held = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      held.add(lb.pick());
    }
    assertEquals(2, lb.inFlight(A));
    lb.drain(A);
    assertEquals(EndpointStatus.DRAINING, lb.status(A));
    assertEquals(List.of("127.0.0.1:30001 HEALTHY->DRAINING"), listener.events);
    for (int i = 0; i < 20; i++) {
      Selection s = lb.pick();
      assertNotEquals(A, s.endpoint());
      s.release(Outcome.SUCCESS, 1);
    }
    assertTrue(lb.endpoints().contains(A), "a drained endpoint stays listed");
    held.forEach(s -> s.release(Outcome.SUCCESS, 1));
    assertEquals(0, lb.inFlight(A));
    assertEquals(2, lb.requests(A, Outcome.SUCCESS));

    // Removal drains the same way; the status says DRAINING while requests are in flight.
    Selection onB = null;
    for (int i = 0; i < 4 && onB == null; i++) {
      Selection s = lb.pick();
      if (s.endpoint().equals(B)) {
        onB = s;
      } else {
        s.release(Outcome.SUCCESS, 1);
      }
    }
    lb.updateEndpoints(List.of(A, C));
    assertEquals(EndpointStatus.DRAINING, lb.status(B));
    assertEquals(1, lb.inFlight(B));
    assertTrue(listener.events.contains("127.0.0.1:30002 HEALTHY->DRAINING"), listener.events.toString());
    onB.release(Outcome.SUCCESS, 1);
    assertEquals(0, lb.inFlight(B));
    assertEquals(EndpointStatus.UNKNOWN, lb.status(B));

    lb.drain(C);
    NoEndpointAvailableException ex = assertThrows(NoEndpointAvailableException.class, lb::pick);
    assertEquals("load balancer 'dr': all 2 endpoints are unavailable (0 ejected, 0 unhealthy, 2 draining)",
        ex.getMessage());
    assertFalse(lb.inPanic());
  }

  @Test
  void emptyListSaysSo() {
    LoadBalancer lb = LoadBalancer.builder().name("empty").endpoints(List.of()).build();
    opened.add(lb);
    NoEndpointAvailableException ex = assertThrows(NoEndpointAvailableException.class, lb::pick);
    assertEquals("load balancer 'empty' has no endpoints: the endpoint list is empty", ex.getMessage());
  }
}
