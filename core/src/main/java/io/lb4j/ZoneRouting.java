package io.lb4j;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Envoy's zone-aware routing ({@code ZoneAwareLoadBalancerBase}), as a pure function: given the
 * eligible endpoints per zone and the clients per zone, keep local the share of requests the local
 * zone can take and send the rest to the zones with spare capacity.
 *
 * <p>In basis points (integer arithmetic, as Envoy): {@code local% = 10000 × clients[local] / Σ
 * clients}, {@code upstream%[z] = 10000 × endpoints[z] / Σ endpoints}. If {@code upstream%[local] ≥
 * local%}, every request stays local ("direct"). Otherwise a request stays local with probability
 * {@code upstream%[local] / local%}, and the rest goes to the other zones in proportion to their
 * residual capacity {@code max(0, upstream%[z] − local%[z])} ("residual"); with no residual anywhere,
 * in proportion to their endpoints. Every endpoint then takes the same share of the fleet's
 * requests. Envoy's early exits route to all endpoints instead: fewer than two zones with endpoints
 * or with clients, no client in the local zone, or fewer than {@code minSize} endpoints.
 */
final class ZoneRouting {

  private ZoneRouting() {}

  /**
   * The decision for one level.
   *
   * @param node where requests go
   * @param shares the share of requests each zone gets, by zone
   * @param mode {@code "all"} (an early exit), {@code "direct"} or {@code "residual"}
   */
  record Split(Routing.Node node, Map<String, Double> shares, String mode) {}

  /**
   * @param chosen eligible endpoints (candidate indices) of the level
   * @param endpoints every candidate's endpoint, for its zone
   * @param clients clients per zone
   * @param leaf makes the leaf of a set of members
   */
  static Split split(int[] chosen, List<Endpoint> endpoints, String localZone, Map<String, Integer> clients,
      int minSize, Function<int[], Routing.Leaf> leaf) {
    TreeMap<String, List<Integer>> upstream = new TreeMap<>();
    for (int i : chosen) {
      upstream.computeIfAbsent(endpoints.get(i).zone(), k -> new ArrayList<>()).add(i);
    }
    long totalClients = 0;
    for (int c : clients.values()) {
      totalClients += c;
    }
    int localClients = clients.getOrDefault(localZone, 0);
    if (upstream.size() < 2 || clients.size() < 2 || localClients == 0 || chosen.length < minSize) {
      return new Split(leaf.apply(chosen), shares(upstream, chosen.length), "all");
    }
    long localPct = 10000L * localClients / totalClients;
    List<Integer> local = upstream.getOrDefault(localZone, List.of());
    long localUpstreamPct = 10000L * local.size() / chosen.length;
    if (localUpstreamPct > 0 && localUpstreamPct >= localPct) {
      return new Split(leaf.apply(Routing.toArray(local)), Map.of(localZone, 1.0), "direct");
    }
    long localBp = localPct > 0 ? localUpstreamPct * 10000 / localPct : 0;
    Map<String, Long> residual = new LinkedHashMap<>();
    long residualTotal = 0;
    for (Map.Entry<String, List<Integer>> e : upstream.entrySet()) {
      if (!e.getKey().equals(localZone)) {
        long up = 10000L * e.getValue().size() / chosen.length;
        long r = Math.max(0, up - 10000L * clients.getOrDefault(e.getKey(), 0) / totalClients);
        residual.put(e.getKey(), r);
        residualTotal += r;
      }
    }
    if (residualTotal == 0) {
      // Envoy picks a zone at random here; by size keeps the endpoints even.
      for (Map.Entry<String, Long> e : residual.entrySet()) {
        e.setValue((long) upstream.get(e.getKey()).size());
        residualTotal += e.getValue();
      }
    }
    List<Routing.Node> children = new ArrayList<>();
    List<Integer> weights = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    Map<String, Double> shares = new LinkedHashMap<>();
    // One draw for both steps: local with localBp / 10000, else zone z with its residual's part.
    long scale = Math.max(1, (10000L * residualTotal + Integer.MAX_VALUE - 1) / Integer.MAX_VALUE);
    double sum = 10000.0 * residualTotal;
    if (localBp > 0) {
      children.add(leaf.apply(Routing.toArray(local)));
      weights.add((int) (localBp * residualTotal / scale));
      labels.add("zone " + localZone);
      shares.put(localZone, localBp * residualTotal / sum);
    }
    for (Map.Entry<String, Long> e : residual.entrySet()) {
      if (e.getValue() > 0) {
        children.add(leaf.apply(Routing.toArray(upstream.get(e.getKey()))));
        weights.add((int) ((10000 - localBp) * e.getValue() / scale));
        labels.add("zone " + e.getKey());
        shares.put(e.getKey(), (10000 - localBp) * e.getValue() / sum);
      }
    }
    Routing.Node node = children.size() == 1 ? children.get(0)
        : new Routing.Choice(weights.stream().mapToInt(Integer::intValue).toArray(),
            children.toArray(new Routing.Node[0]), Draws.ZONE, labels.toArray(new String[0]));
    return new Split(node, Collections.unmodifiableMap(shares), "residual");
  }

  /** Shares by endpoint count. */
  private static Map<String, Double> shares(Map<String, List<Integer>> upstream, int total) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (Map.Entry<String, List<Integer>> e : upstream.entrySet()) {
      out.put(e.getKey(), total == 0 ? 0.0 : (double) e.getValue().size() / total);
    }
    return Collections.unmodifiableMap(out);
  }
}
