package io.lb4j;

/**
 * Slow start (Envoy's, aggression 1.0): an endpoint that joins after the first list, or comes back
 * from ejection or unhealthy, ramps its weight over the window as {@code weight × max(0.1, elapsed /
 * window)}. With slow start on, every weight is scaled by {@link #SCALE} so that weight 1 can ramp
 * too. The ramp fields live in {@link EndpointState}; only the balancer's rebuild calls this.
 */
final class SlowStart {

  /** Slow-start weights are in hundredths of a weight unit, so that weight 1 can ramp too. */
  static final int SCALE = 100;
  /** Envoy's default min_weight_percent: a ramp starts at 10 % of the weight. */
  static final double MIN_FACTOR = 0.1;

  private final long windowNanos;

  /** @param windowNanos the ramp window; 0 turns slow start off */
  SlowStart(long windowNanos) {
    this.windowNanos = windowNanos;
  }

  boolean enabled() {
    return windowNanos > 0;
  }

  /** How often a rebuild should follow a running ramp: a tenth of the window, at least 1 ns. */
  long stepNanos() {
    return Math.max(1, windowNanos / 10);
  }

  /**
   * Starts or arms the endpoint's ramp for this rebuild and returns its effective weight now.
   * An endpoint that is ejected or unhealthy ramps when it is next eligible; one that becomes
   * eligible with a ramp pending starts ramping now.
   *
   * @param wasEligible whether the previous rebuild found it eligible
   */
  int update(EndpointState s, EndpointStatus status, boolean eligible, boolean wasEligible, long now) {
    if (status == EndpointStatus.EJECTED || status == EndpointStatus.UNHEALTHY) {
      s.rampPending = true;
    } else if (eligible && !wasEligible && s.rampPending) {
      s.rampPending = false;
      if (enabled()) {
        s.ramping = true;
        s.rampStartNanos = now;
      }
    }
    return weight(s, now);
  }

  /** The weight pickers see now; ends the ramp once the window has passed. */
  int weight(EndpointState s, long now) {
    int weight = s.endpoint().weight();
    if (!enabled()) {
      return weight;
    }
    long scaled = (long) weight * SCALE;
    if (s.ramping) {
      long elapsed = now - s.rampStartNanos;
      if (elapsed >= windowNanos) {
        s.ramping = false;
      } else {
        double factor = Math.max(MIN_FACTOR, (double) Math.max(0, elapsed) / windowNanos);
        scaled = Math.max(1, Math.round(scaled * factor));
      }
    }
    return (int) Math.min(Integer.MAX_VALUE, scaled);
  }
}
