package io.lb4j.policy;

import java.util.List;

/**
 * A load-balancing algorithm: turns the eligible endpoints into an immutable {@link Picker}.
 *
 * <p>The balancer calls {@link #newPicker} whenever the eligible set changes (endpoints added or
 * removed, ejected, drained, weights changed) and swaps the result in with one volatile write;
 * building may be expensive (a Maglev table), picking must be cheap. Implementations are
 * immutable and thread-safe; get them from {@link Policies}.
 */
public interface Policy {

  /** The policy's short name, used in metrics and logs: {@code "p2c"}, {@code "maglev"}, ... */
  String name();

  /**
   * Builds a picker over {@code eligible}, which is non-empty and in a stable order (the order
   * endpoints were added). The picker must return only elements of this list.
   */
  Picker newPicker(List<? extends EndpointView> eligible);

  /**
   * Whether this policy's pickers read {@link EndpointView#latencyEwmaNanos()}. When it does not
   * (no built-in policy does) and no meter registry wants latencies, adapters may skip timing
   * requests: see {@link io.lb4j.LoadBalancer#recordsLatency()}. Default {@code false}.
   */
  default boolean usesLatency() {
    return false;
  }
}
