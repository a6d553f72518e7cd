package io.lb4j;

import static io.lb4j.EndpointStatus.DRAINING;
import static io.lb4j.EndpointStatus.EJECTED;
import static io.lb4j.EndpointStatus.HEALTHY;
import static io.lb4j.EndpointStatus.UNHEALTHY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.SnapshotBuilder.Candidate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The pure routing stages: Envoy's priority-load vectors (load_balancer_impl_base_test.cc), the
 * zone-aware worked examples (zone_aware.rst, round_robin_lb_test.cc), Finagle's aperture vectors
 * (ApertureTest.scala), and the subset routes. No balancer, no threads.
 */
class RoutingTest {

  /** A fleet under construction: candidates and their endpoints, in the same order. */
  private static final class Fleet {
    final List<Candidate> candidates = new ArrayList<>();
    final List<Endpoint> endpoints = new ArrayList<>();

    /** {@code total} endpoints of one level, the first {@code healthy} of them healthy, the rest unhealthy. */
    Fleet level(int priority, int total, int healthy) {
      for (int i = 0; i < total; i++) {
        add(Endpoint.of("10.0." + priority + "." + (endpoints.size() + 1), 80).withPriority(priority),
            i < healthy ? HEALTHY : UNHEALTHY);
      }
      return this;
    }

    Fleet zone(String zone, int n) {
      for (int i = 0; i < n; i++) {
        add(Endpoint.of("10.1.0." + (endpoints.size() + 1), 80).withZone(zone), HEALTHY);
      }
      return this;
    }

    Fleet add(Endpoint e, EndpointStatus status) {
      endpoints.add(e);
      // Unhealthy, not known dead: the Envoy vectors count it as merely ineligible.
      candidates.add(new Candidate(status, status != DRAINING, e.zone()));
      return this;
    }

    Routing.Plan plan(Routing.Settings s, Peers peers) {
      return Routing.plan(candidates, endpoints, s, peers, "t", null);
    }

    Routing.Plan plan(double panicThreshold) {
      return plan(Routing.Settings.of(panicThreshold, null), Peers.UNKNOWN);
    }
  }

  private static List<Integer> loads(Routing.Plan p) {
    return new ArrayList<>(p.main().levelLoads().values());
  }

  // ---- priority levels: Envoy's vectors ----

  @Test
  void overprovisioningFactorSplitsTwoHalfHealthyLevels70To30() {
    Fleet f = new Fleet().level(0, 4, 2).level(1, 4, 2);
    assertEquals(List.of(70, 30), loads(f.plan(0.5)));
    Routing.Settings of100 = new Routing.Settings(0.5, null, 100, 6, null, null);
    assertEquals(List.of(50, 50), loads(f.plan(of100, Peers.UNKNOWN)));
  }

  @Test
  void gentleFailover() {
    assertEquals(List.of(70, 30), loads(new Fleet().level(0, 2, 1).level(1, 2, 1).plan(0.5)));
    Routing.Plan p = new Fleet().level(0, 4, 1).level(1, 2, 2).plan(0.5);
    assertEquals(List.of(35, 65), loads(p));
    assertFalse(p.main().panic(), "total availability 100: no level panics");
    assertArrayEquals(new int[] {0, 4, 5}, p.main().chosen(), "level 0 keeps only its healthy endpoint");
    Routing.Plan both = new Fleet().level(0, 4, 1).level(1, 4, 1).plan(0.5);
    assertEquals(List.of(50, 50), loads(both), "every level in panic: shares by endpoint count");
    assertTrue(both.main().panic());
  }

  @Test
  void gentleFailoverWithExtraLevels() {
    // 4 of 16 healthy = 35 % each: (35, 35, 30), no panic (not below half? 25 % is below: but the total is 100)
    assertEquals(List.of(35, 35, 30), loads(new Fleet().level(0, 16, 4).level(1, 16, 4).level(2, 16, 4).plan(0.5)));
    // 1 of 5 = 28 % each, total 84 < 100, all in panic: by counts (34, 33, 33)
    assertEquals(List.of(34, 33, 33), loads(new Fleet().level(0, 5, 1).level(1, 5, 1).level(2, 5, 1).plan(0.5)));
  }

  @Test
  void spillOverWorkedExample() {
    // P0: 8 endpoints, 5 healthy: 140 × 5 / 8 = 87; P1 all healthy.
    Routing.Plan p = new Fleet().level(0, 8, 5).level(1, 4, 4).plan(0.5);
    assertEquals(List.of(87, 13), loads(p));
    Map<Integer, Double> shares = shares(p.main().root(), p.main().chosen().length);
    assertEquals(0.87 / 5, shares.get(0), 1e-9);
    assertEquals(0.13 / 4, shares.get(8), 1e-9);
  }

