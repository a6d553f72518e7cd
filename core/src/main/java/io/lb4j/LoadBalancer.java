package io.lb4j;

import io.lb4j.health.HealthCheckConfig;
import io.lb4j.health.HealthChecker;
import io.lb4j.health.HealthProbe;
import io.lb4j.outlier.OutlierDetectionConfig;
import io.lb4j.outlier.OutlierDetector;
import io.lb4j.policy.EndpointView;
import io.lb4j.policy.Picker;
import io.lb4j.policy.Policies;
import io.lb4j.policy.Policy;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The facade: holds a set of endpoints, their live state and a {@link Policy}, and answers
 * {@link #pick(PickContext)} with the endpoint the next request should use.
 *
 * <pre>{@code
 * LoadBalancer lb = LoadBalancer.builder()
 *     .name("orders")
 *     .endpoints(List.of(Endpoint.parse("10.0.0.1:8080"), Endpoint.parse("10.0.0.2:8080")))
 *     .build();
 * Selection s = lb.pick();
 * long start = System.nanoTime();
 * try {
 *   call(s.endpoint());
 *   s.release(Outcome.SUCCESS, System.nanoTime() - start);
 * } catch (IOException e) {
 *   s.release(Outcome.CONNECT_FAILURE, System.nanoTime() - start);
 * }
 * }</pre>
 *
 * <p><b>How it works.</b> The eligible endpoints (present, not draining, not ejected, not
 * unhealthy; all present ones in panic mode, when fewer than {@code panicThreshold} are eligible)
 * are turned into an immutable {@link Picker} by the policy, published with one volatile write.
 * {@link #pick} reads it, picks, and counts the request in flight; {@link Selection#release}
 * records the outcome. Neither takes a lock. Every change (an endpoint update, a drain, an
 * ejection, a probe verdict, a slow-start step) ends in one serialised rebuild; changes from
 * releases, probes and timers are coalesced and rebuilt on the balancer's scheduler, never on a
 * request thread.
 *
 * <p><b>Health.</b> Optional parts, all off by default: passive outlier detection
 * ({@link Builder#outlierDetection}, see {@link OutlierDetector}), active health checks
 * ({@link Builder#healthCheck}, see {@link HealthChecker}), slow start ({@link Builder#slowStart})
 * and draining ({@link #drain}, or removal by {@link #updateEndpoints}). With any of the first three
 * the balancer runs a {@link Scheduler} ({@link Builder#scheduler}), by default its own daemon
 * thread {@code lb4j-<name>-1}, which {@link #close()} stops. Each status change is logged once at
 * INFO (logger {@code io.lb4j.LoadBalancer}) and reported to the {@link LoadBalancerListener}s.
 *
 * <p><b>Thread safety.</b> All methods are thread-safe; {@code pick}, {@code choose},
 * {@code begin}, {@code release} and the read-only methods are lock-free.
 */
public final class LoadBalancer implements AutoCloseable {

  /** Envoy's default panic threshold: panic below 50 % eligible. */
  public static final double DEFAULT_PANIC_THRESHOLD = 0.5;
  /** Picks a retry makes, with no hash, before it scans for an endpoint not tried yet. */
  static final int RETRY_PICKS = 8;

  private final BalancerCore core;
  private final boolean recordsLatency;

  private LoadBalancer(Builder b) {
    this.core = new BalancerCore(b, b.policy, b.source);
    this.recordsLatency = b.policy.usesLatency() || b.meterRegistry != null;
    try {
      if (b.meterRegistry != null) {
        core.metrics = MicrometerMetrics.bind(b.meterRegistry, core);
      }
      if (b.endpoints != null) {
        core.update(b.endpoints);
      }
    } catch (RuntimeException e) {
      core.close();
      throw e;
    }
  }

  /** A builder with the defaults: policy P2C, panic threshold 0.5, no outlier detection, no probes. */
  public static Builder builder() {
    return new Builder();
  }

  /** The name given to the builder; it tags metrics and log lines. */
  public String name() {
    return core.name;
  }

  /** The policy this balancer picks with. */
  public Policy policy() {
    return core.policy;
  }

  /**
   * Whether anything reads request latencies: the policy ({@link Policy#usesLatency()}) or a meter
   * registry. When false, a caller may skip timing and release with latency {@code -1}.
   */
  public boolean recordsLatency() {
    return recordsLatency;
  }

  /** Same as {@code pick(PickContext.EMPTY)}. */
  public Selection pick() {
    return pick(PickContext.EMPTY);
  }

  /**
   * Picks the endpoint for one request and counts it in flight; the caller must
   * {@link Selection#release release} the selection exactly once when the request ends.
   *
   * @throws NoEndpointAvailableException if no endpoint can take the request; the message says why
   * @throws IllegalStateException if the balancer is closed
   * @throws IllegalArgumentException if {@code ctx} is null
   */
  public Selection pick(PickContext ctx) {
    return new Lease(choose(ctx, current(ctx)), core);
  }

  /**
   * Picks for a retry: like {@link #pick(PickContext)}, but avoids the endpoints already
   * {@code tried} (by address) while the balancer offers another one (Envoy's host selection retry).
   * Panic mode and zone preference apply as for any pick; when every pickable endpoint was tried,
   * it picks as if none had been.
   */
  public Selection pick(PickContext ctx, Collection<Endpoint> tried) {
    return new Lease(chooseOther(ctx, tried), core);
  }

  /**
   * Chooses the endpoint for one request without starting it: nothing is counted and nothing needs
   * releasing. For transports that can drop a pick without sending anything (gRPC's picker runs
   * before the stream exists); they call {@link #begin(Endpoint)} once the request really starts.
   *
   * @throws NoEndpointAvailableException if no endpoint can take the request; the message says why
   * @throws IllegalStateException if the balancer is closed
   * @throws IllegalArgumentException if {@code ctx} is null
   */
  public Endpoint choose(PickContext ctx) {
    return choose(ctx, current(ctx)).endpoint();
  }

  /** {@link #choose(PickContext)} for a retry, avoiding {@code tried} as {@link #pick(PickContext, Collection)} does. */
  public Endpoint choose(PickContext ctx, Collection<Endpoint> tried) {
    return chooseOther(ctx, tried).endpoint();
  }

  /**
   * Starts a request on an endpoint chosen earlier by {@link #choose(PickContext)}: counts it in
   * flight and returns the selection to release. An endpoint that left the balancer in between is
   * still counted (it drains), so the release always balances. Lock-free.
   *
   * @throws IllegalArgumentException if {@code endpoint} is null
   */
  public Selection begin(Endpoint endpoint) {
    if (endpoint == null) {
      throw new IllegalArgumentException("endpoint must not be null");
    }
    Snapshot snap = core.snapshot;
    EndpointState state = snap.byEndpoint().get(endpoint);
    if (state == null) {
      state = core.find(endpoint);
    }
    if (state == null) {
      // Gone without requests in flight: count on a detached state that nobody picks any more.
      state = new EndpointState(endpoint, null, null);
      state.draining = true;
      state.removed = true;
    }
    return new Lease(state, core);
  }

  /** The snapshot to pick from; throws if nothing can be picked. */
  private Snapshot current(PickContext ctx) {
    if (ctx == null) {
      throw new IllegalArgumentException("ctx must not be null (use PickContext.EMPTY)");
    }
    Snapshot s = core.snapshot;
    if (s.picker() == null) {
      if (core.closed) {
        throw new IllegalStateException("load balancer '" + core.name + "' is closed");
      }
      core.metrics.noEndpoint();
      throw new NoEndpointAvailableException(s.unavailable());
    }
    return s;
  }

  private EndpointState choose(PickContext ctx, Snapshot s) {
    EndpointView v = s.picker().pick(ctx);
    if (!(v instanceof EndpointState state)) {
      throw new IllegalStateException("policy '" + core.policy.name() + "' returned " + v
          + ", which is not one of the endpoints it was given");
    }
    return state;
  }

  private EndpointState chooseOther(PickContext ctx, Collection<Endpoint> tried) {
    Snapshot s = current(ctx);
    EndpointState first = choose(ctx, s);
    if (tried == null || tried.isEmpty() || !contains(tried, first)) {
      return first;
    }
    // The same hash picks the same endpoint: ask the policy without it, a bounded number of times.
    for (int i = 0; i < RETRY_PICKS; i++) {
      EndpointState e = choose(PickContext.EMPTY, s);
      if (!contains(tried, e)) {
        return e;
      }
    }
    EndpointState[] chosen = s.chosen();
    int start = ThreadLocalRandom.current().nextInt(chosen.length);
    for (int i = 0; i < chosen.length; i++) {
      EndpointState e = chosen[(start + i) % chosen.length];
      if (!contains(tried, e)) {
        return e;
      }
    }
    return first;
  }

  private static boolean contains(Collection<Endpoint> tried, EndpointState s) {
    Endpoint e = s.endpoint();
    for (Endpoint t : tried) {
      if (t != null && t.port() == e.port() && t.host().equals(e.host())) {
        return true;
      }
    }
    return false;
  }

  /**
   * Replaces the endpoint list. Endpoints whose address stays keep their live state (in-flight
   * count, latency, counters, ejection and health verdicts) and take over a changed weight, zone or
   * metadata. Endpoints that leave are drained: no new picks, in-flight requests finish. With active
   * health checks on, endpoints that join wait for their first passed probe (unless none has been
   * probed yet); with slow start on, endpoints that join after the first list ramp up. The new
   * picker is in place when this returns.
   *
   * @throws IllegalArgumentException if the collection or an element is null, or two elements share
   *     an address (the message names it); the list is then left as it was
   */
  public void updateEndpoints(Collection<Endpoint> endpoints) {
    core.update(endpoints);
  }

  /** The current endpoint list, in insertion order; immutable. */
  public List<Endpoint> endpoints() {
    return core.snapshot.endpoints();
  }

  /**
   * Where the endpoint stands now: {@code DRAINING} (drained, removed with requests still in
   * flight, or a probe asked for it), else {@code EJECTED}, else {@code UNHEALTHY}, else
   * {@code UNKNOWN} (not probed yet, or not known to the balancer), else {@code HEALTHY}. Lock-free.
   */
  public EndpointStatus status(Endpoint endpoint) {
    if (endpoint == null) {
      throw new IllegalArgumentException("endpoint must not be null");
    }
    EndpointState s = core.snapshot.byAddress().get(endpoint.address());
    if (s == null) {
      EndpointState gone = core.registry.leaving(endpoint.address());
      return gone != null && gone.inFlight() > 0 ? EndpointStatus.DRAINING : EndpointStatus.UNKNOWN;
    }
    return s.status();
  }

  /**
   * Whether the current picker may return this endpoint (eligible, or picked from in panic mode,
   * and in the preferred zone). What an adapter asks before keeping a request on an endpoint it
   * pinned. Lock-free.
   */
  public boolean isPickable(Endpoint endpoint) {
    if (endpoint == null) {
      throw new IllegalArgumentException("endpoint must not be null");
    }
    EndpointState s = core.snapshot.byAddress().get(endpoint.address());
    return s != null && s.pickable && !core.closed;
  }

  /**
   * Why a pick would fail now (the {@link NoEndpointAvailableException} message, or that the
   * balancer is closed), or empty when a pick can succeed. Lock-free.
   */
  public Optional<String> unavailableReason() {
    Snapshot s = core.snapshot;
    return s.picker() == null ? Optional.of(s.unavailable()) : Optional.empty();
  }

  /**
   * Stops new picks of the endpoint; requests in flight finish normally. The endpoint stays in
   * {@link #endpoints()} (status {@code DRAINING}) until an update removes it.
   *
   * @throws IllegalArgumentException if the balancer does not know the endpoint's address
   */
  public void drain(Endpoint endpoint) {
    if (endpoint == null) {
      throw new IllegalArgumentException("endpoint must not be null");
    }
    core.drain(endpoint);
  }

  /** The number of requests in flight to the endpoint, or 0 if the balancer does not know it. */
  public int inFlight(Endpoint endpoint) {
    EndpointState s = find(endpoint);
    return s == null ? 0 : s.inFlight();
  }

  /**
   * Requests to the endpoint released with this outcome since it joined (cumulative), or 0 if the
   * balancer does not know the endpoint. Lock-free.
   */
  public long requests(Endpoint endpoint, Outcome outcome) {
    if (outcome == null) {
      throw new IllegalArgumentException("outcome must not be null");
    }
    EndpointState s = find(endpoint);
    return s == null ? 0 : s.requests(outcome);
  }

  private EndpointState find(Endpoint endpoint) {
    if (endpoint == null) {
      throw new IllegalArgumentException("endpoint must not be null");
    }
    return core.find(endpoint);
  }

  /** The live state of a present endpoint, for tests in this package; null if absent. */
  EndpointState state(Endpoint endpoint) {
    return core.snapshot.byAddress().get(endpoint.address());
  }

  /** The balancer's internals, for tests in this package. */
  BalancerCore core() {
    return core;
  }

  /** Whether the balancer is in panic mode: too few eligible endpoints, so it picks among all. */
  public boolean inPanic() {
    return core.snapshot.panic();
  }

  /** The outlier detector, if the builder turned outlier detection on. */
  public Optional<OutlierDetector> outlierDetector() {
    return Optional.ofNullable(core.outlier);
  }

  /** The active health checker, if the builder turned health checks on. */
  public Optional<HealthChecker> healthChecker() {
    return Optional.ofNullable(core.health);
  }

  /**
   * Recomputes eligibility, slow-start weights and the picker now, on the calling thread. The
   * balancer does this by itself after every change; a test that moved a fake ticker without its
   * scheduler may call it.
   */
  public void refresh() {
    core.refresh();
  }

  /**
   * Stops the endpoint source, probes and timers (waiting up to 5 s for the balancer's own threads
   * to end) and removes the metrics; later picks throw. Idempotent.
   */
  @Override
  public void close() {
    core.close();
  }

  @Override
  public String toString() {
    Snapshot s = core.snapshot;
    return "LoadBalancer{name=" + core.name + ", policy=" + core.policy.name() + ", endpoints=" + s.endpoints().size()
        + (s.panic() ? ", panic" : "") + (core.closed ? ", closed" : "") + "}";
  }

  /**
   * Builds a {@link LoadBalancer}. Setters validate their argument at once and throw
   * {@link IllegalArgumentException} naming it; {@link #build()} checks the combination. Not
   * thread-safe; a builder may be reused after {@code build()}.
   */
  public static final class Builder {
    String name = "default";
    Collection<Endpoint> endpoints;
    EndpointSource source;
    Policy policy = Policies.powerOfTwoChoices();
    double panicThreshold = DEFAULT_PANIC_THRESHOLD;
    Duration slowStart = Duration.ZERO;
    MeterRegistry meterRegistry;
    Ticker ticker = Ticker.system();
    Scheduler scheduler;
    OutlierDetectionConfig outlierDetection;
    HealthCheckConfig healthCheck;
    HealthProbe healthProbe;
    final List<LoadBalancerListener> listeners = new ArrayList<>();
    String localZone;
    boolean backgroundTasks = true;

    private Builder() {}

    /** The name used in metrics tags and logs; default {@code "default"}. */
    public Builder name(String name) {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException("name must not be blank, was " + (name == null ? "null" : "'" + name + "'"));
      }
      this.name = name;
      return this;
    }

    /** A fixed initial endpoint list (it may be replaced later by {@link LoadBalancer#updateEndpoints}). */
    public Builder endpoints(Collection<Endpoint> endpoints) {
      if (endpoints == null) {
        throw new IllegalArgumentException("endpoints must not be null");
      }
      // Not List.copyOf: that throws NPE on a null element; build() reports it with its index.
      this.endpoints = Collections.unmodifiableList(new ArrayList<>(endpoints));
      return this;
    }

    /** A source that supplies and updates the endpoint list; closed with the balancer. */
    public Builder endpointSource(EndpointSource source) {
      if (source == null) {
        throw new IllegalArgumentException("endpointSource must not be null");
      }
      this.source = source;
      return this;
    }

    /** The policy; default {@link Policies#powerOfTwoChoices()}. */
    public Builder policy(Policy policy) {
      if (policy == null) {
        throw new IllegalArgumentException("policy must not be null");
      }
      this.policy = policy;
      return this;
    }

    /** Passive outlier detection (see {@link OutlierDetector}); default off. */
    public Builder outlierDetection(OutlierDetectionConfig config) {
      if (config == null) {
        throw new IllegalArgumentException("outlierDetection config must not be null");
      }
      this.outlierDetection = config;
      return this;
    }

    /**
     * Active health checks with this probe (see {@link HealthChecker}); default off. Core ships
     * {@link io.lb4j.health.TcpConnectProbe}; the adapters ship HTTP and gRPC probes.
     */
    public Builder healthCheck(HealthCheckConfig config, HealthProbe probe) {
      if (config == null) {
        throw new IllegalArgumentException("healthCheck config must not be null");
      }
      if (probe == null) {
        throw new IllegalArgumentException("healthCheck probe must not be null");
      }
      this.healthCheck = config;
      this.healthProbe = probe;
      return this;
    }

    /** Adds a listener for endpoint state changes and panic mode; may be called more than once. */
    public Builder listener(LoadBalancerListener listener) {
      if (listener == null) {
        throw new IllegalArgumentException("listener must not be null");
      }
      this.listeners.add(listener);
      return this;
    }

    /**
     * Zone-aware routing: picks only among the eligible endpoints of this zone while they number at
     * least one and at least {@code panicThreshold} of the zone's judged endpoints; otherwise spills
     * over to every zone. Panic mode is decided first, over all zones. Default none.
     */
    public Builder localZone(String zone) {
      if (zone == null || zone.isBlank()) {
        throw new IllegalArgumentException("localZone must not be blank, was " + (zone == null ? "null" : "'" + zone + "'"));
      }
      this.localZone = zone;
      return this;
    }

    /**
     * Panic mode (Envoy's): when fewer than this fraction of the judged endpoints (present, not
     * draining, not waiting for a first probe) are eligible, pick among all present, not draining
     * endpoints instead. {@code 0.0} disables it. Default {@value LoadBalancer#DEFAULT_PANIC_THRESHOLD}.
     */
    public Builder panicThreshold(double fraction) {
      if (!(fraction >= 0.0 && fraction <= 1.0)) {
        throw new IllegalArgumentException("panicThreshold must be in 0.0..1.0, was " + fraction);
      }
      this.panicThreshold = fraction;
      return this;
    }

    /**
     * Ramps an endpoint that joins after the first list, or comes back from ejection or unhealthy,
     * over this window: {@code weight × max(0.1, elapsed / window)}; with slow start on,
     * {@link EndpointView#effectiveWeight()} is scaled by 100 for every endpoint. Default off.
     */
    public Builder slowStart(Duration window) {
      if (window == null || window.isNegative()) {
        throw new IllegalArgumentException("slowStart must be a non-negative duration, was " + window);
      }
      this.slowStart = window;
      return this;
    }

    /** Where to register metrics (see {@link io.lb4j.metrics.LoadBalancerMetrics}); default none. */
    public Builder meterRegistry(MeterRegistry registry) {
      if (registry == null) {
        throw new IllegalArgumentException("meterRegistry must not be null");
      }
      this.meterRegistry = registry;
      return this;
    }

    /** The time source for ejections, ramps and probes; default {@link Ticker#system()}. */
    public Builder ticker(Ticker ticker) {
      if (ticker == null) {
        throw new IllegalArgumentException("ticker must not be null");
      }
      this.ticker = ticker;
      return this;
    }

    /**
     * Where background work runs (sweeps, probes, slow-start steps, coalesced rebuilds); default a
     * scheduler of the balancer's own, made only when a timed feature is on. A given scheduler is
     * not shut down by {@link LoadBalancer#close()}; the balancer's tasks on it are cancelled.
     */
    public Builder scheduler(Scheduler scheduler) {
      if (scheduler == null) {
        throw new IllegalArgumentException("scheduler must not be null");
      }
      this.scheduler = scheduler;
      return this;
    }

    /**
     * A wall clock read as the ticker (milliseconds).
     *
     * @deprecated a wall clock jumps; use {@link #ticker(Ticker)} (and {@link #scheduler(Scheduler)}
     *     for a fake one)
     */
    @Deprecated
    public Builder clock(Clock clock) {
      if (clock == null) {
        throw new IllegalArgumentException("clock must not be null");
      }
      this.ticker = () -> TimeUnit.MILLISECONDS.toNanos(clock.millis());
      return this;
    }

    /**
     * With {@code false}, no timer runs by itself (sweeps, probe rounds, slow-start steps) and
     * rebuilds run on the thread that causes them, a releasing request thread included.
     *
     * @deprecated give a fake {@link #ticker(Ticker)} and {@link #scheduler(Scheduler)} instead,
     *     which run the real timers when the test advances time
     */
    @Deprecated
    public Builder backgroundTasks(boolean enabled) {
      this.backgroundTasks = enabled;
      return this;
    }

    /**
     * Builds the balancer and starts its endpoint source, if any.
     *
     * @throws IllegalArgumentException if both endpoints and an endpoint source are set, the
     *     endpoint list is invalid, or a live balancer of the same name is on the meter registry
     */
    public LoadBalancer build() {
      if (endpoints != null && source != null) {
        throw new IllegalArgumentException("set either endpoints or endpointSource, not both");
      }
      LoadBalancer lb = new LoadBalancer(this);
      if (source != null) {
        try {
          lb.core.source.start();
        } catch (RuntimeException e) {
          lb.close();
          throw e;
        }
      }
      return lb;
    }
  }
}
