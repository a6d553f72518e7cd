package io.lb4j;

import io.lb4j.health.HealthCheckConfig;
import io.lb4j.health.HealthChecker;
import io.lb4j.health.HealthProbe;
import io.lb4j.internal.ConfigChecks;
import io.lb4j.outlier.OutlierDetectionConfig;
import io.lb4j.outlier.OutlierDetector;
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
import java.util.concurrent.TimeUnit;

/**
 * The facade: holds a set of endpoints, their live state and a {@link Policy}, and answers
 * {@link #pick(PickContext)} with the endpoint the next request should use.
 *
 * <pre>{@code
 * LoadBalancer lb = LoadBalancer.builder().name("orders").endpoints(endpoints).build();
 * Selection s = lb.pick();
 * s.release(callBackend(s.endpoint()), latencyNanos); // exactly once, from any thread
 * }</pre>
 *
 * <p><b>How it works.</b> The policy turns the eligible endpoints (present, not draining, not
 * ejected, not unhealthy; every usable one in panic mode) into an immutable {@link Picker},
 * published with one volatile write; {@code pick} reads it and counts the request in flight,
 * {@link Selection#release} records the outcome. Every change ends in one serialised rebuild: this
 * class's own calls rebuild before they return; releases, probes and timers only ask, and one
 * coalesced rebuild follows on the {@link Scheduler}, never on a request thread. Outlier detection,
 * active health checks and slow start are off by default; with any of them the balancer runs a
 * scheduler (by default its own daemon thread {@code lb4j-<name>-1}) that {@link #close()} stops.
 * Status changes are logged at INFO (logger {@code io.lb4j.LoadBalancer}) and reported to the
 * {@link LoadBalancerListener}s.
 *
 * <p><b>Thread safety.</b> All methods are thread-safe; picks, releases and the read-only methods
 * take no lock.
 *
 * <p>(This class only delegates, to {@code BalancerCore} and {@code Picks}; about a third of its
 * lines are the public API's documentation.)
 */
public final class LoadBalancer implements AutoCloseable {

  /** Envoy's default panic threshold: panic below 50 % eligible. */
  public static final double DEFAULT_PANIC_THRESHOLD = 0.5;

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

  /** Whether anything reads latencies (the policy, a meter registry); if not, release with latency -1. */
  public boolean recordsLatency() {
    return recordsLatency;
  }

  /** Same as {@code pick(PickContext.EMPTY)}. */
  public Selection pick() {
    return pick(PickContext.EMPTY);
  }

  /**
   * Picks the endpoint for one request and counts it in flight; release the selection exactly once.
   *
   * @throws NoEndpointAvailableException if no endpoint can take the request; the message says why
   * @throws IllegalStateException if the balancer is closed
   * @throws IllegalArgumentException if {@code ctx} is null
   */
  public Selection pick(PickContext ctx) {
    return new Lease(Picks.choose(core, ctx));
  }

  /**
   * Picks for a request with this key, e.g. a user id or a session header's value: the same
   * endpoint as {@code pick(PickContext.ofKey(key))} (XXH64 of the key's UTF-8 bytes, as Envoy
   * hashes), without making a context object, so that a pick with a key allocates nothing on any
   * call path (an ASCII key is hashed in place). Policies that do not hash ignore the key and do not
   * hash it. Release the selection exactly once.
   *
   * @throws NoEndpointAvailableException if no endpoint can take the request; the message says why
   * @throws IllegalStateException if the balancer is closed
   * @throws IllegalArgumentException if {@code key} is null
   */
  public Selection pick(CharSequence key) {
    return new Lease(Picks.chooseByKey(core, key));
  }

  /**
   * Picks for a retry, avoiding the endpoints already {@code tried} (by address) while another is
   * pickable (panic and zone rules apply); when all were tried, as if none had been.
   */
  public Selection pick(PickContext ctx, Collection<Endpoint> tried) {
    return new Lease(Picks.chooseOther(core, ctx, tried));
  }

  /**
   * Chooses without starting (nothing counted or released), for transports that may drop a pick
   * unsent (gRPC); {@link #begin} starts it. Throws as {@link #pick(PickContext)}.
   */
  public Endpoint choose(PickContext ctx) {
    return Picks.choose(core, ctx).endpoint();
  }

  /** {@link #choose(PickContext)} for a retry, as {@link #pick(PickContext, Collection)}. */
  public Endpoint choose(PickContext ctx, Collection<Endpoint> tried) {
    return Picks.chooseOther(core, ctx, tried).endpoint();
  }