  @Test
  void levelZeroKeepsEverythingAbove71Percent() {
    assertEquals(List.of(100, 0), loads(new Fleet().level(0, 100, 72).level(1, 10, 10).plan(0.5)));
    assertEquals(List.of(99, 1), loads(new Fleet().level(0, 100, 71).level(1, 10, 10).plan(0.5)));
    assertEquals(List.of(70, 30), loads(new Fleet().level(0, 100, 50).level(1, 10, 10).plan(0.5)));
    assertEquals(List.of(35, 65), loads(new Fleet().level(0, 100, 25).level(1, 10, 10).plan(0.5)));
  }

  @Test
  void oneLevelIsTheOldBehaviour() {
    Routing.Plan p = new Fleet().level(0, 4, 1).plan(0.5);
    assertEquals(Map.of(0, 100), p.main().levelLoads());
    assertTrue(p.main().panic(), "1 of 4 below half: panic, as before levels");
    assertTrue(p.main().root() instanceof Routing.Leaf);
  }

  @Test
  void emptyLevelsGiveTheWholeGroupsMessage() {
    Fleet f = new Fleet().level(0, 2, 0).level(1, 2, 0);
    Routing.Plan p = f.plan(0.0);
    assertNull(p.main().root());
    assertEquals("load balancer 't': all 4 endpoints are unavailable (0 ejected, 4 unhealthy, 0 draining)",
        p.main().unavailable());
  }

  @Test
  void distributeAndByCountMatchEnvoysRounding() {
    assertArrayEquals(new int[] {37, 35, 28}, Routing.distribute(new int[] {35, 35, 28}, 98));
    assertArrayEquals(new int[] {34, 66}, Routing.byCount(new int[] {1, 2}));
    assertArrayEquals(new int[] {0, 0}, Routing.byCount(new int[] {0, 0}));
  }

  // ---- zones ----

  private static Routing.Settings zoned(String local) {
    return new Routing.Settings(0.5, local, 140, 6, null, null);
  }

  /** Zone a: 1 endpoint, b: 3, c: 6 (10/30/60 %); clients 1/1/1. */
  @Test
  void zoneAwareWorkedExample() {
    Fleet f = new Fleet().zone("a", 1).zone("b", 3).zone("c", 6);
    Peers peers = Peers.UNKNOWN.withZones(Map.of("a", 1, "b", 1, "c", 1));
    Map<String, Double> a = f.plan(zoned("a"), peers).main().zoneShares();
    assertEquals(0.30, a.get("a"), 1e-9);
    assertEquals(0.70, a.get("c"), 1e-9);
    assertNull(a.get("b"), "b has no residual capacity");
    Map<String, Double> b = f.plan(zoned("b"), peers).main().zoneShares();
    assertEquals(0.90, b.get("b"), 1e-9);
    assertEquals(0.10, b.get("c"), 1e-9);
    assertEquals(Map.of("c", 1.0), f.plan(zoned("c"), peers).main().zoneShares(), "direct");
    // Summed over the three clients, each endpoint gets a tenth.
    double[] perEndpoint = new double[10];
    for (String z : List.of("a", "b", "c")) {
      Routing.Route r = f.plan(zoned(z), peers).main();
      shares(r.root(), 10).forEach((i, s) -> perEndpoint[i] += s / 3);
    }
    for (double s : perEndpoint) {
      assertEquals(0.1, s, 1e-9);
    }
  }

  @Test
  void zoneAwareDocsExample() {
    // Envoy's docs: clients 40/40/20, upstream 25/50/25: 62.5 % local, the rest 2:1 (b has 1000, c 500 spare).
    Fleet f = new Fleet().zone("a", 2).zone("b", 4).zone("c", 2);
    Peers peers = Peers.UNKNOWN.withZones(Map.of("a", 2, "b", 2, "c", 1));
    Map<String, Double> s = f.plan(zoned("a"), peers).main().zoneShares();
    assertEquals(0.625, s.get("a"), 1e-9);
    assertEquals(0.375 * 2 / 3, s.get("b"), 1e-9);
    assertEquals(0.375 / 3, s.get("c"), 1e-9);
  }

  @Test
  void zoneAwareEarlyExitsAndTheOldPreference() {
    Fleet small = new Fleet().zone("a", 1).zone("b", 2);
    Peers peers = Peers.UNKNOWN.withZones(Map.of("a", 5, "b", 5));
    Routing.Route r = small.plan(zoned("a"), peers).main();
    assertEquals(3, shares(r.root(), 3).size(), "fewer than 6 endpoints: every zone");
    Fleet f = new Fleet().zone("a", 3).zone("b", 3);
    Routing.Route oneClientZone = f.plan(zoned("a"), Peers.UNKNOWN.withZones(Map.of("a", 4))).main();
    assertEquals(6, shares(oneClientZone.root(), 6).size(), "clients in one zone only: every zone");
    Routing.Route unknown = f.plan(zoned("a"), Peers.UNKNOWN).main();
    assertEquals(3, shares(unknown.root(), 6).size(), "clients unknown: the local-zone preference");
    assertTrue(unknown.legacyZone().local());
  }

