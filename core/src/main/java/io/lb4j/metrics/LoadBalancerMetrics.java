package io.lb4j.metrics;

import io.lb4j.Endpoint;
import io.lb4j.EndpointStatus;
import io.lb4j.LoadBalancer;
import io.lb4j.Outcome;
import io.lb4j.health.HealthChecker;
import io.lb4j.health.ProbeResult;
import io.lb4j.outlier.OutlierDetector;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Micrometer binding of one {@link LoadBalancer}. The balancer creates it when its builder was
 * given a {@code MeterRegistry} ({@code LoadBalancer.Builder.meterRegistry}); without one nothing
 * is registered and nothing is recorded.
 *
 * <table>
 *   <caption>Meters (every one tagged {@code lb} = the balancer's name and {@code policy})</caption>
 *   <tr><th>name</th><th>type</th><th>more tags</th></tr>
 *   <tr><td>{@code lb4j.requests}</td><td>function counter</td><td>{@code endpoint}, {@code outcome}
 *       (success, server_error, connect_failure, timeout, cancelled)</td></tr>
 *   <tr><td>{@code lb4j.request.latency}</td><td>timer</td><td>{@code endpoint}; no percentiles unless
 *       configured, see {@link #latencyPercentiles}</td></tr>
 *   <tr><td>{@code lb4j.inflight}</td><td>gauge</td><td>{@code endpoint}</td></tr>
 *   <tr><td>{@code lb4j.endpoints}</td><td>gauge</td><td>{@code status} (healthy, draining, ejected,
 *       unhealthy, unknown)</td></tr>
 *   <tr><td>{@code lb4j.ejections}</td><td>function counter</td><td>{@code reason} (consecutive, local,
 *       success-rate, failure-percentage); only with outlier detection</td></tr>
 *   <tr><td>{@code lb4j.health.checks}</td><td>function counter</td><td>{@code result} (healthy,
 *       unhealthy, draining); only with health checks</td></tr>
 *   <tr><td>{@code lb4j.panic}</td><td>gauge</td><td>1 in panic mode, else 0</td></tr>
 *   <tr><td>{@code lb4j.picks.no_endpoint}</td><td>counter</td><td>picks that threw
 *       {@code NoEndpointAvailableException}</td></tr>
 * </table>
 *
 * <p><b>Cost.</b> Almost everything is read when the registry scrapes, from counters the balancer
 * keeps anyway, so picks and releases pay nothing for it. The one exception is the latency timer:
 * a release records into the endpoint's {@code Timer}, resolved once when the endpoint joined (no
 * tag lookup, no allocation per request).
 *
 * <p><b>Churn.</b> The per-endpoint meters ({@code endpoint} tag) are registered when an endpoint
 * joins and removed from the registry when it leaves; {@link #close()} removes every meter of the
 * balancer. Thread-safe.
 */
public final class LoadBalancerMetrics implements AutoCloseable {

  /** Meter names. */
  public static final String REQUESTS = "lb4j.requests";
  public static final String LATENCY = "lb4j.request.latency";
  public static final String INFLIGHT = "lb4j.inflight";
  public static final String ENDPOINTS = "lb4j.endpoints";
  public static final String EJECTIONS = "lb4j.ejections";
  public static final String HEALTH_CHECKS = "lb4j.health.checks";
  public static final String PANIC = "lb4j.panic";
  public static final String NO_ENDPOINT = "lb4j.picks.no_endpoint";

  private static final Outcome[] OUTCOMES = Outcome.values();

  private final MeterRegistry registry;
  private final LoadBalancer lb;
  private final Tags tags;
  private final List<Meter> balancerMeters = new ArrayList<>();
  private final Counter noEndpoint;
  /** Per-endpoint meters by address. */
  private final Map<String, List<Meter>> endpointMeters = new ConcurrentHashMap<>();

  private LoadBalancerMetrics(LoadBalancer lb, MeterRegistry registry) {
    this.registry = registry;
    this.lb = lb;
    this.tags = Tags.of("lb", lb.name(), "policy", lb.policy().name());
    for (EndpointStatus status : EndpointStatus.values()) {
      balancerMeters.add(Gauge.builder(ENDPOINTS, lb, b -> count(b, status))
          .tags(tags).tag("status", tag(status))
          .description("Endpoints by status").register(registry));
    }
    balancerMeters.add(Gauge.builder(PANIC, lb, b -> b.inPanic() ? 1 : 0).tags(tags)
        .description("1 while the balancer is in panic mode").register(registry));
    noEndpoint = Counter.builder(NO_ENDPOINT).tags(tags)
        .description("Picks that found no endpoint").register(registry);
    balancerMeters.add(noEndpoint);
    lb.outlierDetector().ifPresent(this::bindOutlier);
    lb.healthChecker().ifPresent(this::bindHealth);
  }

  /**
   * Registers the balancer-wide meters. Called by the balancer's constructor; applications do not
   * call it.
   */
  public static LoadBalancerMetrics bind(LoadBalancer lb, MeterRegistry registry) {
    if (lb == null || registry == null) {
      throw new IllegalArgumentException("lb and registry must not be null");
    }
    return new LoadBalancerMetrics(lb, registry);
  }

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

  private void bindOutlier(OutlierDetector detector) {
    for (OutlierDetector.Cause cause : OutlierDetector.Cause.values()) {
      balancerMeters.add(FunctionCounter.builder(EJECTIONS, detector, d -> d.ejections(cause))
          .tags(tags).tag("reason", cause.tag())
          .description("Endpoints ejected by outlier detection").register(registry));
    }
  }

  private void bindHealth(HealthChecker checker) {
    for (ProbeResult.Status status : ProbeResult.Status.values()) {
      balancerMeters.add(FunctionCounter.builder(HEALTH_CHECKS, checker, c -> c.results(status))
          .tags(tags).tag("result", status.name().toLowerCase(Locale.ROOT))
          .description("Active health probe answers").register(registry));
    }
  }

  /**
   * Registers an endpoint's meters and returns its latency timer, for the balancer to record
   * releases into. Called by the balancer when the endpoint joins.
   */
  public Timer endpointAdded(Endpoint endpoint) {
    Tags t = tags.and("endpoint", endpoint.address());
    List<Meter> meters = new ArrayList<>(OUTCOMES.length + 2);
    for (Outcome outcome : OUTCOMES) {
      meters.add(FunctionCounter.builder(REQUESTS, lb, b -> b.requests(endpoint, outcome))
          .tags(t).tag("outcome", outcome.name().toLowerCase(Locale.ROOT))
          .description("Released requests by outcome").register(registry));
    }
    meters.add(Gauge.builder(INFLIGHT, lb, b -> b.inFlight(endpoint)).tags(t)
        .description("Requests in flight").register(registry));
    Timer latency = Timer.builder(LATENCY).tags(t).description("Request latency as released").register(registry);
    meters.add(latency);
    List<Meter> old = endpointMeters.put(endpoint.address(), meters);
    if (old != null) {
      removeAll(old.stream().filter(m -> !meters.contains(m)).toList());
    }
    return latency;
  }

  /** Removes an endpoint's meters. Called by the balancer when the endpoint leaves. */
  public void endpointRemoved(Endpoint endpoint) {
    List<Meter> meters = endpointMeters.remove(endpoint.address());
    if (meters != null) {
      removeAll(meters);
    }
  }

  /** Counts a pick that found no endpoint. Called by the balancer, off the success path. */
  public void noEndpoint() {
    noEndpoint.increment();
  }

  /** Removes every meter of the balancer from the registry. Idempotent. */
  @Override
  public void close() {
    for (String address : List.copyOf(endpointMeters.keySet())) {
      List<Meter> meters = endpointMeters.remove(address);
      if (meters != null) {
        removeAll(meters);
      }
    }
    synchronized (balancerMeters) {
      removeAll(balancerMeters);
      balancerMeters.clear();
    }
  }

  private void removeAll(List<Meter> meters) {
    for (Meter m : meters) {
      registry.remove(m);
    }
  }

  private static double count(LoadBalancer lb, EndpointStatus status) {
    int n = 0;
    for (Endpoint e : lb.endpoints()) {
      if (lb.status(e) == status) {
        n++;
      }
    }
    return n;
  }

  private static String tag(EndpointStatus status) {
    return status.name().toLowerCase(Locale.ROOT);
  }
}
