package io.lb4j.discovery;

import io.lb4j.Endpoint;
import io.lb4j.EndpointSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Fail-over tiers from several sources, e.g. the local region's ZooKeeper service and a second
 * region's, or a primary and a backup static list: the endpoints of tier {@code i} get priority
 * level {@code i} ({@link Endpoint#priority()}, replacing whatever priority they had), so the balancer
 * sends traffic to tier 0 while it is healthy enough and spills to tier 1, 2, ... in proportion to
 * the health tier 0 lacks (see the README's "Priority levels"). An address in more than one tier
 * stays in the lowest.
 *
 * <p>Every update of any tier delivers the combined list (a tier that has delivered nothing yet
 * counts as empty); a tier's failure is passed on (a {@link DiscoveryException} as it is, anything
 * else wrapped in one naming the tier), and the combined list keeps that tier's last list. Calls to the consumers are serialised, as {@link EndpointSource} requires.
 * Closing closes every tier. Thread-safe.
 */
public final class FailoverEndpointSource implements EndpointSource {

  private final List<EndpointSource> tiers;
  private final Object lock = new Object();
  // Guarded by lock.
  private final List<List<Endpoint>> lists = new ArrayList<>();
  private boolean closed;

  private FailoverEndpointSource(List<EndpointSource> tiers) {
    if (tiers == null || tiers.isEmpty() || tiers.contains(null)) {
      throw new IllegalArgumentException("fail-over tiers must be at least one source, none null, was " + tiers);
    }
    this.tiers = List.copyOf(tiers);
    for (int i = 0; i < tiers.size(); i++) {
      lists.add(List.of());
    }
  }

  /**
   * Tier 0 first, then its fail-overs.
   *
   * @throws IllegalArgumentException if no source is given or one is null
   */
  public static FailoverEndpointSource of(EndpointSource... tiers) {
    return new FailoverEndpointSource(tiers == null ? null : Arrays.asList(tiers));
  }

  /** As {@link #of(EndpointSource...)}, from a list. */
  public static FailoverEndpointSource of(List<EndpointSource> tiers) {
    return new FailoverEndpointSource(tiers);
  }

  /** Starts every tier, in order. */
  @Override
  public void start(Consumer<List<Endpoint>> onUpdate, Consumer<Throwable> onError) {
    if (onUpdate == null || onError == null) {
      throw new IllegalArgumentException("onUpdate and onError must not be null");
    }
    for (int i = 0; i < tiers.size(); i++) {
      int tier = i;
      tiers.get(i).start(list -> {
        synchronized (lock) {
          if (!closed) {
            lists.set(tier, withPriority(list, tier));
            onUpdate.accept(combined());
          }
        }
      }, error -> {
        synchronized (lock) {
          if (!closed) {
            // lb4j's sources name themselves, the name and the server already; others get wrapped.
            onError.accept(error instanceof DiscoveryException ? error
                : new DiscoveryException(toString(), "fail-over tier " + tier, tiers.get(tier).toString(),
                    String.valueOf(error.getMessage()), error));
          }
        }
      });
    }
  }

  private static List<Endpoint> withPriority(List<Endpoint> list, int tier) {
    List<Endpoint> out = new ArrayList<>(list.size());
    for (Endpoint e : list) {
      out.add(e.priority() == tier ? e : e.withPriority(tier));
    }
    return out;
  }

  private List<Endpoint> combined() {
    Map<String, Endpoint> byAddress = new LinkedHashMap<>();
    for (List<Endpoint> l : lists) {
      for (Endpoint e : l) {
        byAddress.putIfAbsent(e.address(), e);
      }
    }
    return List.copyOf(byAddress.values());
  }

  /** Closes every tier (each failure is ignored after the others closed). Idempotent. */
  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
    }
    RuntimeException first = null;
    for (EndpointSource s : tiers) {
      try {
        s.close();
      } catch (RuntimeException e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }

  @Override
  public String toString() {
    return "FailoverEndpointSource" + tiers;
  }
}
