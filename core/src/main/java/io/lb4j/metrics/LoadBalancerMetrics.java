package io.lb4j.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;

/**
 * The meters a {@code LoadBalancer} registers when its builder has a Micrometer
 * {@code MeterRegistry} ({@code LoadBalancer.Builder.meterRegistry}); without one nothing is
 * registered, nothing is recorded, and Micrometer need not be on the class path.
 *
 * <table>
 *   <caption>Meters (every one tagged {@code lb} = the balancer's name and {@code policy})</caption>
 *   <tr><th>name</th><th>type</th><th>more tags</th></tr>
 *   <tr><td>{@value #REQUESTS}</td><td>function counter</td><td>{@code endpoint}, {@code outcome}
 *       (success, server_error, connect_failure, timeout, cancelled)</td></tr>
 *   <tr><td>{@value #LATENCY}</td><td>timer</td><td>{@code endpoint}; no percentiles unless
 *       configured, see {@link #latencyPercentiles}</td></tr>
 *   <tr><td>{@value #INFLIGHT}</td><td>gauge</td><td>{@code endpoint}</td></tr>
 *   <tr><td>{@value #ENDPOINTS}</td><td>gauge</td><td>{@code status} (healthy, draining, ejected,
 *       unhealthy, unknown)</td></tr>
 *   <tr><td>{@value #EJECTIONS}</td><td>function counter</td><td>{@code reason} (consecutive, local,
 *       success-rate, failure-percentage); only with outlier detection</td></tr>
 *   <tr><td>{@value #HEALTH_CHECKS}</td><td>function counter</td><td>{@code result} (healthy,
 *       unhealthy, draining); only with health checks</td></tr>
 *   <tr><td>{@value #PANIC}</td><td>gauge</td><td>1 in panic mode, else 0</td></tr>
 *   <tr><td>{@value #NO_ENDPOINT}</td><td>counter</td><td>picks that threw
 *       {@code NoEndpointAvailableException}</td></tr>
 * </table>
 *
 * <p><b>Cost.</b> Everything but the latency timer is read when the registry scrapes, from counters
 * the balancer keeps anyway (the status counts come with each picker rebuild, so a scrape is O(1));
 * a release records into its endpoint's {@code Timer}, resolved once when the endpoint joined.
 *
 * <p><b>Names.</b> Two live balancers may not share a name on one registry: {@code build()} refuses
 * the second (their meters would collide and closing one would remove the other's). Per-endpoint
 * meters leave the registry with their endpoint, and {@code close()} removes every meter of the
 * balancer.
 */
public final class LoadBalancerMetrics {

  /** Released requests by endpoint and outcome. */
  public static final String REQUESTS = "lb4j.requests";
  /** Request latency as released, by endpoint. */
  public static final String LATENCY = "lb4j.request.latency";
  /** Requests in flight, by endpoint. */
  public static final String INFLIGHT = "lb4j.inflight";
  /** Endpoints by status. */
  public static final String ENDPOINTS = "lb4j.endpoints";
  /** Ejections by reason. */
  public static final String EJECTIONS = "lb4j.ejections";
  /** Active health probe answers by result. */
  public static final String HEALTH_CHECKS = "lb4j.health.checks";
  /** 1 while the balancer is in panic mode. */
  public static final String PANIC = "lb4j.panic";
  /** Picks that found no endpoint. */
  public static final String NO_ENDPOINT = "lb4j.picks.no_endpoint";

  private LoadBalancerMetrics() {}

  /**
   * A filter that gives {@code lb4j.request.latency} these client-side percentiles, e.g.
   * {@code registry.config().meterFilter(LoadBalancerMetrics.latencyPercentiles(0.5, 0.99))}; add
   * it before building the balancer. Off by default, because percentiles cost memory per endpoint.
   *
   * @throws IllegalArgumentException if a percentile is outside 0.0..1.0
   */
  public static MeterFilter latencyPercentiles(double... percentiles) {
    if (percentiles == null || percentiles.length == 0) {
      throw new IllegalArgumentException("percentiles must name at least one value in 0.0..1.0");
    }
    for (double p : percentiles) {
      if (!(p >= 0.0 && p <= 1.0)) {
        throw new IllegalArgumentException("percentiles must be in 0.0..1.0, was " + p);
      }
    }
    double[] copy = percentiles.clone();
    return new MeterFilter() {
      @Override
      public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
        if (!LATENCY.equals(id.getName())) {
          return config;
        }
        return DistributionStatisticConfig.builder().percentiles(copy).build().merge(config);
      }
    };
  }
}
