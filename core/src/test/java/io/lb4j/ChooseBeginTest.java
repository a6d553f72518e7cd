package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
}
