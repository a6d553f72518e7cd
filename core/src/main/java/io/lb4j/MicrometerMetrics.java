package io.lb4j;

import static io.lb4j.metrics.LoadBalancerMetrics.DISCOVERY_ENDPOINTS;
import static io.lb4j.metrics.LoadBalancerMetrics.DISCOVERY_FAILURES;
import static io.lb4j.metrics.LoadBalancerMetrics.DISCOVERY_STALENESS;
import static io.lb4j.metrics.LoadBalancerMetrics.EJECTIONS;
import static io.lb4j.metrics.LoadBalancerMetrics.ENDPOINTS;
import static io.lb4j.metrics.LoadBalancerMetrics.HEALTH_CHECKS;
import static io.lb4j.metrics.LoadBalancerMetrics.INFLIGHT;
import static io.lb4j.metrics.LoadBalancerMetrics.LATENCY;
import static io.lb4j.metrics.LoadBalancerMetrics.NO_ENDPOINT;
import static io.lb4j.metrics.LoadBalancerMetrics.PANIC;
import static io.lb4j.metrics.LoadBalancerMetrics.PRIORITY_LOAD;
import static io.lb4j.metrics.LoadBalancerMetrics.REQUESTS;
import static io.lb4j.metrics.LoadBalancerMetrics.ZONE_SPILLOVER;
import static io.lb4j.metrics.LoadBalancerMetrics.ZONE_REQUESTS;

import io.lb4j.health.ProbeResult;
import io.lb4j.metrics.LoadBalancerMetrics;
import io.lb4j.outlier.OutlierDetector;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleBiFunction;
import java.util.function.ToDoubleFunction;
import java.util.concurrent.atomic.LongAdder;

/**
 * The Micrometer binding of one balancer (the meters are listed on {@link LoadBalancerMetrics}).
 * Meters read the balancer's own counters: the per-endpoint ones read the {@link EndpointState}
 * they were registered for, the balancer-wide ones the current {@link Snapshot}'s counts. The only
 * class that touches Micrometer, loaded only when the builder has a registry. Thread-safe.
 *
 * <p>Without per-endpoint meters ({@code Builder.perEndpointMetrics(false)}) the request, in-flight
 * and latency meters have an empty {@code endpoint} tag: the counters and the gauge sum the tracked
 * endpoints' own counters when scraped (plus what endpoints that left had counted, so a counter
 * never goes down), and every endpoint records into one timer. Picks and releases do the same work
 * in both modes.
 */
final class MicrometerMetrics implements BalancerMetrics {

  private static final Outcome[] OUTCOMES = Outcome.values();

  private final MeterRegistry registry;
  private final Tags tags;
  private final List<Meter> balancerMeters = new ArrayList<>();
  private final Counter noEndpoint;
  /** Per-endpoint meters by address. */
  private final Map<String, List<Meter>> endpointMeters = new ConcurrentHashMap<>();
  /** The aggregate meters' state, or null with per-endpoint meters. */
  private final Aggregate aggregate;
  /** Per-priority-level gauges by level. */
  private final Map<Integer, Meter> levelMeters = new ConcurrentHashMap<>();
  private final BalancerCore core;

