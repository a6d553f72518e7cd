package io.lb4j.outlier;

/**
 * A balancer's passive outlier detection, as seen from outside: its settings and what it has done.
 * The balancer makes one when its builder has {@code outlierDetection(config)}; get it with
 * {@code LoadBalancer.outlierDetector()}. Semantics (Envoy's):
 *
 * <ul>
 *   <li><b>Consecutive failures</b> eject at the failure that reaches {@code consecutiveFailures}
 *       (server errors, connect failures, timeouts) or {@code consecutiveLocalFailures} (connect
 *       failures and timeouts only; a server error means the endpoint answered and resets this
 *       count). The releasing request only marks the endpoint; the balancer's next coalesced
 *       rebuild, on its scheduler, decides and ejects. A success resets both counts; a cancelled
 *       request neither counts nor resets. The counts restart after each ejection attempt and
 *       after an un-ejection.
 *   <li><b>Every {@code interval}</b> a {@link #sweep()} un-ejects endpoints whose time is up, then
 *       looks at the requests released since the previous sweep: <em>success rate</em> (among
 *       endpoints with at least {@code successRateRequestVolume} requests, if at least
 *       {@code successRateMinimumHosts} qualify, eject those below {@code mean - stdevFactor *
 *       stdev}, population stdev as Envoy) and <em>failure percentage</em> (eject an endpoint whose
 *       failures are at or above {@code failurePercentageThreshold} % of its requests, given
 *       {@code failurePercentageMinimumHosts} with {@code failurePercentageRequestVolume}). Each such
 *       ejection happens with its enforcement percentage's chance.
 *   <li><b>Cap:</b> an ejection is refused when it would make more than {@code maxEjectionPercent}
 *       of the endpoints ejected, except that one endpoint may always be ejected when none is
 *       (Envoy's {@code always_eject_one_host}).
 *   <li><b>Unreachable endpoints</b> (lb4j, not Envoy): an endpoint whose last
 *       {@code consecutiveLocalFailures} requests all failed to connect never received them; that is
 *       hard evidence that it is down, not a judgement of how it serves. Its ejection is always
 *       allowed and does not count against {@code maxEjectionPercent} (the cap protects the fleet
 *       from ejecting too many endpoints that still answer, and a refused connection protects
 *       nothing); the balancer treats it as known dead in panic mode. A passed active health check
 *       ends such an ejection at once, since the endpoint is reachable again; health checks that see
 *       an endpoint go down and come back end any ejection.
 *   <li><b>Backoff:</b> each ejection raises the endpoint's multiplier by one (while
 *       {@code multiplier * base < max + base}); it lasts {@code min(baseEjectionTime * multiplier,
 *       maxEjectionTime)}. Every sweep that finds the endpoint not ejected, at least one interval
 *       after its last un-ejection, lowers the multiplier by one.
 * </ul>
 *
 * <p>Times come from the balancer's {@code Ticker}; sweeps run on its {@code Scheduler}.
 * Thread-safe.
 */
public interface OutlierDetector {

  /** The settings. */
  OutlierDetectionConfig config();

  /**
   * Ejections so far with this cause: cumulative, never reset (what a Micrometer
   * {@code FunctionCounter} reads). Lock-free.
   */
  long ejections(Cause cause);

  /** Number of the balancer's endpoints ejected now. */
  int ejectedCount();

  /**
   * Runs one sweep now (un-ejections, success-rate and failure-percentage ejections, backoff
   * decay); the balancer's scheduler does this every {@code interval}. The picker follows with the
   * balancer's next rebuild.
   */
  void sweep();

  /** What triggered an ejection; {@link #tag()} is its {@code reason} tag in metrics. */
  enum Cause {
    /** {@code consecutiveFailures} failures in a row. */
    CONSECUTIVE("consecutive"),
    /** {@code consecutiveLocalFailures} local-origin failures in a row. */
    LOCAL("local"),
    /** Success rate below the fleet's mean minus {@code stdevFactor} standard deviations. */
    SUCCESS_RATE("success-rate"),
    /** Failure percentage at or above the threshold. */
    FAILURE_PERCENTAGE("failure-percentage");

    private final String tag;

    Cause(String tag) {
      this.tag = tag;
    }

    /** The metrics tag value, e.g. {@code "success-rate"}. */
    public String tag() {
      return tag;
    }
  }
}