  /**
   * Starts a request on an endpoint {@link #choose chosen} earlier: counts it in flight (also if it
   * left since, so the release balances). Throws {@link IllegalArgumentException} for null.
   */
  public Selection begin(Endpoint endpoint) {
    return new Lease(Picks.started(core, endpoint));
  }

  /**
   * Replaces the endpoint list; the new picker is in place when this returns. Endpoints whose
   * address stays keep their live state (in flight, latency, counters, verdicts) and take over a
   * changed weight, zone or metadata; endpoints that leave drain (no new picks, in-flight requests
   * finish). With active health checks, joiners wait for their first passed probe (unless none was
   * probed yet); with slow start, endpoints that join after the first list ramp up.
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
   * Where the endpoint stands, as the current picker was built and the listeners were told:
   * {@code DRAINING} (drained, removed with requests in flight, or a probe asked for it), else
   * {@code EJECTED}, else {@code UNHEALTHY}, else {@code UNKNOWN} (not probed yet, or not known),
   * else {@code HEALTHY}. A probe verdict or an ejection shows once the rebuild it asked for has run
   * (at once, on the scheduler).
   */
  public EndpointStatus status(Endpoint endpoint) {
    EndpointState s = core.snapshot.byAddress().get(address(endpoint));
    if (s == null) {
      EndpointState gone = core.registry.leaving(endpoint.address());
      return gone != null && gone.inFlight() > 0 ? EndpointStatus.DRAINING : EndpointStatus.UNKNOWN;
    }
    EndpointStatus told = s.reportedStatus;
    return told != null ? told : s.status();
  }

  /** Whether the current picker may return this endpoint (eligible or panic-usable, preferred zone). */
  public boolean isPickable(Endpoint endpoint) {
    EndpointState s = core.snapshot.byAddress().get(address(endpoint));
    return s != null && s.pickable && !core.closed;
  }

  /** Why a pick would fail now (the exception's message), or empty when a pick can succeed. */
  public Optional<String> unavailableReason() {
    Snapshot s = core.snapshot;
    return s.picker() == null ? Optional.of(s.unavailable()) : Optional.empty();
  }

  /**
   * Stops new picks of the endpoint; requests in flight finish; it stays listed ({@code DRAINING})
   * until an update removes it. Throws {@link IllegalArgumentException} for an unknown address.
   */
  public void drain(Endpoint endpoint) {
    address(endpoint);
    core.drain(endpoint);
  }

  /** The number of requests in flight to the endpoint, or 0 if the balancer does not know it. */
  public int inFlight(Endpoint endpoint) {
    address(endpoint);
    EndpointState s = core.find(endpoint);
    return s == null ? 0 : s.inFlight();
  }

  /** Requests to the endpoint released with this outcome since it joined (cumulative), or 0 if unknown. */
  public long requests(Endpoint endpoint, Outcome outcome) {
    address(endpoint);
    EndpointState s = core.find(endpoint);
    return s == null ? 0 : s.requests(Builder.required("outcome", outcome));
  }

  private static String address(Endpoint endpoint) {
    return Builder.required("endpoint", endpoint).address();
  }

  /** The balancer's state, for tests in this package. */
  BalancerCore core() {
    return core;
  }

