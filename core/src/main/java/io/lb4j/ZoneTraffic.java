package io.lb4j;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Requests started per zone, when zone routing is on: one striped counter per zone, made the first
 * time a rebuild meets the zone and kept for the balancer's life (a counter never goes back), read
 * by {@link LoadBalancer#zoneRequests()} and the {@code lb4j.zone.requests} meter. Each endpoint's
 * state holds its zone's counter, so a start costs one striped increment. Thread-safe.
 */
final class ZoneTraffic {

  private final String localZone;
  private final Map<String, LongAdder> byZone = new ConcurrentHashMap<>();

  ZoneTraffic(String localZone) {
    this.localZone = localZone;
  }

  /** The counter of {@code zone}, made (and registered with {@code metrics}) on first use. */
  LongAdder counter(String zone, BalancerMetrics metrics) {
    return byZone.computeIfAbsent(zone, z -> {
      LongAdder a = new LongAdder();
      metrics.zoneAdded(z, z.equals(localZone), a);
      return a;
    });
  }

  /** Requests started so far, by zone, sorted. */
  Map<String, Long> counts() {
    Map<String, Long> out = new TreeMap<>();
    byZone.forEach((z, a) -> out.put(z, a.sum()));
    return out;
  }
}
