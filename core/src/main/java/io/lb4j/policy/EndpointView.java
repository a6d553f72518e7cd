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

  /**
   * The endpoint's recent share of failed requests, 0.0 to 1.0: a moving average over released
   * requests in which each failure (server error, connect failure, timeout) weighs 1 and each
   * success 0, the newest with weight {@code 1/4}; cancelled requests do not count. It is exactly 0
   * until the first failure and again once successes have brought it near 0, so pickers can skip
   * the penalty entirely for endpoints that do not fail. Load-aware pickers divide an endpoint's
   * load by {@code 1 - failureRatio} (its cost per successful request), so an endpoint that fails
   * fast does not attract traffic by having nothing in flight. One volatile read. The default (for
   * views that track no outcomes) is 0.
   */
  default double failureRatio() {
    return 0.0;
  }

  /**
   * The endpoint's peak-EWMA latency estimate in nanoseconds as of {@link #peakEwmaStampNanos()}, or
   * 0 before its first successful request; kept only while the balancer's policy asks for it
   * ({@link Policy#peakEwmaDecayNanos()}), else always 0. A slower response raises it at once, a
   * faster one lowers it with the policy's time constant, failures never lower it (see
   * {@link PeakEwmaPolicy}). Its value at a later ticker time {@code t} is
   * {@code peakEwmaNanos() * exp(-(t - peakEwmaStampNanos()) / decay)}: it fades while no response
   * arrives. One plain read. The default (for views that time nothing) is 0.
   */
  default double peakEwmaNanos() {
    return 0.0;
  }

  /**
   * The balancer's ticker time, in nanoseconds, when {@link #peakEwmaNanos()} was last updated; only
   * differences between two stamps mean anything. Read it before {@code peakEwmaNanos()}: the pair is
   * then at least as new as the stamp. The default is 0.
   */
  default long peakEwmaStampNanos() {
    return 0L;
  }
}
