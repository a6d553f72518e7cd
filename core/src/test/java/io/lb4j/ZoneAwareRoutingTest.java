package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.lb4j.health.HealthCheckConfig;
import io.lb4j.health.ProbeResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import io.lb4j.testing.Balancers;
import io.lb4j.testing.TestPolicies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Builder.localZone: local endpoints while at least panicThreshold of them are healthy, else all. */
class ZoneAwareRoutingTest {

  @RegisterExtension
  final Balancers lbs = new Balancers();

  private static List<Endpoint> zone(String zone, int first, int n) {
    List<Endpoint> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(Endpoint.of("10.0.0." + (first + i), 80).withZone(zone));
    }
    return out;
  }

  /** The addresses picked over enough picks to visit every endpoint of the rotation. */
  private static Set<String> picked(LoadBalancer lb) {
    Set<String> seen = new TreeSet<>();
    for (int i = 0; i < 40; i++) {
      Selection s = lb.pick();
      seen.add(s.endpoint().address());
      s.release(Outcome.SUCCESS, 1);
    }
    return seen;
  }

  private static Set<String> addresses(List<Endpoint> endpoints) {
    Set<String> out = new TreeSet<>();
    endpoints.forEach(e -> out.add(e.address()));
    return out;
  }

  @Test
  void localZoneLosesEndpointsOneByOneThenSpillsOverAndComesBack() {
    List<Endpoint> local = zone("eu-1a", 1, 4);
    List<Endpoint> remote = zone("eu-1b", 11, 4);
    List<Endpoint> all = new ArrayList<>(local);
    all.addAll(remote);
    Set<Endpoint> down = ConcurrentHashMap.newKeySet();
    HealthCheckConfig checks = HealthCheckConfig.builder().unhealthyThreshold(1).healthyThreshold(1).build();
    LoadBalancer lb = lbs.build(lbs.builder("zones").endpoints(all).localZone("eu-1a").panicThreshold(0.5)
        .healthCheck(checks, e -> CompletableFuture.completedFuture(
            down.contains(e) ? ProbeResult.unhealthy("down") : ProbeResult.healthy("up"))));
    lbs.probeRound(lb);
    assertEquals(addresses(local), picked(lb), "all local healthy: local only");

    // 3 of 4, then 2 of 4 local endpoints healthy: still >= 0.5 of the zone, stay local.
    for (int lost = 1; lost <= 2; lost++) {
      down.add(local.get(lost - 1));
      lbs.probeRound(lb);
      assertEquals(addresses(local.subList(lost, 4)), picked(lb), lost + " local endpoints down");
    }

    // 1 of 4: below the threshold, spill over to every eligible endpoint in any zone.
    down.add(local.get(2));
    lbs.probeRound(lb);
    Set<String> spill = addresses(remote);
    spill.add(local.get(3).address());
    assertEquals(spill, picked(lb));
    assertFalse(lb.inPanic(), "5 of 8 eligible overall: spill-over, not panic");

    // None left locally: the remote zone carries everything.
    down.add(local.get(3));
    lbs.probeRound(lb);
    assertEquals(addresses(remote), picked(lb));

    // Two come back: 2 of 4 again, local only.
    down.remove(local.get(0));
    down.remove(local.get(1));
    lbs.probeRound(lb);
    assertEquals(addresses(local.subList(0, 2)), picked(lb));
  }

  @Test
  void noEndpointInTheLocalZoneMeansAllZones() {
    List<Endpoint> remote = zone("eu-1b", 11, 3);
    try (LoadBalancer lb = LoadBalancer.builder().endpoints(remote).policy(TestPolicies.roundRobin())
        .localZone("eu-1a").build()) {
      assertEquals(addresses(remote), picked(lb));
    }
  }

  @Test
  void withoutALocalZoneEveryZoneIsUsed() {
    List<Endpoint> all = new ArrayList<>(zone("eu-1a", 1, 2));
    all.addAll(zone("eu-1b", 11, 2));
    try (LoadBalancer lb = LoadBalancer.builder().endpoints(all).policy(TestPolicies.roundRobin()).build()) {
      assertEquals(addresses(all), picked(lb));
    }
  }
}
