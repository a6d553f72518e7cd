package io.lb4j;

import io.lb4j.health.HealthCheckConfig;
import io.lb4j.health.HealthProbe;
import io.lb4j.outlier.OutlierDetectionConfig;
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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The facade: holds a set of endpoints, their live state and a {@link Policy}, and answers
 * {@link #pick(PickContext)} with the endpoint the next request should use.
 *
 * <pre>{@code
 * LoadBalancer lb = LoadBalancer.builder()
 *     .name("orders")
 *     .endpoints(List.of(Endpoint.parse("10.0.0.1:8080"), Endpoint.parse("10.0.0.2:8080")))
 *     .policy(Policies.powerOfTwoChoices())
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
 * unhealthy) are turned into an immutable {@link Picker} by the policy, and the picker is swapped
 * in with one volatile write whenever that set changes. {@link #pick} reads it, picks, and bumps the
 * endpoint's in-flight count; {@link Selection#release} records the outcome. Neither takes a lock
 * nor allocates in steady state. When fewer than {@code panicThreshold} of the present endpoints
 * are eligible, the balancer picks among all present endpoints instead (Envoy's panic mode),
 * because spreading load over some bad endpoints beats overloading the few good ones.
 *
 * <p><b>Thread safety.</b> All methods are thread-safe. {@code pick} and {@code release} are
 * lock-free; endpoint updates, drains and state changes serialise on an internal lock and never
 * block picks.
 */
public final class LoadBalancer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(LoadBalancer.class);

  private final String name;
  private final Policy policy;
  private final double panicThreshold;
  private final Clock clock;
  private final Duration slowStart;
  private final MeterRegistry meterRegistry;
  private final EndpointSource source;
  private final SelectionPool pool = new SelectionPool(this);

  private final Object lock = new Object();
  /** Present endpoints by address, in insertion order. Guarded by {@link #lock}. */
  private LinkedHashMap<String, EndpointState> present = new LinkedHashMap<>();
  /** Removed endpoints that still had requests in flight when they left. */
  private final Map<String, EndpointState> leaving = new ConcurrentHashMap<>();

  private volatile Snapshot snapshot;
  private volatile boolean closed;

  /** Everything {@link #pick} needs, swapped as a unit. */
  private record Snapshot(
      Picker picker,
      List<Endpoint> endpoints,
      Map<String, EndpointState> byAddress,
      String unavailable,
      boolean panic) {}

  private LoadBalancer(Builder b) {
    this.name = b.name;
    this.policy = b.policy;
    this.panicThreshold = b.panicThreshold;
    this.clock = b.clock;
    this.slowStart = b.slowStart;
    this.meterRegistry = b.meterRegistry;
    this.source = b.source;
    this.snapshot = new Snapshot(null, List.of(), Map.of(), unavailableMessage(0, 0), false);
    if (b.endpoints != null) {
      updateEndpoints(b.endpoints);
    }
  }

  /** A builder with the defaults: policy P2C, panic threshold 0.5, no outlier detection, no probes. */
  public static Builder builder() {
    return new Builder();
  }

  /** The name given to the builder; it tags metrics and log lines. */
  public String name() {
    return name;
  }

  /** The policy this balancer picks with. */
  public Policy policy() {
    return policy;
  }

  /** Same as {@code pick(PickContext.EMPTY)}. */
  public Selection pick() {
    return pick(PickContext.EMPTY);
  }

  /**
   * Picks the endpoint for one request. The caller must {@link Selection#release release} the
   * returned selection exactly once when the request ends.
   *
   * @throws NoEndpointAvailableException if no endpoint can take the request; the message says why
   * @throws IllegalStateException if the balancer is closed
   * @throws IllegalArgumentException if {@code ctx} is null
   */
  public Selection pick(PickContext ctx) {
    EndpointState state = choosePresent(ctx);
    state.acquire();
    return pool.acquire(state);
  }

  /**
   * Chooses the endpoint for one request without starting it: nothing is counted and nothing needs
   * releasing. For transports that can drop a pick without sending anything (gRPC's picker runs
   * before the stream exists and its result is discarded when the transport is gone); they call
   * {@link #begin(Endpoint)} once the request really starts. Lock-free and allocation-free.
   *
   * @throws NoEndpointAvailableException if no endpoint can take the request; the message says why
   * @throws IllegalStateException if the balancer is closed
   * @throws IllegalArgumentException if {@code ctx} is null
   */
  public Endpoint choose(PickContext ctx) {
    return choosePresent(ctx).endpoint();
  }

  /**
   * Starts a request on an endpoint chosen earlier by {@link #choose(PickContext)}: counts it in
   * flight and returns the selection to {@link Selection#release release}, exactly as
   * {@link #pick(PickContext)} would have. An endpoint that left the balancer in between is still
   * counted (it drains), so the release always balances. Lock-free; looks the endpoint up by
   * address.
   *
   * @throws IllegalArgumentException if {@code endpoint} is null
   */
  public Selection begin(Endpoint endpoint) {
    if (endpoint == null) {
      throw new IllegalArgumentException("endpoint must not be null");
    }
    String address = endpoint.address();
    EndpointState state = snapshot.byAddress.get(address);
    if (state == null) {
      state = leaving.get(address);
    }
    if (state == null) {
      // Gone without requests in flight: count on a detached state that nobody picks any more.
      state = new EndpointState(endpoint);
      state.draining = true;
      state.removed = true;
    }
    state.acquire();
    return pool.acquire(state);
  }

  private EndpointState choosePresent(PickContext ctx) {
    if (ctx == null) {
      throw new IllegalArgumentException("ctx must not be null (use PickContext.EMPTY)");
    }
    Snapshot s = snapshot;
    Picker picker = s.picker;
    if (picker == null) {
      if (closed) {
        throw new IllegalStateException("load balancer '" + name + "' is closed");
      }
      throw new NoEndpointAvailableException(s.unavailable);
    }
    EndpointView v = picker.pick(ctx);
    if (!(v instanceof EndpointState state)) {
      throw new IllegalStateException("policy '" + policy.name() + "' returned " + v
          + ", which is not one of the endpoints it was given");
    }
    return state;
  }

  /** Called once per selection by {@link PooledSelection#release}. */
  void onRelease(EndpointState state, Outcome outcome, long latencyNanos) {
    state.release(latencyNanos);
    if (state.removed && state.inFlight() == 0) {
      leaving.remove(state.address, state);
    }
  }

  /**
   * Replaces the endpoint list. Endpoints whose address stays keep their live state (in-flight
   * count, latency, health); a changed weight, zone or metadata is taken over. Endpoints that
   * leave are drained: no new picks, in-flight requests finish.
   *
   * @param endpoints the complete new list; may be empty (then picks fail with a message that says so)
   * @throws IllegalArgumentException if the collection or an element is null, or two elements share
   *     an address (the message names it)
   */
  public void updateEndpoints(Collection<Endpoint> endpoints) {
    if (endpoints == null) {
      throw new IllegalArgumentException("endpoints must not be null (use an empty list)");
    }
    LinkedHashMap<String, Endpoint> wanted = new LinkedHashMap<>();
    int i = 0;
    for (Endpoint e : endpoints) {
      if (e == null) {
        throw new IllegalArgumentException("endpoints must not contain null, index " + i);
      }
      if (wanted.putIfAbsent(e.address(), e) != null) {
        throw new IllegalArgumentException("duplicate endpoint address " + e.address() + " at index " + i);
      }
      i++;
    }
    synchronized (lock) {
      LinkedHashMap<String, EndpointState> next = new LinkedHashMap<>();
      for (Endpoint e : wanted.values()) {
        EndpointState s = present.get(e.address());
        if (s == null) {
          s = leaving.remove(e.address());
          if (s != null) {
            s.removed = false;
            s.draining = false;
          } else {
            s = new EndpointState(e);
          }
        }
        s.endpoint(e);
        next.put(e.address(), s);
      }
      for (EndpointState old : present.values()) {
        if (!next.containsKey(old.address)) {
          old.draining = true;
          old.removed = true;
          if (old.inFlight() > 0) {
            leaving.put(old.address, old);
          }
        }
      }
      present = next;
      rebuild();
    }
  }

  /** The current endpoint list, in insertion order; immutable. */
  public List<Endpoint> endpoints() {
    return snapshot.endpoints;
  }

  /**
   * Where the endpoint stands: {@code HEALTHY}, {@code DRAINING} (drained, or removed with requests
   * still in flight), {@code EJECTED}, {@code UNHEALTHY}, or {@code UNKNOWN} if the balancer does
   * not know its address.
   */
  public EndpointStatus status(Endpoint endpoint) {
    if (endpoint == null) {
      throw new IllegalArgumentException("endpoint must not be null");
    }
    EndpointState s = snapshot.byAddress.get(endpoint.address());
    if (s == null) {
      EndpointState gone = leaving.get(endpoint.address());
      return gone != null && gone.inFlight() > 0 ? EndpointStatus.DRAINING : EndpointStatus.UNKNOWN;
    }
    return s.draining ? EndpointStatus.DRAINING : EndpointStatus.HEALTHY;
  }

  /**
   * Stops new picks of the endpoint; requests in flight finish normally. The endpoint stays in
   * {@link #endpoints()} until an update removes it.
   *
   * @throws IllegalArgumentException if the balancer does not know the endpoint's address
   */
  public void drain(Endpoint endpoint) {
    if (endpoint == null) {
      throw new IllegalArgumentException("endpoint must not be null");
    }
    synchronized (lock) {
      EndpointState s = present.get(endpoint.address());
      if (s == null) {
        throw new IllegalArgumentException("endpoint " + endpoint.address()
            + " is not known to load balancer '" + name + "'");
      }
      if (!s.draining) {
        s.draining = true;
        log.info("lb={} endpoint={} draining", name, s.address);
        rebuild();
      }
    }
  }

  /** The number of requests in flight to the endpoint, or 0 if the balancer does not know it. */
  public int inFlight(Endpoint endpoint) {
    if (endpoint == null) {
      throw new IllegalArgumentException("endpoint must not be null");
    }
    EndpointState s = snapshot.byAddress.get(endpoint.address());
    if (s == null) {
      s = leaving.get(endpoint.address());
    }
    return s == null ? 0 : s.inFlight();
  }

  /** Whether the balancer is in panic mode: too few eligible endpoints, so it picks among all. */
  public boolean inPanic() {
    return snapshot.panic;
  }

  /** Stops the endpoint source, probes and schedulers; later picks throw. Idempotent. */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      snapshot = new Snapshot(null, snapshot.endpoints, snapshot.byAddress, "load balancer '" + name + "' is closed", false);
    }
    if (source != null) {
      try {
        source.close();
      } catch (RuntimeException e) {
        log.warn("lb={} endpoint source {} failed to close", name, source, e);
      }
    }
  }

  /** Recomputes eligibility and swaps in a new picker. Caller holds {@link #lock}. */
  private void rebuild() {
    if (closed) {
      return;
    }
    List<EndpointState> all = new ArrayList<>(present.size());
    List<EndpointState> eligible = new ArrayList<>(present.size());
    int draining = 0;
    for (EndpointState s : present.values()) {
      if (s.draining) {
        draining++;
        continue;
      }
      all.add(s);
      eligible.add(s);
    }
    boolean panic = !all.isEmpty() && eligible.size() < panicThreshold * all.size();
    List<EndpointState> chosen = panic ? all : eligible;
    boolean wasPanic = snapshot.panic;
    if (panic && !wasPanic) {
      log.warn("lb={} entering panic mode: {} of {} endpoints eligible, below threshold {}; picking among all",
          name, eligible.size(), all.size(), panicThreshold);
    } else if (!panic && wasPanic) {
      log.info("lb={} leaving panic mode: {} of {} endpoints eligible", name, eligible.size(), all.size());
    }
    Picker picker = chosen.isEmpty() ? null : policy.newPicker(Collections.unmodifiableList(chosen));
    List<Endpoint> endpoints = new ArrayList<>(present.size());
    Map<String, EndpointState> byAddress = new HashMap<>(present.size() * 2);
    for (EndpointState s : present.values()) {
      endpoints.add(s.endpoint());
      byAddress.put(s.address, s);
    }
    snapshot = new Snapshot(picker, List.copyOf(endpoints), Map.copyOf(byAddress),
        unavailableMessage(present.size(), draining), panic);
  }

  private String unavailableMessage(int total, int draining) {
    if (total == 0) {
      return "load balancer '" + name + "' has no endpoints: the endpoint list is empty";
    }
    return "load balancer '" + name + "': all " + total + " endpoints are unavailable ("
        + draining + " draining)";
  }

  @Override
  public String toString() {
    Snapshot s = snapshot;
    return "LoadBalancer{name=" + name + ", policy=" + policy.name() + ", endpoints=" + s.endpoints.size()
        + (s.panic ? ", panic" : "") + (closed ? ", closed" : "") + "}";
  }

  /**
   * Builds a {@link LoadBalancer}. Setters validate their argument at once and throw
   * {@link IllegalArgumentException} naming it; {@link #build()} checks the combination. Not
   * thread-safe; a builder may be reused after {@code build()}.
   */
  public static final class Builder {
    private String name = "default";
    private Collection<Endpoint> endpoints;
    private EndpointSource source;
    private Policy policy = Policies.powerOfTwoChoices();
    private double panicThreshold = 0.5;
    private Duration slowStart = Duration.ZERO;
    private MeterRegistry meterRegistry;
    private Clock clock = Clock.systemUTC();
    private OutlierDetectionConfig outlierDetection;
    private HealthCheckConfig healthCheck;
    private HealthProbe healthProbe;
    private final List<LoadBalancerListener> listeners = new ArrayList<>();
    private String localZone;

    private Builder() {}

    /** Turns on passive outlier detection; default off. */
    public Builder outlierDetection(OutlierDetectionConfig config) {
      if (config == null) {
        throw new IllegalArgumentException("outlierDetection config must not be null");
      }
      this.outlierDetection = config;
      return this;
    }

    /** Turns on active health checking with the given probe; default off. */
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
     * Prefers endpoints in this zone while enough of them are healthy, spilling over to other
     * zones otherwise; default none.
     */
    public Builder localZone(String zone) {
      if (zone == null || zone.isBlank()) {
        throw new IllegalArgumentException("localZone must not be blank, was " + (zone == null ? "null" : "'" + zone + "'"));
      }
      this.localZone = zone;
      return this;
    }

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
      this.endpoints = List.copyOf(endpoints);
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

    /**
     * Below this fraction of eligible endpoints, pick among all present ones; {@code 0.0} disables
     * panic mode. Default 0.5.
     */
    public Builder panicThreshold(double fraction) {
      if (!(fraction >= 0.0 && fraction <= 1.0)) {
        throw new IllegalArgumentException("panicThreshold must be in 0.0..1.0, was " + fraction);
      }
      this.panicThreshold = fraction;
      return this;
    }

    /**
     * Ramp a new or recovered endpoint's weight from 10 % to 100 % over this window; default
     * {@link Duration#ZERO} (off).
     */
    public Builder slowStart(Duration window) {
      if (window == null || window.isNegative()) {
        throw new IllegalArgumentException("slowStart must be a non-negative duration, was " + window);
      }
      this.slowStart = window;
      return this;
    }

    /** Where to register metrics; default none (nothing is recorded). */
    public Builder meterRegistry(MeterRegistry registry) {
      if (registry == null) {
        throw new IllegalArgumentException("meterRegistry must not be null");
      }
      this.meterRegistry = registry;
      return this;
    }

    /** The clock for ejection, probe and slow-start timing; default the UTC system clock. */
    public Builder clock(Clock clock) {
      if (clock == null) {
        throw new IllegalArgumentException("clock must not be null");
      }
      this.clock = clock;
      return this;
    }

    /**
     * Builds the balancer and starts its endpoint source, if any.
     *
     * @throws IllegalArgumentException if both endpoints and an endpoint source are set, or the
     *     endpoint list is invalid
     */
    public LoadBalancer build() {
      if (endpoints != null && source != null) {
        throw new IllegalArgumentException("set either endpoints or endpointSource, not both");
      }
      LoadBalancer lb = new LoadBalancer(this);
      if (source != null) {
        EndpointSource src = source;
        src.start(lb::updateEndpoints, err -> log.warn(
            "lb={} endpoint source {} failed; keeping the last good list of {} endpoints",
            lb.name, src, lb.endpoints().size(), err));
      }
      return lb;
    }
  }

  // Keeps the compiler honest about fields wired in by later features.
  Clock clock() {
    return clock;
  }

  Duration slowStartWindow() {
    return slowStart;
  }

  MeterRegistry meterRegistry() {
    return meterRegistry;
  }

}