  // ---- aperture: Finagle's vectors ----

  private static Fleet servers(int n) {
    Fleet f = new Fleet();
    for (int i = 0; i < n; i++) {
      f.add(Endpoint.of("10.2." + (i / 250) + "." + (i % 250 + 1), 80), HEALTHY);
    }
    return f;
  }

  private static Routing.Settings aperture(Aperture a) {
    return new Routing.Settings(0.5, null, 140, 6, a, null);
  }

  @Test
  void deterministicApertureOneOfFourOver18Servers() {
    Fleet f = servers(18);
    Routing.Route r = f.plan(aperture(Aperture.deterministic(12)), Peers.of(1, 4)).main();
    // k = ceil(12 × 4 / 18) = 3, width 3/4: ring positions 4.5 .. 18, the first one cut in half.
    int[] ring = ApertureRing.order(all(18), f.endpoints, ApertureRing.RING_SEED);
    Map<Integer, Double> shares = shares(r.root(), 18);
    assertEquals(14, shares.size());
    double unit = 1.0 / 13.5;
    assertEquals(unit / 2, shares.get(ring[4]), 1e-9);
    for (int pos = 5; pos < 18; pos++) {
      assertEquals(unit, shares.get(ring[pos]), 1e-9, "position " + pos);
    }
  }

  @Test
  void deterministicApertureCoversEveryServerEqually() {
    for (int[] cn : new int[][] {{12, 24}, {4, 18}, {7, 20}, {10, 100}, {100, 10}, {3, 50}}) {
      int clients = cn[0];
      int n = cn[1];
      Fleet f = servers(n);
      double[] load = new double[n];
      for (int c = 0; c < clients; c++) {
        Routing.Route r = f.plan(aperture(Aperture.deterministic(12)), Peers.of(c, clients)).main();
        shares(r.root(), n).forEach((i, s) -> load[i] += s);
        long k = (Math.min(12, n) * (long) clients + n - 1) / n;
        double aperture = Math.min(n, (double) k * n / clients);
        assertTrue(r.chosen().length <= Math.ceil(aperture) + 1, clients + "x" + n + ": " + r.chosen().length
            + " connections for an aperture of " + aperture);
      }
      for (double l : load) {
        assertEquals((double) clients / n, l, 1e-9, clients + " clients x " + n + " servers");
      }
    }
  }

  @Test
  void deterministicApertureWidensWhenEndpointsAreIneligible() {
    Fleet f = new Fleet();
    for (int i = 0; i < 100; i++) {
      f.add(Endpoint.of("10.3.0." + (i + 1), 80), i % 10 == 0 ? EJECTED : HEALTHY);
    }
    Routing.Route r = f.plan(aperture(Aperture.deterministic(12)), Peers.of(3, 100)).main();
    // E = 90: k = ceil(12 × 100 / 90) = 14 arcs of one endpoint each.
    assertEquals(14, r.chosen().length + ineligibleIn(f, r), "14 endpoints in the arc");
    assertTrue(r.chosen().length >= 6);
  }

  private static int ineligibleIn(Fleet f, Routing.Route r) {
    // the arc's ejected members are not chosen (no panic); count them from the ring
    int[] ring = ApertureRing.order(all(f.endpoints.size()), f.endpoints, ApertureRing.RING_SEED);
    int ineligible = 0;
    for (int pos = 3 * 1; pos < 3 + 14; pos++) {
      ineligible += f.candidates.get(ring[pos]).status() == HEALTHY ? 0 : 1;
    }
    return ineligible;
  }

  @Test
  void randomSubsettingTakesTheLowestScores() {
    Fleet f = servers(50);
    Routing.Route r = f.plan(aperture(Aperture.random(10, 42)), Peers.UNKNOWN).main();
    int[] order = ApertureRing.order(all(50), f.endpoints, 42);
    assertEquals(10, r.chosen().length);
    for (int k = 0; k < 10; k++) {
      int member = order[k];
      assertTrue(java.util.Arrays.stream(r.chosen()).anyMatch(i -> i == member), "score rank " + k);
    }
  }

