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
import java.util.Map;
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
 * <p>(This class only delegates, to {@code BalancerCore} and {@code Picks}. It is longer than the
 * ~350 lines aimed at because it holds the nested {@link Builder}, about 310 lines, whose name
 * {@code LoadBalancer.Builder} is public API: each of its options validates its value and documents
 * itself. The facade's own part is about 400 lines, half of them javadoc.)
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
        core.metrics = MicrometerMetrics.bind(b.meterRegistry, core, b.perEndpointMetrics);
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
   * {@link #choose(PickContext)}, answered with the chosen endpoint's {@link EndpointHandle}: its
   * attachment and counters without a lookup. Throws as {@link #pick(PickContext)}; lock-free and
   * allocation-free.
   */
  public EndpointHandle chooseHandle(PickContext ctx) {
    return Picks.choose(core, ctx).handle;
  }

  /**
   * The handle of an endpoint: the present one's (found by address), else, while requests on it are
   * in flight after it left, the leaving one's, else a detached handle that nobody picks (so that
   * requests counted on it still balance). Throws {@link IllegalArgumentException} for null.
   */
  public EndpointHandle handle(Endpoint endpoint) {
    return Picks.started(core, endpoint).handle;
  }

  /**
   * Reports whether the transport can reach a present endpoint now (see {@link Connectivity}); for
   * transport adapters that track connections. The picker follows with the next coalesced rebuild
   * (on the balancer's scheduler, or on this thread when it runs none). Endpoints the balancer does
   * not know are ignored, since a report may race with the endpoint's removal. Lock-free.
   *
   * @throws IllegalArgumentException if an argument is null
   */
  public void setConnectivity(Endpoint endpoint, Connectivity connectivity) {
    address(endpoint);
    core.setConnectivity(endpoint, Builder.required("connectivity", connectivity));
  }

  /**
   * Reports the connectivity of several present endpoints at once and, if any changed, rebuilds once
   * on the calling thread before returning, as {@link #updateEndpoints} does: for an adapter that
   * collects its transport's changes (a gRPC channel applies each turn of its synchronization
   * context at once). Unknown endpoints are ignored.
   *
   * @throws IllegalArgumentException if the map, a key or a value is null; nothing is applied then
   */
  public void updateConnectivity(Map<Endpoint, Connectivity> changes) {
    Builder.required("changes", changes);
    for (Map.Entry<Endpoint, Connectivity> e : changes.entrySet()) {
      Builder.required("endpoint", e.getKey());
      Builder.required("connectivity of " + e.getKey().address(), e.getValue());
    }
    core.updateConnectivity(changes);
  }

  /**
   * What the transport last reported for a present endpoint ({@link Builder#initialConnectivity}
   * until it reports), or {@link Connectivity#DISCONNECTED} for an endpoint the balancer does not know.
   */
  public Connectivity connectivity(Endpoint endpoint) {
    EndpointState s = core.snapshot.byAddress().get(address(endpoint));
    return s == null ? Connectivity.DISCONNECTED : s.connectivity;
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
   * {@code EJECTED}, else {@code UNHEALTHY}, else {@code NOT_CONNECTED} (the transport reported no
   * working connection, see {@link #setConnectivity}), else {@code UNKNOWN} (not probed yet, or not
   * known), else {@code HEALTHY}. A probe verdict or an ejection shows once the rebuild it asked for has run
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

  /**
   * Replaces what this client knows of its own fleet (its position for a deterministic
   * {@link Aperture}, the clients per zone for zone-aware routing) and rebuilds before returning.
   *
   * @throws IllegalArgumentException if {@code peers} is null
   */
  public void updatePeers(Peers peers) {
    core.updatePeers(Builder.required("peers", peers));
  }

  /** What this client knows of its own fleet now ({@link Peers#UNKNOWN} unless told). */
  public Peers peers() {
    return core.peers();
  }

  /**
   * The subsets this balancer precomputes (given to the builder, or declared for its traffic
   * split); empty if none.
   */
  public Optional<SubsetConfig> subsets() {
    return Optional.ofNullable(core.subsetConfig());
  }

  /** The traffic split given to the builder, whose weights may be changed at run time; empty if none. */
  public Optional<TrafficSplit> trafficSplit() {
    return Optional.ofNullable(core.split());
  }

  /**
   * Percent of the requests (that name no subset) each priority level gets now, by level in
   * ascending order: Envoy's priority load, {@code {0=100}} while level 0 is healthy enough. Levels
   * present with no share map to 0.
   */
  public Map<Integer, Integer> priorityLoads() {
    return core.snapshot.levelLoads();
  }

  /**
   * With zone-aware routing ({@link Builder#localZone} and the clients per zone in {@link Peers}):
   * the share of the first priority level's requests each zone gets now, by zone; empty otherwise.
   */
  public Map<String, Double> zoneShares() {
    return core.snapshot.zoneShares();
  }

  /** Requests started so far by the zone of their endpoint, when a local zone is set; empty otherwise. */
  public Map<String, Long> zoneRequests() {
    return core.zoneTraffic == null ? Map.of() : core.zoneTraffic.counts();
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
    boolean perEndpointMetrics = true;
    Ticker ticker = Ticker.system();
    Scheduler scheduler;
    OutlierDetectionConfig outlierDetection;
    HealthCheckConfig healthCheck;
    HealthProbe healthProbe;
    final List<LoadBalancerListener> listeners = new ArrayList<>();
    String localZone;
    int overprovisioning = Routing.DEFAULT_OVERPROVISIONING;
    int zoneMinSize = Routing.DEFAULT_ZONE_MIN_SIZE;
    Aperture aperture;
    SubsetConfig subsets;
    TrafficSplit trafficSplit;
    Peers peers = Peers.UNKNOWN;
    EndpointSource peerSource;
    Endpoint self;
    Connectivity initialConnectivity = Connectivity.CONNECTED;

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
     * Zone-aware routing from this zone. With the clients per zone known ({@link #peers},
     * {@link #peerSource}): Envoy's zone-aware routing, which keeps local the share of requests the
     * local zone's eligible endpoints can take given the clients in each zone and sends the rest to
     * the zones with spare capacity (see {@link LoadBalancer#zoneShares()}). Without them: picks
     * only among the eligible endpoints of this zone while they number at least one and at least
     * {@code panicThreshold} of the zone's judged endpoints, otherwise spills over to every zone.
     * Either way panic mode is decided first, and only the first priority level is zoned. Requests
     * per destination zone are counted ({@link LoadBalancer#zoneRequests()}). Default none.
     */
    public Builder localZone(String zone) {
      this.localZone = notBlank("localZone", zone);
      return this;
    }

    /**
     * Envoy's overprovisioning factor for priority levels ({@link Endpoint#priority()}): a level's
     * health is {@code min(100 %, factor × eligible / judged)}, and a level at 100 % keeps all the
     * traffic it is offered; below, the rest spills to the next level. The default 1.4 keeps
     * everything on level 0 while at least 5 of 7 (71.4 %) of its endpoints are eligible.
     *
     * @throws IllegalArgumentException unless {@code 1.0 <= factor <= 100.0}
     */
    public Builder overprovisioningFactor(double factor) {
      if (!(factor >= 1.0 && factor <= 100.0)) {
        throw new IllegalArgumentException("overprovisioningFactor must be in 1.0..100.0, was " + factor);
      }
      this.overprovisioning = (int) Math.round(factor * 100);
      return this;
    }

    /**
     * Declares the endpoint subsets to precompute and what a request for an empty one gets; a
     * request names its subset with {@link PickContext#withSubset}. Default none.
     */
    public Builder subsets(SubsetConfig config) {
      this.subsets = required("subsets", config);
      return this;
    }

    /**
     * Splits requests that name no subset between the values of one metadata key (e.g. 95 % to
     * {@code version=v1}, 5 % to {@code version=v2}); its weights can be changed at run time
     * ({@link TrafficSplit#weights(Map)}). Without {@link #subsets}, the split's key is declared as
     * the only selector, with fallback {@code ANY_ENDPOINT} (a value with no endpoint takes no
     * traffic of its own); with them, it must be one of their selectors. Default none.
     */
    public Builder trafficSplit(TrafficSplit split) {
      this.trafficSplit = required("trafficSplit", split);
      return this;
    }

    /**
     * Subsetting: this client talks to a slice of the endpoints of each priority level, picking
     * within it with the policy (see {@link Aperture}). A deterministic aperture needs this
     * client's position ({@link #peers}, {@link #peerSource}); until it is known, it uses random
     * subsetting of the same size. Default none: every endpoint.
     */
    public Builder aperture(Aperture aperture) {
      this.aperture = required("aperture", aperture);
      return this;
    }

    /**
     * What this client knows of its own fleet: its position (for a deterministic {@link Aperture})
     * and the clients per zone (for zone-aware routing with {@link #localZone}). Default
     * {@link Peers#UNKNOWN}; change it later with {@link LoadBalancer#updatePeers}.
     */
    public Builder peers(Peers peers) {
      this.peers = required("peers", peers);
      return this;
    }

    /**
     * Reads {@link #peers} from the clients' own registrations: {@code clients} lists every client
     * of this service (e.g. a {@code ZooKeeperEndpointSource} over the clients' service name, where
     * each client registers itself as {@code self}); each update becomes
     * {@link Peers#fromList(java.util.Collection, Endpoint)}. Started with the balancer, closed with it.
     */
    public Builder peerSource(EndpointSource clients, Endpoint self) {
      this.peerSource = required("peerSource", clients);
      this.self = required("self", self);
      return this;
    }

    /**
     * Envoy's {@code min_cluster_size} for zone-aware routing: with fewer eligible endpoints than
     * this in the first priority level, requests go to every zone. Default 6.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder zoneRoutingMinSize(int endpoints) {
      if (endpoints < 0) {
        throw new IllegalArgumentException("zoneRoutingMinSize must be >= 0, was " + endpoints);
      }
      this.zoneMinSize = endpoints;
      return this;
    }

    /** The subsets to precompute: the given ones, else the split's key alone, else none. */
    SubsetConfig subsetConfig() {
      if (subsets != null) {
        return subsets;
      }
      if (trafficSplit == null) {
        return null;
      }
      return SubsetConfig.builder().selector(trafficSplit.key()).fallback(SubsetConfig.Fallback.ANY_ENDPOINT).build();
    }

    /**
     * Panic mode (Envoy's, with one difference): when fewer than this fraction of the judged
     * endpoints (present, not draining, not waiting for a first probe, not <em>known dead</em>:
     * failed their active checks, or ejected because their last {@code consecutiveLocalFailures}
     * requests all failed to connect) are eligible, pick among all of them, ejected ones included,
     * known-dead ones never, unless every judged endpoint is known dead (then all, as in Envoy). {@code 0.0}
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
     * Ramps an endpoint that joins after the first list, or comes back from ejection, unhealthy or a
     * failed connection,
     * over this window: {@code weight × max(0.1, elapsed / window)}; with slow start on,
     * {@code EndpointView.effectiveWeight()} is scaled by 100 for every endpoint. Default
     * {@link Duration#ZERO} (off); otherwise at least 1 ms (a negative or shorter window is refused,
     * one longer than 10,000 days clamped).
     */
    public Builder slowStart(Duration window) {
      this.slowStart = ConfigChecks.timerOrZero("slowStart", window);
      return this;
    }

    /**
     * The connectivity an endpoint has when it joins, until {@link LoadBalancer#setConnectivity}
     * reports otherwise. Default {@link Connectivity#CONNECTED}: a balancer whose transport reports
     * nothing treats every endpoint as reachable. An adapter that reports connections sets
     * {@link Connectivity#CONNECTING}, so that no endpoint is picked (except by a hash policy, whose
     * request then waits for the connection) before its transport is ready.
     */
    public Builder initialConnectivity(Connectivity connectivity) {
      this.initialConnectivity = required("initialConnectivity", connectivity);
      return this;
    }

    /** Where to register metrics (see {@link io.lb4j.metrics.LoadBalancerMetrics}); default none. */
    public Builder meterRegistry(MeterRegistry registry) {
      this.meterRegistry = required("meterRegistry", registry);
      return this;
    }

    /**
     * Whether {@code lb4j.requests}, {@code lb4j.request.latency} and {@code lb4j.inflight} come per
     * endpoint (tag {@code endpoint}; default {@code true}) or, with {@code false}, once per
     * balancer, summed over its endpoints, with an empty {@code endpoint} tag (which Prometheus
     * stores as no label): a fixed number of series whatever the fleet's size (9 instead of 9 per
     * endpoint in Prometheus, without latency percentiles). Picks and releases cost the same either
     * way. Only matters with a {@link #meterRegistry}.
     */
    public Builder perEndpointMetrics(boolean enabled) {
      this.perEndpointMetrics = enabled;
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
      if (trafficSplit != null && subsets != null && !subsets.selectors().contains(List.of(trafficSplit.key()))) {
        throw new IllegalArgumentException("trafficSplit key '" + trafficSplit.key()
            + "' is not one of the subset selectors " + subsets.selectors());
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
      if (peerSource != null) {
        PeerTracker.start(lb, peerSource, self);
      }
      return lb;
    }
  }
}
