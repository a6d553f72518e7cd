package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.testing.Balancers;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Subsets and traffic splits through the balancer: routes, fallbacks, splits, stickiness, no allocation. */
class SubsetsTest {

  @RegisterExtension
  final Balancers lbs = new Balancers();

  private static final Subset V1 = Subset.of("version", "v1");
  private static final Subset V2 = Subset.of("version", "v2");

  /** Three v1 endpoints (.1-.3) and three v2 (.4-.6). */
  private static List<Endpoint> twoVersions() {
    List<Endpoint> out = new ArrayList<>();
    for (int i = 1; i <= 6; i++) {
      out.add(Endpoint.of("10.0.0." + i, 80).withMetadata(Map.of("version", i <= 3 ? "v1" : "v2")));
    }
    return out;
  }

  private static Set<String> picked(LoadBalancer lb, PickContext ctx, int n) {
    Set<String> seen = new TreeSet<>();
    for (int i = 0; i < n; i++) {
      Selection s = lb.pick(ctx);
      seen.add(s.endpoint().metadata().getOrDefault("version", "-") + "@" + s.endpoint().host());
      s.release(Outcome.SUCCESS, 1);
    }
    return seen;
  }

  private LoadBalancer balancer(SubsetConfig.Fallback fallback) {
    SubsetConfig.Builder cfg = SubsetConfig.builder().selector("version").fallback(fallback);
    if (fallback == SubsetConfig.Fallback.DEFAULT_SUBSET) {
      cfg.defaultSubset(V1);
    }
    return lbs.build(lbs.builder("subsets").endpoints(twoVersions()).subsets(cfg.build()));
  }

  @Test
  void aSubsetRequestPicksOnlyItsSubsetAndOthersPickAll() {
    LoadBalancer lb = balancer(SubsetConfig.Fallback.NO_FALLBACK);
    assertEquals(Set.of("v2@10.0.0.4", "v2@10.0.0.5", "v2@10.0.0.6"), picked(lb, PickContext.ofSubset(V2), 30));
    assertEquals(6, picked(lb, PickContext.EMPTY, 30).size());
    assertEquals(Set.of("v1@10.0.0.1", "v1@10.0.0.2", "v1@10.0.0.3"),
        picked(lb, PickContext.ofKey("user-1").withSubset(V1), 30), "a hash keeps its subset");
  }

  @Test
  void anEmptiedSubsetFollowsItsFallback() {
    List<Endpoint> onlyV1 = twoVersions().subList(0, 3);
    LoadBalancer none = balancer(SubsetConfig.Fallback.NO_FALLBACK);
    none.updateEndpoints(onlyV1);
    NoEndpointAvailableException e = assertThrows(NoEndpointAvailableException.class,
        () -> none.pick(PickContext.ofSubset(V2)));
    assertEquals("load balancer 'subsets': no endpoint matches subset {version=v2} and the subset fallback is "
        + "NO_FALLBACK", e.getMessage());

    LoadBalancer any = balancer(SubsetConfig.Fallback.ANY_ENDPOINT);
    any.updateEndpoints(onlyV1);
    assertEquals(3, picked(any, PickContext.ofSubset(V2), 30).size(), "any endpoint: the three v1s");

    LoadBalancer dflt = balancer(SubsetConfig.Fallback.DEFAULT_SUBSET);
    dflt.updateEndpoints(twoVersions().subList(0, 3));
    assertEquals(Set.of("v1@10.0.0.1", "v1@10.0.0.2", "v1@10.0.0.3"), picked(dflt, PickContext.ofSubset(V2), 30));
    dflt.updateEndpoints(twoVersions().subList(3, 6));
    assertEquals(Set.of("v2@10.0.0.4", "v2@10.0.0.5", "v2@10.0.0.6"), picked(dflt, PickContext.ofSubset(V2), 30));
    NoEndpointAvailableException noDefault = assertThrows(NoEndpointAvailableException.class,
        () -> dflt.pick(PickContext.ofSubset(Subset.of("version", "v3"))));
    assertEquals("load balancer 'subsets': no endpoint matches the default subset {version=v1}",
        noDefault.getMessage());
  }

