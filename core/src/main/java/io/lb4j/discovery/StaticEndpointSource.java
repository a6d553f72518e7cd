package io.lb4j.discovery;

import io.lb4j.Endpoint;
import io.lb4j.EndpointSource;
import io.lb4j.internal.ConfigChecks;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;

/**
 * An endpoint list held in memory: the embedded default. Give it a fixed list, or change the list
 * later with {@link #update(Collection)} (from a config reload, an admin endpoint, a test); every
 * update, changed or not, is delivered at once, on the caller's thread, to the balancer that
 * started the source. It never fails, so {@code onError} is never called.
 *
 * <pre>{@code
 * StaticEndpointSource source = StaticEndpointSource.parse("10.0.0.1:8080,10.0.0.2:8080");
 * LoadBalancer lb = LoadBalancer.builder().endpointSource(source).build();
 * source.update(List.of(Endpoint.parse("10.0.0.3:8080")));   // lb now holds only 10.0.0.3
 * }</pre>
 *
 * <p>Thread-safe: updates are serialised, so the balancer never sees two at once, and each
 * delivery is the complete list. Lists are validated when given (no nulls, no address twice), so a
 * bad list fails the caller instead of reaching the balancer.
 */
public final class StaticEndpointSource implements EndpointSource {

  private final Object lock = new Object();
  // Guarded by lock.
  private List<Endpoint> endpoints;
  private Consumer<List<Endpoint>> onUpdate;
  private boolean started;
  private boolean closed;

  private StaticEndpointSource(List<Endpoint> endpoints) {
    this.endpoints = endpoints;
  }

  /**
   * A source holding these endpoints, in this order.
   *
   * @throws IllegalArgumentException if the array or an element is null, or an address repeats
   */
  public static StaticEndpointSource of(Endpoint... endpoints) {
    if (endpoints == null) {
      throw new IllegalArgumentException("endpoints must not be null");
    }
    return of(Arrays.asList(endpoints));
  }

  /**
   * A source holding these endpoints, in this order (the collection is copied).
   *
   * @throws IllegalArgumentException if the collection or an element is null, or an address repeats
   */
  public static StaticEndpointSource of(Collection<Endpoint> endpoints) {
    return new StaticEndpointSource(ConfigChecks.endpointList("endpoints", endpoints));
  }

  /**
   * A source holding the comma-separated {@code host:port} list, e.g.
   * {@code "10.0.0.1:8080, [::1]:8080, svc.local:80"} (see {@link Endpoint#parse}). Blank items are
   * skipped, so {@code ""} is an empty list.
   *
   * @throws IllegalArgumentException if the text is null, an item does not parse (the message
   *     quotes it) or an address repeats
   */
  public static StaticEndpointSource parse(String hostPorts) {
    if (hostPorts == null) {
      throw new IllegalArgumentException("hostPorts must not be null");
    }
    List<Endpoint> list = new ArrayList<>();
    for (String item : hostPorts.split(",")) {
      if (!item.isBlank()) {
        list.add(Endpoint.parse(item));
      }
    }
    return of(list);
  }

  /** The current list, immutable. */
  public List<Endpoint> endpoints() {
    synchronized (lock) {
      return endpoints;
    }
  }

  /**
   * Replaces the list and, once started, delivers it to the balancer before returning. After
   * {@link #close()} the list is only stored.
   *
   * @throws IllegalArgumentException if the collection or an element is null, or an address
   *     repeats; the current list then stays
   */
  public void update(Collection<Endpoint> endpoints) {
    List<Endpoint> next = ConfigChecks.endpointList("endpoints", endpoints);
    synchronized (lock) {
      this.endpoints = next;
      if (started && !closed) {
        onUpdate.accept(next);
      }
    }
  }

  /**
   * Delivers the current list at once, on the calling thread, and then every {@link #update}. This
   * source never fails, so {@code onError} is never called.
   *
   * @throws IllegalStateException if called twice or after {@link #close()}
   */
  @Override
  public void start(Consumer<List<Endpoint>> onUpdate, Consumer<Throwable> onError) {
    if (onUpdate == null || onError == null) {
      throw new IllegalArgumentException("onUpdate and onError must not be null");
    }
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("StaticEndpointSource is closed");
      }
      if (started) {
        throw new IllegalStateException("StaticEndpointSource already started; a source feeds one balancer");
      }
      started = true;
      this.onUpdate = onUpdate;
      onUpdate.accept(endpoints);
    }
  }

  /** Stops delivering updates. Idempotent. */
  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
      onUpdate = null;
    }
  }

  @Override
  public String toString() {
    return "StaticEndpointSource" + endpoints();
  }
}
