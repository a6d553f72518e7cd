package io.lb4j;

/**
 * What the balancer tells its metrics binding. The Micrometer binding ({@link MicrometerMetrics})
 * implements it when the builder has a meter registry; {@link #NONE} otherwise, so that nothing of
 * Micrometer is loaded without one.
 */
interface BalancerMetrics {

  /** Records nothing. */
  BalancerMetrics NONE = new BalancerMetrics() {};

  /** An endpoint joined; returns where its latencies go, or null. Under the balancer's lock. */
  default LatencyRecorder endpointAdded(EndpointState s) {
    return null;
  }

  /** An endpoint left. Under the balancer's lock. */
  default void endpointRemoved(EndpointState s) {}

  /** A pick found no endpoint; off the success path. */
  default void noEndpoint() {}

  /** The balancer closed: remove every meter. Idempotent. */
  default void close() {}
}
