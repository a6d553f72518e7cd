package io.lb4j;

import static io.lb4j.metrics.LoadBalancerMetrics.EJECTIONS;
import static io.lb4j.metrics.LoadBalancerMetrics.ENDPOINTS;
import static io.lb4j.metrics.LoadBalancerMetrics.HEALTH_CHECKS;
import static io.lb4j.metrics.LoadBalancerMetrics.INFLIGHT;
import static io.lb4j.metrics.LoadBalancerMetrics.LATENCY;
import static io.lb4j.metrics.LoadBalancerMetrics.NO_ENDPOINT;
import static io.lb4j.metrics.LoadBalancerMetrics.PANIC;
import static io.lb4j.metrics.LoadBalancerMetrics.REQUESTS;

import io.lb4j.health.ProbeResult;
import io.lb4j.metrics.LoadBalancerMetrics;
import io.lb4j.outlier.OutlierDetector;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The Micrometer binding of one balancer (the meters are listed on {@link LoadBalancerMetrics}).
 * Meters read the balancer's own counters: the per-endpoint ones read the {@link EndpointState}
 * they were registered for, the balancer-wide ones the current {@link Snapshot}'s counts. The only
 * class that touches Micrometer, loaded only when the builder has a registry. Thread-safe.
 */
final class MicrometerMetrics implements BalancerMetrics {

  private static final Outcome[] OUTCOMES = Outcome.values();

  private final MeterRegistry registry;
  private final Tags tags;
  private final List<Meter> balancerMeters = new ArrayList<>();
  private final Counter noEndpoint;
  /** Per-endpoint meters by address. */
  private final Map<String, List<Meter>> endpointMeters = new ConcurrentHashMap<>();

  private MicrometerMetrics(MeterRegistry registry, BalancerCore core) {
    this.registry = registry;
    this.tags = Tags.of("lb", core.name, "policy", core.policy.name());
    for (EndpointStatus status : EndpointStatus.values()) {
      balancerMeters.add(Gauge.builder(ENDPOINTS, core, c -> c.snapshot.counts().count(status))
          .tags(tags).tag("status", status.name().toLowerCase(Locale.ROOT))
          .description("Endpoints by status").register(registry));
    }
    balancerMeters.add(Gauge.builder(PANIC, core, c -> c.snapshot.panic() ? 1 : 0).tags(tags)
        .description("1 while the balancer is in panic mode").register(registry));
    noEndpoint = Counter.builder(NO_ENDPOINT).tags(tags).description("Picks that found no endpoint").register(registry);
    balancerMeters.add(noEndpoint);
    if (core.outlier != null) {
      for (OutlierDetector.Cause cause : OutlierDetector.Cause.values()) {
        balancerMeters.add(FunctionCounter.builder(EJECTIONS, core.outlier, d -> d.ejections(cause))
            .tags(tags).tag("reason", cause.tag())
            .description("Endpoints ejected by outlier detection").register(registry));
      }
    }
    if (core.health != null) {
      for (ProbeResult.Status status : ProbeResult.Status.values()) {
        balancerMeters.add(FunctionCounter.builder(HEALTH_CHECKS, core.health, c -> c.results(status))
            .tags(tags).tag("result", status.name().toLowerCase(Locale.ROOT))
            .description("Active health probe answers").register(registry));
      }
    }
  }

  /**
   * Registers the balancer-wide meters.
   *
   * @throws IllegalArgumentException if a live balancer with the same name already has meters on
   *     this registry
   */
  static BalancerMetrics bind(MeterRegistry registry, BalancerCore core) {
    // One registry, one live name: the check and the registration must not interleave with another
    // build of the same name on the same registry.
    synchronized (registry) {
      if (registry.find(PANIC).tag("lb", core.name).gauge() != null) {
        throw new IllegalArgumentException("meterRegistry already has the meters of a live load balancer named '"
            + core.name + "'; give each balancer on one registry its own name(...), or close the other first");
      }
      return new MicrometerMetrics(registry, core);
    }
  }

  @Override
  public LatencyRecorder endpointAdded(EndpointState s) {
    Tags t = tags.and("endpoint", s.address);
    List<Meter> meters = new ArrayList<>(OUTCOMES.length + 2);
    for (Outcome outcome : OUTCOMES) {
      meters.add(FunctionCounter.builder(REQUESTS, s, st -> st.requests(outcome))
          .tags(t).tag("outcome", outcome.name().toLowerCase(Locale.ROOT))
          .description("Released requests by outcome").register(registry));
    }
    meters.add(Gauge.builder(INFLIGHT, s, EndpointState::inFlight).tags(t)
        .description("Requests in flight").register(registry));
    Timer latency = Timer.builder(LATENCY).tags(t).description("Request latency as released").register(registry);
    meters.add(latency);
    List<Meter> old = endpointMeters.put(s.address, meters);
    if (old != null) {
      removeAll(old.stream().filter(m -> !meters.contains(m)).toList());
    }
    return nanos -> latency.record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void endpointRemoved(EndpointState s) {
    List<Meter> meters = endpointMeters.remove(s.address);
    if (meters != null) {
      removeAll(meters);
    }
  }

  @Override
  public void noEndpoint() {
    noEndpoint.increment();
  }

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
}
