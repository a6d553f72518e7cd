package io.lb4j.policy;

import java.util.List;
import java.util.function.LongSupplier;

/**
 * A load-balancing algorithm: turns the eligible endpoints into an immutable {@link Picker}.
 *
 * <p>The balancer calls {@link #newPicker} when a rebuild changes what the picker is built from:
 * the chosen endpoints (added, removed, ejected, drained, back), their {@code Endpoint}s (weight,
 * zone, metadata), and their effective weights if {@link #usesEffectiveWeight()}; otherwise it
 * keeps the previous picker. It swaps a new picker in with one volatile write; building may be
 * expensive (a Maglev table), picking must be cheap. Implementations are immutable and
 * thread-safe; get them from {@link Policies}.
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
   * Builds a picker that may also read {@code totalInFlight}: the requests in flight across the
   * whole balancer (every endpoint it counts, eligible or not), read live at pick time. The balancer
   * calls this form instead of {@link #newPicker(List)} when {@link #usesTotalInFlight()} is true.
   * The default ignores the count.
   */
  default Picker newPicker(List<? extends EndpointView> eligible, LongSupplier totalInFlight) {
    return newPicker(eligible);
  }

  /**
   * Whether this policy's pickers compare an endpoint with the balancer's total in-flight count
   * (bounded-load hashing does). Only then does the balancer keep that count, which costs every
   * pick and release a striped increment. Default {@code false}.
   */
  default boolean usesTotalInFlight() {
    return false;
  }

  /**
   * Whether this policy's pickers read {@link EndpointView#inFlight()} at pick time (P2C, least
   * request, bounded-load hashing). Only then does the balancer keep each endpoint's count in one
   * exact counter that every pick and release of that endpoint updates atomically (one contended
   * atomic per direction on many cores); otherwise it counts in per-thread cells that no other core
   * writes and sums them when {@code inFlight()} is read (see {@link io.lb4j.LoadBalancer#inFlight}),
   * which is exact but costs a pass over the threads that count. Default {@code true} (the safe
   * answer).
   */
  default boolean usesInFlight() {
    return true;
  }

  /**
   * Whether this policy's pickers read request latencies ({@link EndpointView#latencyEwmaNanos()},
   * {@link EndpointView#peakEwmaNanos()}). When it does not (of the built-in policies only
   * {@link PeakEwmaPolicy} does) and no meter registry wants latencies, adapters may skip timing
   * requests: see {@link io.lb4j.LoadBalancer#recordsLatency()}; and the balancer keeps the moving
   * average only when it does (a release then writes no latency). Default {@code false}.
   */
  default boolean usesLatency() {
    return false;
  }

  /**
   * The time constant, in nanoseconds, of the peak-EWMA latency estimate this policy's pickers read
   * ({@link EndpointView#peakEwmaNanos()}); the balancer keeps that estimate per endpoint only when
   * this is positive, updating it on each release with the time of its ticker. A policy that returns
   * a positive value should also return {@code true} from {@link #usesLatency()}, so that adapters
   * time requests. Default 0: no estimate.
   */
  default long peakEwmaDecayNanos() {
    return 0L;
  }

  /**
   * Whether this policy's pickers pick by {@link io.lb4j.PickContext#hash()} (ring hash, Maglev),
   * so that an adapter knows to compute a request hash. Default {@code false}.
   */
  default boolean usesHash() {
    return false;
  }

  /**
   * Whether {@link #newPicker} reads {@link EndpointView#effectiveWeight()}, so that a slow-start
   * step needs a new picker. Policies that ignore weights, or use {@code Endpoint.weight()} as the
   * hash policies do, return {@code false} and keep their picker across ramp steps. Default
   * {@code true} (the safe answer).
   */
  default boolean usesEffectiveWeight() {
    return true;
  }

  /**
   * Whether this policy's picks follow the endpoints' weights ({@code Endpoint.weight()} or
   * {@link EndpointView#effectiveWeight()}). Random, round robin and peak EWMA do not; every other
   * built-in policy does. A balancer whose policy answers {@code false} logs one WARN when its endpoints
   * carry unequal weights (from discovery, say), naming the policies that would honour them.
   * Default {@code true}.
   */
  default boolean usesWeights() {
    return true;
  }

  /**
   * Whether this policy's pickers are built over every usable endpoint (present and not draining:
   * ejected, unhealthy and unreachable ones included) and skip, at pick time, those whose
   * {@link EndpointView#available()} is false, instead of being rebuilt over the eligible ones. A
   * hash policy that does so keeps every key on its endpoint while that endpoint is available and
   * moves only the keys of an endpoint that is not (gRPC's ring hash, A42/A61), and the balancer
   * keeps its picker when only availability changes. The balancer still builds no picker when no
   * endpoint is available. Default {@code false}: pickers are built over the eligible endpoints.
   */
  default boolean skipsUnavailable() {
    return false;
  }
}
