package io.lb4j.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.Endpoint;
import io.lb4j.LoadBalancer;
import io.lb4j.Outcome;
import io.lb4j.Selection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Load-aware policies reading the live in-flight counts that held selections create. */
class PoliciesThroughLoadBalancerTest {

  private static final List<Endpoint> FOUR = List.of(
      Endpoint.parse("10.0.0.1:80"), Endpoint.parse("10.0.0.2:80"),
      Endpoint.parse("10.0.0.3:80"), Endpoint.parse("10.0.0.4:80"));

  /** Holds {@code loads[i]} selections on endpoint i; returns them for release. */
  private static List<Selection> hold(LoadBalancer lb, int... loads) {
    List<Selection> held = new ArrayList<>();
    for (int i = 0; i < loads.length; i++) {
      for (int j = 0; j < loads[i]; j++) {
        held.add(lb.begin(FOUR.get(i)));
      }
    }
    return held;
  }

  private static Map<Endpoint, Integer> pickAndRelease(LoadBalancer lb, int picks) {
    Map<Endpoint, Integer> counts = new HashMap<>();
    for (int i = 0; i < picks; i++) {
      Selection s = lb.pick();
      counts.merge(s.endpoint(), 1, Integer::sum);
      s.release(Outcome.SUCCESS, 1_000);
    }
    return counts;
  }

  @Test
  void p2cReadsTheLiveInFlightOfHeldSelections() {
    try (LoadBalancer lb = LoadBalancer.builder().endpoints(FOUR).policy(Policies.powerOfTwoChoices()).build()) {
      List<Selection> held = hold(lb, 1, 2, 2, 3);
      Map<Endpoint, Integer> counts = pickAndRelease(lb, 20_000);
      assertEquals(null, counts.get(FOUR.get(3)), "most loaded picked: " + counts);
      // the least loaded wins each of the 3 pairs it is in (of 6): half the picks
      assertEquals(0.5, counts.get(FOUR.get(0)) / 20_000.0, 0.03, counts.toString());
      held.forEach(s -> s.release(Outcome.SUCCESS, 0));
      for (Endpoint e : FOUR) {
        assertEquals(0, lb.inFlight(e));
      }
    }
  }

  @Test
  void leastRequestWithFullChoiceAlwaysTakesTheLeastLoaded() {
    try (LoadBalancer lb = LoadBalancer.builder().endpoints(FOUR).policy(Policies.leastRequest(4, 1.0)).build()) {
      List<Selection> held = hold(lb, 2, 1, 3, 2);
      assertEquals(Map.of(FOUR.get(1), 1_000), pickAndRelease(lb, 1_000));
      held.forEach(s -> s.release(Outcome.SUCCESS, 0));
    }
  }

  @Test
  void weightedLeastRequestFollowsLiveLoad() {
    List<Endpoint> two = List.of(FOUR.get(0), FOUR.get(1).withWeight(4));
    try (LoadBalancer lb = LoadBalancer.builder().endpoints(two).policy(Policies.leastRequest(2, 1.0)).build()) {
      assertEquals(0.8, pickAndRelease(lb, 50_000).get(two.get(1)) / 50_000.0, 0.03, "no load: 20/80");
      // 3 in flight on the heavy one: 4 / (3 + 1) = 1 against 1 / (0 + 1) = 1
      List<Selection> held = hold(lb, 0, 3);
      double share = pickAndRelease(lb, 50_000).get(two.get(1)) / 50_000.0;
      assertEquals(0.5, share, 0.03);
      held.forEach(s -> s.release(Outcome.SUCCESS, 0));
      assertTrue(lb.inFlight(two.get(1)) == 0);
    }
  }
}
