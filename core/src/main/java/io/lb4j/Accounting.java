package io.lb4j;

import io.lb4j.policy.Policy;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one balancer counts per pick and release, decided once from what reads it, so that nothing
 * is paid for that nobody reads (see {@link EndpointState#acquire} and {@link EndpointState#release}).
 *
 * <ul>
 *   <li>In flight: in the endpoint's exact counter (one atomic add per pick and per release) when
 *       the policy reads it at pick time ({@link Policy#usesInFlight()}); otherwise in per-thread
 *       cells ({@link ThreadCounts}), a plain store each, summed by the rare readers.
 *   <li>Outcomes: always in per-thread cells (plain stores; outlier sweeps, meters and
 *       {@link LoadBalancer#requests} sum them).
 *   <li>Latency average: only when the policy reads it ({@link Policy#usesLatency()}).
 *   <li>The balancer's total in flight: only for bounded-load hashing ({@link Policy#usesTotalInFlight()}).
 * </ul>
 */
final class Accounting {

  final String name;
  final ThreadCounts counts = new ThreadCounts();
  final EndpointRegistry registry;
  /** Whether in-flight counts live in the endpoints' exact counters (the policy reads them per pick). */
  final boolean exactInFlight;
  /** Whether releases fold latencies into the endpoint's moving average. */
  final boolean latencyAverage;
  /** Requests in flight across every endpoint, striped; null unless the policy reads it. */
  final LongAdder totalInFlight;

  Accounting(String name, Policy policy, EndpointRegistry registry) {
    this.name = name;
    this.registry = registry;
    this.exactInFlight = policy.usesInFlight() || policy.usesTotalInFlight();
    this.latencyAverage = policy.usesLatency();
    this.totalInFlight = policy.usesTotalInFlight() ? new LongAdder() : null;
  }
}
