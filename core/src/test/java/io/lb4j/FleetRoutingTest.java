package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.discovery.StaticEndpointSource;
import io.lb4j.health.HealthCheckConfig;
import io.lb4j.health.ProbeResult;
import io.lb4j.testing.Balancers;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Priority levels, zone-aware routing, peers and aperture through the balancer (fake probes, fake clock). */
class FleetRoutingTest {

  @RegisterExtension
  final Balancers lbs = new Balancers();

  private final Set<Endpoint> down = ConcurrentHashMap.newKeySet();

  private LoadBalancer.Builder checked(String name, List<Endpoint> endpoints) {
    HealthCheckConfig checks = HealthCheckConfig.builder().unhealthyThreshold(1).healthyThreshold(1).build();
    return lbs.builder(name).endpoints(endpoints).healthCheck(checks, e -> CompletableFuture.completedFuture(
        down.contains(e) ? ProbeResult.unhealthy("down") : ProbeResult.healthy("up")));
  }

  private static List<Endpoint> level(int priority, int n) {
    List<Endpoint> out = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      out.add(Endpoint.of("10.0." + priority + "." + i, 80).withPriority(priority));
    }
    return out;
  }

  /** Envoy: health = min(100, 140 × healthy / total); level 0 takes health %, level 1 the rest. */
  private static int envoyLevel0(int healthy, int total) {
    return Math.min(100, 140 * healthy / total);
  }

  @Test
  void killingLevelZeroOneByOneSpillsByEnvoysFormula() {
    List<Endpoint> p0 = level(0, 10);
    List<Endpoint> all = new ArrayList<>(p0);
    all.addAll(level(1, 5));
    LoadBalancer lb = lbs.build(checked("levels", all));
    lbs.probeRound(lb);
    assertEquals(Map.of(0, 100, 1, 0), lb.priorityLoads());
    for (int dead = 1; dead <= 10; dead++) {
      down.add(p0.get(dead - 1));
      lbs.probeRound(lb);
      int healthy = 10 - dead;
      int expected = envoyLevel0(healthy, 10);
      assertEquals(Map.of(0, expected, 1, 100 - expected), lb.priorityLoads(), dead + " of level 0 down");
      // Level 1 is fully healthy, so the total is 100 and level 0 never panics: it keeps only its healthy ones.
      int onLevel1 = 0;
      int n = 4_000;
      for (int i = 0; i < n; i++) {
        Selection s = lb.pick();
        assertTrue(s.endpoint().priority() == 1 || !down.contains(s.endpoint()), "picked a dead level-0 endpoint");
        onLevel1 += s.endpoint().priority();
        s.release(Outcome.SUCCESS, 1);
      }
      double p = (100 - expected) / 100.0;
      double sd = Math.sqrt(n * p * (1 - p));
      assertEquals(n * p, onLevel1, 5 * sd + 1, dead + " down: requests on level 1");
    }
    assertEquals(Map.of(0, 0, 1, 100), lb.priorityLoads());
    down.clear();
    lbs.probeRound(lb);
    assertEquals(Map.of(0, 100, 1, 0), lb.priorityLoads(), "recovered");
  }

  @Test
  void hashedRequestsKeepTheirLevel() {
    List<Endpoint> all = new ArrayList<>(level(0, 4));
    all.addAll(level(1, 4));
    LoadBalancer lb = lbs.build(checked("levels", all));
    down.addAll(level(0, 4).subList(0, 2));
    lbs.probeRound(lb);
    assertEquals(Map.of(0, 70, 1, 30), lb.priorityLoads());
    for (long h = 0; h < 200; h++) {
      int expected = Long.remainderUnsigned(h, 100) < 70 ? 0 : 1;
      assertEquals(expected, lb.pick(PickContext.ofHash(h)).endpoint().priority(), "hash " + h);
    }
  }

  @Test
  void priorityMetadataIsCheckedByName() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Endpoint.of("10.0.0.1", 80).withMetadata(Map.of(Endpoint.PRIORITY_KEY, "first")));
    assertEquals("lb4j.priority must be an integer in 0..2147483647, was 'first' (endpoint 10.0.0.1:80)",
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Endpoint.of("10.0.0.1", 80).withPriority(-1));
    assertEquals(3, Endpoint.of("10.0.0.1", 80).withMetadata(Map.of(Endpoint.PRIORITY_KEY, " 03")).priority());
    assertEquals(Map.of(), Endpoint.of("10.0.0.1", 80).withPriority(2).withPriority(0).metadata());
  }

  @Test
  void priorityLoadGaugesFollowTheLevels() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    List<Endpoint> all = new ArrayList<>(level(0, 2));
    all.addAll(level(1, 2));
    LoadBalancer lb = lbs.build(checked("gauges", all).meterRegistry(registry));
    down.add(all.get(0));
    lbs.probeRound(lb);
    assertEquals(70, registry.get("lb4j.priority.load").tag("priority", "0").gauge().value());
    assertEquals(30, registry.get("lb4j.priority.load").tag("priority", "1").gauge().value());
    lb.updateEndpoints(level(0, 2));
    assertTrue(registry.find("lb4j.priority.load").gauges().isEmpty(), "one level: no gauges");
  }

  // ---- zones ----

  private static List<Endpoint> zones(int a, int b, int c) {
    List<Endpoint> out = new ArrayList<>();
    int[] sizes = {a, b, c};
    String[] names = {"a", "b", "c"};
    for (int z = 0; z < 3; z++) {
      for (int i = 1; i <= sizes[z]; i++) {
        out.add(Endpoint.of("10.1." + z + "." + i, 80).withZone(names[z]));
      }
    }
    return out;
  }

  @Test
  void zoneAwareRoutingSendsTheResidualToZonesWithSpareCapacity() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    LoadBalancer lb = lbs.build(lbs.builder("zones").endpoints(zones(1, 3, 6)).localZone("a")
        .peers(Peers.UNKNOWN.withZones(Map.of("a", 10, "b", 10, "c", 10))).meterRegistry(registry));
    assertEquals(0.30, lb.zoneShares().get("a"), 1e-9);
    assertEquals(0.70, lb.zoneShares().get("c"), 1e-9);
    int n = 10_000;
    for (int i = 0; i < n; i++) {
      lb.pick().release(Outcome.SUCCESS, 1);
    }
    Map<String, Long> counts = lb.zoneRequests();
    assertEquals(3000, counts.get("a"), 5 * Math.sqrt(n * 0.3 * 0.7));
    assertEquals(n - counts.get("a"), counts.get("c"));
    assertEquals(counts.get("a").doubleValue(),
        registry.get("lb4j.zone.requests").tag("zone", "a").tag("local", "true").functionCounter().count());
    // Clients move: zone a now holds only a tenth of them, which its tenth of the endpoints can serve.
    lb.updatePeers(Peers.UNKNOWN.withZones(Map.of("a", 1, "b", 3, "c", 6)));
    assertEquals(Map.of("a", 1.0), lb.zoneShares());
  }

  @Test
  void zoneRoutingWithoutClientZonesKeepsTheLocalPreference() {
    LoadBalancer lb = lbs.build(lbs.builder("zones").endpoints(zones(1, 3, 6)).localZone("a"));
    for (int i = 0; i < 50; i++) {
      Selection s = lb.pick();
      assertEquals("a", s.endpoint().zone());
      s.release(Outcome.SUCCESS, 1);
    }
    assertEquals(Map.of("a", 50L, "b", 0L, "c", 0L), lb.zoneRequests());
  }

  @Test
  void levelZoneAndApertureChoicesAllocateOnlyTheSelection() {
    List<Endpoint> all = new ArrayList<>();
    for (Endpoint e : zones(3, 3, 6)) {
      all.add(e);
    }
    for (Endpoint e : level(1, 6)) {
      all.add(e.withZone("a"));
    }
    LoadBalancer lb = lbs.build(checked("alloc", all).policy(io.lb4j.policy.Policies.powerOfTwoChoices())
        .localZone("a").peers(Peers.UNKNOWN.withZones(Map.of("a", 5, "b", 1, "c", 1))).zoneRoutingMinSize(1));
    down.addAll(all.subList(4, 11)); // 5 of level 0's 12 left: below the aperture, which widens to all
    lbs.probeRound(lb);
    assertTrue(lb.priorityLoads().get(1) > 0, "both levels take traffic: " + lb.priorityLoads());
    // 7 clients over 12 endpoints, 5 wanted: k = 3 client arcs, 5.14 endpoints wide, cut at both ends
    LoadBalancer edges = lbs.build(lbs.builder("edges").endpoints(zones(3, 3, 6))
        .policy(io.lb4j.policy.Policies.powerOfTwoChoices()).peers(Peers.of(2, 7)).aperture(Aperture.deterministic(5)));
    LoadBalancer[] both = {lb, edges};
    com.sun.management.ThreadMXBean mx =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    PickContext[] contexts = new PickContext[64];
    for (int i = 0; i < contexts.length; i++) {
      contexts[i] = i % 2 == 0 ? PickContext.EMPTY : PickContext.ofHash(i * 0x9e3779b97f4a7c15L);
    }
    for (int i = 0; i < 300_000; i++) {
      both[i & 1].pick(contexts[i & 63]).release(Outcome.SUCCESS, 1);
    }
    long tid = Thread.currentThread().getId();
    long before = mx.getThreadAllocatedBytes(tid);
    for (int i = 0; i < 200_000; i++) {
      both[i & 1].pick(contexts[i & 63]).release(Outcome.SUCCESS, 1);
    }
    long allocated = mx.getThreadAllocatedBytes(tid) - before;
    assertTrue(allocated <= 200_000L * 24 + 16_384, "allocated " + allocated + " bytes over 200,000 picks");
  }

  // ---- peers and aperture ----

  @Test
  void peersFromARegistrationList() {
    List<Endpoint> clients = List.of(Endpoint.of("10.9.0.3", 1).withZone("b"), Endpoint.of("10.9.0.1", 1).withZone("a"),
        Endpoint.of("10.9.0.2", 1).withZone("a"));
    assertEquals(new Peers(1, 3, Map.of("a", 2, "b", 1)), Peers.fromList(clients, Endpoint.of("10.9.0.2", 1)));
    assertEquals(new Peers(-1, 0, Map.of("a", 2, "b", 1)), Peers.fromList(clients, Endpoint.of("10.9.0.9", 1)));
    assertThrows(IllegalArgumentException.class, () -> Peers.of(3, 3));
  }

  @Test
  void peerSourceSetsThePositionTheApertureUses() {
    List<Endpoint> backends = new ArrayList<>();
    for (int i = 1; i <= 100; i++) {
      backends.add(Endpoint.of("10.2.0." + i, 80));
    }
    List<Endpoint> clients = new ArrayList<>();
    for (int i = 1; i <= 10; i++) {
      clients.add(Endpoint.of("10.8.0." + i, 9000));
    }
    StaticEndpointSource source = StaticEndpointSource.of(clients);
    LoadBalancer lb = lbs.build(lbs.builder("aperture").endpoints(backends).aperture(Aperture.deterministic(12))
        .peerSource(source, Endpoint.of("10.8.0.4", 9000)));
    assertEquals(Peers.fromList(clients, Endpoint.of("10.8.0.4", 9000)), lb.peers());
    Set<Endpoint> used = new HashSet<>();
    for (int i = 0; i < 2_000; i++) {
      Selection s = lb.pick();
      used.add(s.endpoint());
      s.release(Outcome.SUCCESS, 1);
    }
    // 10 clients, 100 backends: k = ceil(12 × 10 / 100) = 2 client arcs of 10 endpoints
    assertEquals(20, used.size());
    source.update(clients.subList(0, 5));
    assertEquals(new Peers(3, 5, Map.of("", 5)), lb.peers());
  }
}