  @Test
  void aSubsetWithNoEligibleEndpointPanicsInsteadOfFallingBack() {
    LoadBalancer lb = lbs.build(lbs.builder("subsets").endpoints(twoVersions())
        .subsets(SubsetConfig.builder().selector("version").fallback(SubsetConfig.Fallback.ANY_ENDPOINT).build())
        .outlierDetection(io.lb4j.outlier.OutlierDetectionConfig.builder().consecutiveFailures(1)
            .maxEjectionPercent(100).build()));
    for (Endpoint e : twoVersions().subList(3, 6)) {
      lb.begin(e).release(Outcome.SERVER_ERROR, 1);
      lbs.clock.runDue();
    }
    assertEquals(EndpointStatus.EJECTED, lb.status(twoVersions().get(3)));
    assertEquals(3, picked(lb, PickContext.ofSubset(V2), 30).size(), "v2 panics within itself: all three v2s");
    assertTrue(picked(lb, PickContext.ofSubset(V2), 30).stream().allMatch(s -> s.startsWith("v2")));
  }

  @Test
  void undeclaredKeysAndMissingSubsetsAreRefusedByName() {
    LoadBalancer lb = balancer(SubsetConfig.Fallback.ANY_ENDPOINT);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> lb.pick(PickContext.ofSubset(Subset.of("shard", "7"))));
    assertEquals("subset {shard=7} uses keys [shard], which no subset selector declares (declared: [[version]])",
        e.getMessage());
    LoadBalancer plain = lbs.of(Endpoint.of("10.0.0.1", 80));
    IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
        () -> plain.pick(PickContext.ofSubset(V1)));
    assertEquals("load balancer 't' declares no subsets; the request asks for {version=v1} (see "
        + "LoadBalancer.Builder.subsets)", none.getMessage());
    assertThrows(IllegalArgumentException.class, () -> lbs.builder("x").endpoints(twoVersions())
        .subsets(SubsetConfig.builder().selector("version").build())
        .trafficSplit(TrafficSplit.byRequest("shard", Map.of("1", 1))).build());
  }

  @Test
  void splitByRequestHoldsWithinBinomialBounds() {
    TrafficSplit split = TrafficSplit.byRequest("version", Map.of("v1", 95, "v2", 5));
    LoadBalancer lb = lbs.build(lbs.builder("split").endpoints(twoVersions()).trafficSplit(split));
    int n = 10_000;
    int v2 = count(lb, n, i -> PickContext.EMPTY, "v2");
    // mean 500, sd sqrt(10,000 × 0.05 × 0.95) = 21.8: five sd either side
    assertTrue(v2 >= 391 && v2 <= 609, v2 + " of 10,000 to v2");
    split.weights(Map.of("v1", 50, "v2", 50));
    int half = count(lb, n, i -> PickContext.EMPTY, "v2");
    assertTrue(half >= 4750 && half <= 5250, half + " of 10,000 to v2 after the change");
    assertEquals(Map.of("v1", 50, "v2", 50), lb.trafficSplit().orElseThrow().weights());
  }

  @Test
  void splitByHashKeepsEachUserOnOneSideAndMovesUsersOnlyIntoTheGrowingSide() {
    TrafficSplit split = TrafficSplit.byHash("version", Map.of("v1", 90, "v2", 10));
    LoadBalancer lb = lbs.build(lbs.builder("split").endpoints(twoVersions()).trafficSplit(split));
    Map<String, String> side = new HashMap<>();
    int users = 2_000;
    for (int u = 0; u < users; u++) {
      for (int r = 0; r < 5; r++) {
        Selection s = lb.pick(PickContext.ofKey("user-" + u));
        String v = s.endpoint().metadata().get("version");
        s.release(Outcome.SUCCESS, 1);
        String before = side.putIfAbsent("user-" + u, v);
        assertTrue(before == null || before.equals(v), "user-" + u + " went to " + before + " and " + v);
      }
    }
    long onV2 = side.values().stream().filter("v2"::equals).count();
    // 10 % of 2,000 users: mean 200, sd 13.4
    assertTrue(onV2 >= 133 && onV2 <= 267, onV2 + " of 2,000 users on v2");
    split.weights(Map.of("v1", 70, "v2", 30));
    int moved = 0;
    for (Map.Entry<String, String> e : side.entrySet()) {
      Selection s = lb.pick(PickContext.ofKey(e.getKey()));
      String now = s.endpoint().metadata().get("version");
      s.release(Outcome.SUCCESS, 1);
      if (e.getValue().equals("v2")) {
        assertEquals("v2", now, e.getKey() + " was on v2 and must stay there while v2 grows");
      } else if (now.equals("v2")) {
        moved++;
      }
    }
    assertTrue(moved > 0, "some v1 users moved to the growing v2");
  }

  @Test
  void aRequestNamingItsSubsetOverridesTheSplit() {
    TrafficSplit split = TrafficSplit.byRequest("version", new LinkedHashMap<>(Map.of("v1", 100, "v2", 0)));
    LoadBalancer lb = lbs.build(lbs.builder("split").endpoints(twoVersions()).trafficSplit(split));
    assertEquals(0, count(lb, 200, i -> PickContext.EMPTY, "v2"));
    assertEquals(200, count(lb, 200, i -> PickContext.ofSubset(V2), "v2"));
  }

  @Test
  void badSplitsAreRefusedByName() {
    IllegalArgumentException neg = assertThrows(IllegalArgumentException.class,
        () -> TrafficSplit.byRequest("version", Map.of("v1", -1)));
    assertEquals("split weight of version=v1 must be >= 0, was -1", neg.getMessage());
    assertThrows(IllegalArgumentException.class, () -> TrafficSplit.byRequest("version", Map.of("v1", 0)));
    assertThrows(IllegalArgumentException.class, () -> TrafficSplit.byRequest(" ", Map.of("v1", 1)));
    TrafficSplit s = TrafficSplit.byRequest("version", Map.of("v1", 1));
    assertThrows(IllegalArgumentException.class, () -> s.weights(Map.of()));
    assertEquals(Map.of("v1", 1), s.weights(), "a refused update keeps the old weights");
  }

  @Test
  void subsetAndSplitPicksAllocateOnlyTheSelection() {
    TrafficSplit split = TrafficSplit.byHash("version", Map.of("v1", 90, "v2", 10));
    LoadBalancer lb = lbs.build(lbs.builder("alloc").endpoints(twoVersions()).trafficSplit(split)
        .policy(io.lb4j.policy.Policies.powerOfTwoChoices()));
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    PickContext[] contexts = new PickContext[64];
    for (int i = 0; i < contexts.length; i++) {
      contexts[i] = i % 2 == 0 ? PickContext.ofHash(i * 0x9e3779b97f4a7c15L) : PickContext.ofSubset(i % 4 == 1 ? V1 : V2);
    }
    run(lb, contexts, 300_000);
    long tid = Thread.currentThread().getId();
    long before = mx.getThreadAllocatedBytes(tid);
    run(lb, contexts, 200_000);
    long allocated = mx.getThreadAllocatedBytes(tid) - before;
    assertTrue(allocated <= 200_000L * 24 + 16_384, "allocated " + allocated + " bytes over 200,000 picks");
  }

  private static void run(LoadBalancer lb, PickContext[] contexts, int n) {
    for (int i = 0; i < n; i++) {
      lb.pick(contexts[i & 63]).release(Outcome.SUCCESS, 1);
    }
  }

  private static int count(LoadBalancer lb, int n, java.util.function.IntFunction<PickContext> ctx, String version) {
    int hits = 0;
    for (int i = 0; i < n; i++) {
      Selection s = lb.pick(ctx.apply(i));
      hits += version.equals(s.endpoint().metadata().get("version")) ? 1 : 0;
      s.release(Outcome.SUCCESS, 1);
    }
    return hits;
  }
}