  private static int[] all(int n) {
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = i;
    }
    return out;
  }

  // ---- subsets ----

  @Test
  void subsetsGetTheirOwnRoutesWithTheirOwnPanic() {
    Fleet f = new Fleet();
    for (int i = 0; i < 6; i++) {
      f.add(Endpoint.of("10.4.0." + (i + 1), 80).withMetadata(Map.of("version", i < 3 ? "v1" : "v2")),
          i == 3 || i == 4 ? EJECTED : HEALTHY);
    }
    f.add(Endpoint.of("10.4.0.9", 80), HEALTHY); // no version: in no subset
    SubsetConfig cfg = SubsetConfig.builder().selector("version").build();
    Routing.Plan p = f.plan(new Routing.Settings(0.5, null, 140, 6, null, cfg), Peers.UNKNOWN);
    assertEquals(2, p.subsets().size());
    assertArrayEquals(new int[] {0, 1, 2}, p.subsets().get(Subset.of("version", "v1")).chosen());
    Routing.Route v2 = p.subsets().get(Subset.of("version", "v2"));
    assertTrue(v2.panic(), "1 of 3 v2 endpoints eligible: the subset panics on its own");
    assertArrayEquals(new int[] {3, 4, 5}, v2.chosen());
    assertFalse(p.main().panic(), "5 of 7 overall");
  }

  @Test
  void defaultSubsetIsPlannedWhenItIsTheFallback() {
    Fleet f = new Fleet();
    f.add(Endpoint.of("10.5.0.1", 80).withMetadata(Map.of("version", "v1", "stable", "yes")), HEALTHY);
    f.add(Endpoint.of("10.5.0.2", 80).withMetadata(Map.of("version", "v2")), HEALTHY);
    SubsetConfig cfg = SubsetConfig.builder().selector("version").fallback(SubsetConfig.Fallback.DEFAULT_SUBSET)
        .defaultSubset(Subset.of("stable", "yes")).build();
    Routing.Plan p = f.plan(new Routing.Settings(0.5, null, 140, 6, null, cfg), Peers.UNKNOWN);
    assertArrayEquals(new int[] {0}, p.defaultSubset().chosen());
    SubsetConfig none = SubsetConfig.builder().selector("version").fallback(SubsetConfig.Fallback.DEFAULT_SUBSET)
        .defaultSubset(Subset.of("stable", "no")).build();
    Routing.Route empty = f.plan(new Routing.Settings(0.5, null, 140, 6, null, none), Peers.UNKNOWN).defaultSubset();
    assertNull(empty.root());
    assertEquals("load balancer 't': no endpoint matches the default subset {stable=no}", empty.unavailable());
  }

  @Test
  void subsetConfigRefusesBadDeclarations() {
    assertThrows(IllegalArgumentException.class, () -> SubsetConfig.builder().build());
    assertThrows(IllegalArgumentException.class, () -> SubsetConfig.builder().selector("a", "a"));
    assertThrows(IllegalArgumentException.class, () -> SubsetConfig.builder().selector("a").selector("a"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SubsetConfig.builder().selector("a").fallback(SubsetConfig.Fallback.DEFAULT_SUBSET).build());
    assertEquals("fallback DEFAULT_SUBSET needs defaultSubset(...)", e.getMessage());
  }

  /**
   * The probability each candidate index is picked under {@code node}: weighted choices multiply
   * down, a leaf splits its share evenly (times each member's aperture share, renormalised).
   */
  static Map<Integer, Double> shares(Routing.Node node, int n) {
    Map<Integer, Double> out = new TreeMap<>();
    walk(node, 1.0, out);
    return out;
  }

  private static void walk(Routing.Node node, double p, Map<Integer, Double> out) {
    if (node instanceof Routing.Choice c) {
      long sum = 0;
      for (int w : c.weights()) {
        sum += w;
      }
      for (int k = 0; k < c.children().length; k++) {
        walk(c.children()[k], p * c.weights()[k] / sum, out);
      }
      return;
    }
    Routing.Leaf leaf = (Routing.Leaf) node;
    double total = 0;
    for (int k = 0; k < leaf.members().length; k++) {
      total += leaf.accept() == null ? 1 : leaf.accept()[k];
    }
    for (int k = 0; k < leaf.members().length; k++) {
      double a = leaf.accept() == null ? 1 : leaf.accept()[k];
      out.merge(leaf.members()[k], p * a / total, Double::sum);
    }
  }

  @Test
  void sharesHelperSumsToOne() {
    Routing.Plan p = new Fleet().level(0, 8, 5).level(1, 4, 4).plan(0.5);
    double sum = shares(p.main().root(), 12).values().stream().mapToDouble(Double::doubleValue).sum();
    assertEquals(1.0, sum, 1e-9);
    assertEquals(new LinkedHashMap<>(Map.of(0, 87, 1, 13)), new LinkedHashMap<>(p.main().levelLoads()));
  }
}