  /** The live state of a present endpoint, for tests in this package; null if absent. */
  EndpointState state(Endpoint endpoint) {
    return core.snapshot.byAddress().get(endpoint.address());
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

  /** Rebuilds the picker now, on the calling thread; the balancer does so by itself after every change. */
  public void refresh() {
    core.refresh();
  }

  /**
   * Stops the source, probes and timers (waits up to 5 s for its own threads), closes the health
   * probe, drops the metrics, then runs the {@link #onClose} hooks. Idempotent.
   */
  @Override
  public void close() {
    core.close();
  }

  /**
   * Runs {@code hook} once when this balancer closes, after its own resources are released (at
   * once, on this thread, if it is already closed): for components that registered something on
   * its behalf, e.g. an adapter's meters. A hook that throws is logged and ignored.
   *
   * @throws IllegalArgumentException if {@code hook} is null
   */
  public void onClose(Runnable hook) {
    core.onClose(Builder.required("hook", hook));
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

    private Builder() {}

    static <T> T required(String field, T value) {
      if (value == null) {
        throw new IllegalArgumentException(field + " must not be null");
      }
      return value;
    }

    private static String notBlank(String field, String value) {
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException(field + " must not be blank, was " + (value == null ? "null" : "'" + value + "'"));
      }
      return value;
    }

    /** The name used in metrics tags and logs; default {@code "default"}. */
    public Builder name(String name) {
      this.name = notBlank("name", name);
      return this;
    }

    /** A fixed initial endpoint list (it may be replaced later by {@link LoadBalancer#updateEndpoints}). */
    public Builder endpoints(Collection<Endpoint> endpoints) {
      // Not List.copyOf: that throws NPE on a null element; build() reports it with its index.
      this.endpoints = Collections.unmodifiableList(new ArrayList<>(required("endpoints", endpoints)));
      return this;
    }

    /** A source that supplies and updates the endpoint list; closed with the balancer. */
    public Builder endpointSource(EndpointSource source) {
      this.source = required("endpointSource", source);
      return this;
    }

    /** The policy; default {@link Policies#powerOfTwoChoices()}. */
    public Builder policy(Policy policy) {
      this.policy = required("policy", policy);
      return this;
    }

    /** Passive outlier detection (see {@link OutlierDetector}); default off. */
    public Builder outlierDetection(OutlierDetectionConfig config) {
      this.outlierDetection = required("outlierDetection config", config);
      return this;
    }

    /** Active health checks with this probe (see {@link HealthChecker}); default off. */
    public Builder healthCheck(HealthCheckConfig config, HealthProbe probe) {
      this.healthCheck = required("healthCheck config", config);
      this.healthProbe = required("healthCheck probe", probe);
      return this;
    }

    /** Adds a listener for endpoint state changes and panic mode; may be called more than once. */
    public Builder listener(LoadBalancerListener listener) {
      this.listeners.add(required("listener", listener));
      return this;
    }

    /**
     * Zone-aware routing: picks only among the eligible endpoints of this zone while they number at
     * least one and at least {@code panicThreshold} of the zone's judged endpoints; otherwise spills
     * over to every zone. Panic mode is decided first, over all zones. Default none.
     */
    public Builder localZone(String zone) {
      this.localZone = notBlank("localZone", zone);
      return this;
    }

    /**
     * Panic mode (Envoy's, with one difference): when fewer than this fraction of the judged
     * endpoints (present, not draining, not waiting for a first probe, not <em>known dead</em>:
     * failed their active checks, or ejected because their last {@code consecutiveLocalFailures}
     * requests all failed to connect) are eligible, pick among all of them, ejected ones included,
     * known-dead ones never; when every endpoint failed its checks, picks fail at once. {@code 0.0}
     * disables it. Default {@value LoadBalancer#DEFAULT_PANIC_THRESHOLD}.
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
     * {@code EndpointView.effectiveWeight()} is scaled by 100 for every endpoint. Default
     * {@link Duration#ZERO} (off); otherwise at least 1 ms (a negative or shorter window is refused,
     * one longer than 10,000 days clamped).
     */
    public Builder slowStart(Duration window) {
      this.slowStart = ConfigChecks.timerOrZero("slowStart", window);
      return this;
    }

    /** Where to register metrics (see {@link io.lb4j.metrics.LoadBalancerMetrics}); default none. */
    public Builder meterRegistry(MeterRegistry registry) {
      this.meterRegistry = required("meterRegistry", registry);
      return this;
    }

    /** The time source for ejections, ramps and probes; default {@link Ticker#system()}. */
    public Builder ticker(Ticker ticker) {
      this.ticker = required("ticker", ticker);
      return this;
    }

    /**
     * Where background work runs (sweeps, probes, ramp steps, rebuilds); default the balancer's own,
     * made when a timed feature is on. A given one is not shut down on close, only its tasks cancelled.
     */
    public Builder scheduler(Scheduler scheduler) {
      this.scheduler = required("scheduler", scheduler);
      return this;
    }

    /**
     * A wall clock read as the ticker, in milliseconds.
     *
     * @deprecated a wall clock jumps; use {@link #ticker(Ticker)} (with {@link #scheduler} for a fake)
     */
    @Deprecated
    public Builder clock(Clock clock) {
      Clock c = required("clock", clock);
      this.ticker = () -> TimeUnit.MILLISECONDS.toNanos(c.millis());
      return this;
    }

    /**
     * Builds the balancer and starts its endpoint source, if any.
     *
     * @throws IllegalArgumentException if both endpoints and an endpoint source are set, the list is
     *     invalid, or a live balancer of the same name is on the meter registry
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