  private MicrometerMetrics(MeterRegistry registry, BalancerCore core, boolean perEndpoint) {
    this.registry = registry;
    this.core = core;
    this.tags = Tags.of("lb", core.name, "policy", core.policy.name());
    this.aggregate = perEndpoint ? null : new Aggregate();
    if (aggregate != null) {
      // The endpoint tag stays, empty: Prometheus needs one set of label names per metric name, so
      // balancers of both modes can share a registry; it stores an empty label as no label at all.
      List<Meter> meters = requestMeters(tags.and("endpoint", ""), aggregate, Aggregate::requests, Aggregate::inFlight);
      aggregate.latency = (Timer) meters.get(meters.size() - 1);
      balancerMeters.addAll(meters);
    }
    if (core.source.present()) {
      SourceState src = core.source;
      balancerMeters.add(FunctionCounter.builder(DISCOVERY_FAILURES, src, SourceState::failedRefreshes).tags(tags)
          .description("Failed refreshes of the endpoint source").register(registry));
      balancerMeters.add(TimeGauge.builder(DISCOVERY_STALENESS, src, TimeUnit.SECONDS, SourceState::stalenessSeconds)
          .tags(tags).description("0 while the endpoint source's last refresh succeeded, else the time since its"
              + " failures began").register(registry));
      balancerMeters.add(Gauge.builder(DISCOVERY_ENDPOINTS, src, SourceState::delivered).tags(tags)
          .description("Endpoints in the endpoint source's last list").register(registry));
    }
    if (core.localZone() != null) {
      balancerMeters.add(Gauge.builder(ZONE_SPILLOVER, core, c -> c.zoneSpilling() ? 1 : 0).tags(tags)
          .tag("zone", core.localZone())
          .description("1 while zone-aware routing spills over from the local zone to all zones, else 0")
          .register(registry));
    }
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
  static BalancerMetrics bind(MeterRegistry registry, BalancerCore core, boolean perEndpoint) {
    // One registry, one live name: the check and the registration must not interleave with another
    // build of the same name on the same registry.
    synchronized (registry) {
      if (registry.find(PANIC).tag("lb", core.name).gauge() != null) {
        throw new IllegalArgumentException("meterRegistry already has the meters of a live load balancer named '"
            + core.name + "'; give each balancer on one registry its own name(...), or close the other first");
      }
      return new MicrometerMetrics(registry, core, perEndpoint);
    }
  }

  @Override
  public LatencyRecorder endpointAdded(EndpointState s) {
    if (aggregate != null) {
      return aggregate.added(s);
    }
    List<Meter> meters = requestMeters(tags.and("endpoint", s.address), s, EndpointState::requests,
        EndpointState::inFlight);
    Timer latency = (Timer) meters.get(meters.size() - 1);
    List<Meter> old = endpointMeters.put(s.address, meters);
    if (old != null) {
      removeAll(old.stream().filter(m -> !meters.contains(m)).toList());
    }
    return nanos -> latency.record(nanos, TimeUnit.NANOSECONDS);
  }

  /**
   * The request counters by outcome, the in-flight gauge and the latency timer (last) over one
   * source of counts: an endpoint's state, or the aggregate.
   */
  private <T> List<Meter> requestMeters(Tags t, T counts, ToDoubleBiFunction<T, Outcome> requests,
      ToDoubleFunction<T> inFlight) {
    List<Meter> meters = new ArrayList<>(OUTCOMES.length + 2);
    for (Outcome outcome : OUTCOMES) {
      meters.add(FunctionCounter.builder(REQUESTS, counts, c -> requests.applyAsDouble(c, outcome))
          .tags(t).tag("outcome", outcome.name().toLowerCase(Locale.ROOT))
          .description("Released requests by outcome").register(registry));
    }
    meters.add(Gauge.builder(INFLIGHT, counts, inFlight).tags(t).description("Requests in flight").register(registry));
    meters.add(Timer.builder(LATENCY).tags(t).description("Request latency as released").register(registry));
    return meters;
  }

  @Override
  public void endpointRemoved(EndpointState s) {
    if (aggregate != null) {
      aggregate.removed(s);
      return;
    }
    List<Meter> meters = endpointMeters.remove(s.address);
    if (meters != null) {
      removeAll(meters);
    }
  }

  @Override
  public void zoneAdded(String zone, boolean local, LongAdder requests) {
    Meter m = FunctionCounter.builder(ZONE_REQUESTS, requests, LongAdder::sum).tags(tags).tag("zone", zone)
        .tag("local", Boolean.toString(local)).description("Requests started, by the zone of their endpoint")
        .register(registry);
    synchronized (balancerMeters) {
      balancerMeters.add(m);
    }
  }

  @Override
  public void priorityLevels(java.util.Set<Integer> levels) {
    for (Integer level : levels) {
      levelMeters.computeIfAbsent(level, p -> Gauge.builder(PRIORITY_LOAD, core,
              c -> c.snapshot.levelLoads().getOrDefault(p, 0)).tags(tags).tag("priority", Integer.toString(p))
          .description("Percent of requests routed to the priority level").register(registry));
    }
    for (Integer level : List.copyOf(levelMeters.keySet())) {
      if (!levels.contains(level)) {
        registry.remove(levelMeters.remove(level));
      }
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
    removeAll(List.copyOf(levelMeters.values()));
    levelMeters.clear();
  }

  private void removeAll(List<Meter> meters) {
    for (Meter m : meters) {
      registry.remove(m);
    }
  }

  /**
   * The aggregate meters' sums: the tracked endpoints' counters plus, per outcome, what departed
   * endpoints had counted (an endpoint that comes back from leaving brings its counts back, so they
   * are taken out of the departed sum again). Changes and scrapes are serialised on this object:
   * endpoint changes and scrapes are rare, picks and releases never come here.
   */
  private static final class Aggregate {
    private final Map<String, EndpointState> tracked = new HashMap<>();
    private final long[] departed = new long[OUTCOMES.length];
    Timer latency;
    private LatencyRecorder recorder;

    synchronized LatencyRecorder added(EndpointState s) {
      EndpointState old = tracked.put(s.address, s);
      if (old != s) {
        if (old != null) {
          retire(old);
        }
        for (Outcome o : OUTCOMES) {
          departed[o.ordinal()] -= s.requests(o);
        }
      }
      if (recorder == null) {
        Timer t = latency;
        recorder = nanos -> t.record(nanos, TimeUnit.NANOSECONDS);
      }
      return recorder;
    }

    synchronized void removed(EndpointState s) {
      if (tracked.remove(s.address, s)) {
        retire(s);
      }
    }

    private void retire(EndpointState s) {
      for (Outcome o : OUTCOMES) {
        departed[o.ordinal()] += s.requests(o);
      }
    }

    synchronized double requests(Outcome o) {
      long sum = departed[o.ordinal()];
      for (EndpointState s : tracked.values()) {
        sum += s.requests(o);
      }
      return sum;
    }

    synchronized double inFlight() {
      long sum = 0;
      for (EndpointState s : tracked.values()) {
        sum += s.inFlight();
      }
      return sum;
    }
  }
}
