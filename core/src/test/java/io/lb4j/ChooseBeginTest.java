package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.policy.Policies;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChooseBeginTest {

  private final Endpoint a = Endpoint.parse("10.0.0.1:80");
  private final Endpoint b = Endpoint.parse("10.0.0.2:80");

  @Test
  void chooseCountsNothingAndBeginCountsUntilRelease() {
    try (LoadBalancer lb = LoadBalancer.builder().endpoints(List.of(a, b)).policy(Policies.random()).build()) {
      for (int i = 0; i < 100; i++) {
        Endpoint e = lb.choose(PickContext.EMPTY);
        assertTrue(e.equals(a) || e.equals(b), "chose " + e);
      }
      assertEquals(0, lb.inFlight(a) + lb.inFlight(b));
      Selection s = lb.begin(a);
      assertEquals(a, s.endpoint());
      assertEquals(1, lb.inFlight(a));
      s.release(Outcome.SUCCESS, 1_000);
      assertEquals(0, lb.inFlight(a));
    }
  }

  @Test
  void beginOnARemovedEndpointStillBalances() {
    try (LoadBalancer lb = LoadBalancer.builder().endpoints(List.of(a, b)).build()) {
      lb.updateEndpoints(List.of(b));
      Selection s = lb.begin(a);
      assertEquals(a, s.endpoint());
      s.release(Outcome.CANCELLED, -1);
      assertEquals(0, lb.inFlight(a));
      assertEquals(EndpointStatus.UNKNOWN, lb.status(a));
    }
  }

  @Test
  void chooseOnEmptyBalancerSaysWhy() {
    try (LoadBalancer lb = LoadBalancer.builder().build()) {
      NoEndpointAvailableException e = assertThrows(NoEndpointAvailableException.class, () -> lb.choose(PickContext.EMPTY));
      assertTrue(e.getMessage().contains("empty"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> lb.begin(null));
    }
  }

  @Test
  void aRetryAvoidsTriedEndpointsWhileAnotherIsPickable() {
    Endpoint c = Endpoint.parse("10.0.0.3:80");
    try (LoadBalancer lb = LoadBalancer.builder().endpoints(List.of(a, b, c)).policy(Policies.maglev(1021)).build()) {
      PickContext key = PickContext.ofKey("user-7");
      Endpoint first = lb.choose(key);
      assertEquals(first, lb.choose(key, List.of()), "nothing tried: the policy's choice");
      for (int i = 0; i < 50; i++) {
        Endpoint second = lb.choose(key, List.of(first));
        assertNotEquals(first, second, "the same hash would pick the same endpoint again");
        Endpoint third = lb.choose(key, List.of(first, second));
        assertTrue(!third.equals(first) && !third.equals(second), "the one left");
      }
      // Compared by address: another weight is the same endpoint.
      assertNotEquals(first, lb.choose(key, List.of(first.withWeight(9))));
      // Everything tried: pick as if nothing had been.
      assertEquals(first, lb.choose(key, List.of(a, b, c)));
      Selection s = lb.pick(key, List.of(first));
      assertNotEquals(first, s.endpoint());
      assertEquals(1, lb.inFlight(s.endpoint()));
      s.release(Outcome.SUCCESS, 1);
    }
  }

  @Test
  void aRetryKeepsToPickableEndpoints() {
    Endpoint c = Endpoint.parse("10.0.0.3:80");
    try (LoadBalancer lb = LoadBalancer.builder().endpoints(List.of(a, b, c)).policy(Policies.roundRobin()).build()) {
      lb.drain(c);
      for (int i = 0; i < 20; i++) {
        assertEquals(b, lb.choose(PickContext.EMPTY, List.of(a)), "never the drained one");
      }
      assertTrue(lb.isPickable(a) && lb.isPickable(b));
      assertFalse(lb.isPickable(c), "drained");
      assertFalse(lb.isPickable(Endpoint.parse("10.9.9.9:80")), "unknown");
      assertThrows(IllegalArgumentException.class, () -> lb.isPickable(null));
      assertTrue(lb.unavailableReason().isEmpty());
      lb.drain(a);
      lb.drain(b);
      assertEquals("load balancer 'default': all 3 endpoints are unavailable (0 ejected, 0 unhealthy, 3 draining)",
          lb.unavailableReason().orElseThrow());
      assertThrows(NoEndpointAvailableException.class, () -> lb.choose(PickContext.EMPTY, List.of(a)));
    }
  }
}
