package io.lb4j.policy;

import io.lb4j.Endpoint;

/**
 * A live, read-only view of one endpoint for pickers. The values change as requests start and end;
 * each read is a plain volatile read, cheap enough for every pick. Thread-safe.
 */
public interface EndpointView {

  /** The endpoint. */
  Endpoint endpoint();

  /** Requests picked for this endpoint and not yet released. */
  int inFlight();

  /** Exponentially weighted moving average of released latencies, in nanoseconds; 0 before any. */
  double latencyEwmaNanos();

  /**
   * The endpoint's weight after the slow-start ramp; only ratios between endpoints matter. Without
   * slow start it is {@code endpoint().weight()}. With slow start on, every endpoint's value is
   * {@code weight * 100} (so weight 1 can ramp too), and an endpoint that is ramping has
   * {@code weight * 100 * max(0.1, elapsed / window)}. Updated when the balancer rebuilds its picker
   * (at least every tenth of the window during a ramp).
   */
  int effectiveWeight();
}
