package io.lb4j.zookeeper;

import io.lb4j.Endpoint;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When a removal from the registry may reach the balancer: published endpoints that are missing
 * from the registry stay "in limbo" (Finagle's word for it) until they have been gone for the quiet
 * period, and none leaves while the client is disconnected or within the quiet period after it
 * reconnected. Times are {@link System#nanoTime()} values passed in, so tests drive them. Used on
 * one source's events thread only; not thread-safe.
 */
final class Limbo {

  private static final Logger log = LoggerFactory.getLogger(ZooKeeperEndpointSource.class);
  private static final Comparator<Endpoint> BY_ADDRESS = Comparator.comparing(Endpoint::address);

  private final long quietNanos;
  /** Published endpoints missing from the registry, by address. */
  private final Map<String, Endpoint> members = new LinkedHashMap<>();
  /** Since when each member is missing. */
  private final Map<String, Long> since = new HashMap<>();
  /** Members whose quiet period ended since the last delivery: they must not come back into limbo. */
  private final Set<String> expired = new HashSet<>();
  private boolean disconnected;
  /** When the client last reconnected, or null. */
  private Long reconnectedAt;
  private long nextExpiryIn = Long.MAX_VALUE;

  Limbo(long quietNanos) {
    this.quietNanos = quietNanos;
  }

  /** The client lost its connection (SUSPENDED or LOST): nothing expires until it reconnects. */
  void disconnected() {
    disconnected = true;
  }

  /** The client reconnected at {@code now}: nothing expires for the quiet period after it. */
  void reconnected(long now) {
    disconnected = false;
    reconnectedAt = now;
  }

  /**
   * The list to publish at {@code now}: the registered endpoints, plus the published ones that are
   * missing from the registry and still in their quiet period; sorted by address, immutable.
   */
  List<Endpoint> merge(List<Endpoint> registered, List<Endpoint> published, long now) {
    Map<String, Endpoint> next = new LinkedHashMap<>();
    for (Endpoint e : registered) {
      next.put(e.address(), e);
    }
    for (Endpoint e : published) {
      String address = e.address();
      if (!next.containsKey(address) && !expired.contains(address) && members.putIfAbsent(address, e) == null) {
        since.put(address, now);
        log.debug("{} left the registry; kept for the quiet period", address);
      }
    }
    nextExpiryIn = Long.MAX_VALUE;
    for (Iterator<Map.Entry<String, Endpoint>> it = members.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Endpoint> member = it.next();
      String address = member.getKey();
      if (next.containsKey(address)) {
        log.debug("{} is back within the quiet period", address);
        since.remove(address);
        it.remove();
        continue;
      }
      long gone = since.get(address);
      // Gone since before the reconnect: the quiet period counts from the reconnect.
      long from = reconnectedAt != null && reconnectedAt - gone > 0 ? reconnectedAt : gone;
      long expiresIn = from + quietNanos - now;
      if (!disconnected && expiresIn <= 0) {
        log.debug("{} gone for the quiet period; removing it", address);
        since.remove(address);
        expired.add(address);
        it.remove();
      } else {
        next.put(address, member.getValue());
        if (!disconnected) {
          nextExpiryIn = Math.min(nextExpiryIn, expiresIn);
        }
      }
    }
    List<Endpoint> out = new ArrayList<>(next.values());
    out.sort(BY_ADDRESS);
    return List.copyOf(out);
  }

  /**
   * Nanoseconds from the last {@link #merge} until the next member's quiet period ends, or
   * {@link Long#MAX_VALUE} if none will end by itself (no members, or disconnected: the reconnect
   * then starts the count).
   */
  long nextExpiryIn() {
    return nextExpiryIn;
  }

  /** The addresses in limbo now. */
  Set<String> addresses() {
    return Set.copyOf(members.keySet());
  }

  /** The merged list was delivered: it no longer holds the expired members, so they may enter limbo again. */
  void delivered() {
    expired.clear();
  }
}
