package io.lb4j;

import io.lb4j.policy.Picker;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything a pick and the read-only methods need, swapped as a unit with one volatile write by
 * each rebuild and never mutated after publication.
 *
 * @param main the route of requests that name no subset
 * @param subsets the subset routes and the traffic split; null without subsets
 * @param leaves every policy picker in use, by what it was built from, to reuse it when a rebuild
 *     changes nothing it reads
 * @param version the registry version the lists below were made at
 * @param endpoints the present endpoints, in insertion order
 * @param byAddress the present endpoints' states by address
 * @param byEndpoint the same states keyed by the exact {@link Endpoint} objects handed out, so that
 *     {@link LoadBalancer#begin} finds them without building an address string
 * @param panic whether the balancer is in panic mode
 * @param counts present endpoints per status
 * @param levelLoads percent of the main route's requests per priority level
 * @param zoneShares share of the first level's requests per zone (zone-aware routing)
 */
record Snapshot(
    PickRoute main,
    SubsetRoutes subsets,
    Map<PickerKey, Picker> leaves,
    long version,
    List<Endpoint> endpoints,
    Map<String, EndpointState> byAddress,
    IdentityHashMap<Endpoint, EndpointState> byEndpoint,
    boolean panic,
    StatusCounts counts,
    Map<Integer, Integer> levelLoads,
    Map<String, Double> zoneShares) {

  /** Before the first list: nothing to pick, and why. */
  static Snapshot empty(String unavailable) {
    return new Snapshot(PickRoute.none(unavailable), null, Map.of(), -1, List.of(), Map.of(), new IdentityHashMap<>(),
        false, StatusCounts.NONE, Map.of(), Map.of());
  }

  /** The same lists with no picker: after {@code close()}. */
  Snapshot closed(String why) {
    return new Snapshot(PickRoute.none(why), null, Map.of(), version, endpoints, byAddress, byEndpoint, false, counts,
        levelLoads, zoneShares);
  }

  /** The main route's picker; null when nothing can be picked. */
  Picker picker() {
    return main.picker();
  }

  /** Why a pick without a subset finds nothing, when {@link #picker()} is null. */
  String unavailable() {
    return main.unavailable();
  }
}
