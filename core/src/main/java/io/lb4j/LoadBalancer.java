package io.lb4j;

import io.lb4j.health.HealthCheckConfig;
import io.lb4j.health.HealthChecker;
import io.lb4j.health.HealthProbe;
import io.lb4j.metrics.LoadBalancerMetrics;
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
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
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
 * are eligible, the balancer picks among all present endpoints instead (Envoy's panic mode; lb4j
 * leaves out endpoints known dead, see {@link Builder#panicThreshold}),
 * because spreading load over some bad endpoints beats overloading the few good ones.
 *
 * <p><b>Health.</b> Optional parts, all off by default: passive outlier detection
 * ({@link Builder#outlierDetection}, see {@link OutlierDetector}), active health checks
 * ({@link Builder#healthCheck}, see {@link HealthChecker}), slow start ({@link Builder#slowStart})
 * and draining ({@link #drain}, or removal by {@link #updateEndpoints}). When any of the first three
 * is on, the balancer owns one scheduler thread (daemon, named {@code lb4j-<name>-<n>}) that
 * {@link #close()} stops. Each endpoint status change is logged once at INFO (logger
 * {@code io.lb4j.LoadBalancer}) and reported to the {@link LoadBalancerListener}s after the lock is
 * released.
 *
 * <p><b>Thread safety.</b> All methods are thread-safe. {@code pick} and {@code release} are
 * lock-free; endpoint updates, drains and state changes serialise on an internal lock and never
 * block picks.
 */
public final class LoadBalancer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(LoadBalancer.class);
  /** Per-request lines (DEBUG only), under their own name so they can be switched on alone. */
  private static final Logger requestLog = LoggerFactory.getLogger("io.lb4j.requests");
  /** Slow-start weights are in hundredths of a weight unit, so that weight 1 can ramp too. */
  static final int SLOW_START_SCALE = 100;
  /** Envoy's default min_weight_percent: a ramp starts at 10 % of the weight. */
  static final double SLOW_START_MIN_FACTOR = 0.1;

  private final String name;
  private final Policy policy;
  private final double panicThreshold;
  private final Clock clock;
  private final long slowStartMillis;
  private final MeterRegistry meterRegistry;
  private final EndpointSource source;
  private final List<LoadBalancerListener> listeners;
  private final boolean backgroundTasks;
  private final SelectionPool pool = new SelectionPool(this);
  /** Null unless outlier detection, health checks or slow start need timers. */
  private final ScheduledExecutorService scheduler;
  private final String threadPrefix;
  private final OutlierDetector outlierDetector;
  private final HealthChecker healthChecker;
  /** Null unless the builder was given a MeterRegistry. */
  private final LoadBalancerMetrics metrics;
  /** Null for no zone preference. */
  private final String localZone;
  /**
   * Requests in flight across every endpoint (picked or begun, not yet released), kept only when
   * the policy reads it ({@link Policy#usesTotalInFlight()}); null otherwise, so other policies pay
   * nothing. Striped: picks on many threads do not contend on one counter.
   */
  private final LongAdder totalInFlight;

  private final Object lock = new Object();
  /** Present endpoints by address, in insertion order. Guarded by {@link #lock}. */
  private LinkedHashMap<String, EndpointState> present = new LinkedHashMap<>();
  /** Removed endpoints that still had requests in flight when they left. */
  private final Map<String, EndpointState> leaving = new ConcurrentHashMap<>();
  /** Whether the first endpoint list has been applied; later joiners slow-start. Guarded by {@link #lock}. */
  private boolean initialized;
  /** Whether zone-aware routing currently spills over to all zones. Guarded by {@link #lock}. */
  private boolean zoneSpill;
  /** The pending slow-start refresh, if any. Guarded by {@link #lock}. */
  private ScheduledFuture<?> rampRefresh;

  private volatile Snapshot snapshot;
  private volatile boolean closed;
  /** Run once by {@link #close()}; guarded by {@link #lock}. */
  private final List<Runnable> closeHooks = new ArrayList<>();

  /** Everything {@link #pick} needs, swapped as a unit. */
  private record Snapshot(
      Picker picker,
      List<Endpoint> endpoints,
      Map<String, EndpointState> byAddress,
      // Same states keyed by the exact Endpoint objects handed out: begin() finds them without
      // building an address string. Never mutated after publication.
      IdentityHashMap<Endpoint, EndpointState> byEndpoint,
      String unavailable,
      boolean panic) {}

  private LoadBalancer(Builder b) {
    this.name = b.name;
    this.policy = b.policy;
    this.panicThreshold = b.panicThreshold;
    this.clock = b.clock;
    this.slowStartMillis = b.slowStart.toMillis();
    this.meterRegistry = b.meterRegistry;
    this.source = b.source;
    this.listeners = List.copyOf(b.listeners);
    this.backgroundTasks = b.backgroundTasks;
    this.threadPrefix = "lb4j-" + name + "-";
    boolean timers = b.outlierDetection != null || b.healthCheck != null || slowStartMillis > 0;
    this.scheduler = timers ? newScheduler(threadPrefix) : null;
    this.outlierDetector = b.outlierDetection == null ? null
        : new OutlierDetector(b.outlierDetection, clock, this::stateChanged);
    this.healthChecker = b.healthCheck == null ? null
        : new HealthChecker(b.healthCheck, b.healthProbe, scheduler, backgroundTasks, this::stateChanged);
    this.localZone = b.localZone;
    this.totalInFlight = policy.usesTotalInFlight() ? new LongAdder() : null;
    this.snapshot = new Snapshot(null, List.of(), Map.of(), new IdentityHashMap<>(), unavailableMessage(0, 0, 0, 0, 0), false);
    this.metrics = b.meterRegistry == null ? null : LoadBalancerMetrics.bind(this, b.meterRegistry);
    if (outlierDetector != null && backgroundTasks) {
      long every = b.outlierDetection.interval().toMillis();
      scheduler.scheduleWithFixedDelay(guarded("outlier sweep", outlierDetector::sweep), every, every,
          TimeUnit.MILLISECONDS);
    }
    if (b.endpoints != null) {
      updateEndpoints(b.endpoints);
    }
  }

  private static ScheduledExecutorService newScheduler(String prefix) {
    AtomicInteger n = new AtomicInteger();
    ThreadFactory factory = r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
    ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, factory);
    s.setRemoveOnCancelPolicy(true);
    s.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    return s;
  }

  /** Wraps a periodic task so that an exception is logged and does not cancel later runs. */
  private Runnable guarded(String what, Runnable task) {
    return () -> {
      try {
        task.run();
      } catch (RuntimeException | Error e) {
        log.warn("lb={} {} failed; will run again", name, what, e);
      }
    };
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

  /**
   * Whether anything reads request latencies: the policy ({@link Policy#usesLatency()}) or the
   * meter registry's latency timer. When false, a caller may skip measuring a request and release
   * it with latency {@code -1} (not recorded), which saves two {@link System#nanoTime()} calls per
   * request; {@link io.lb4j.policy.EndpointView#latencyEwmaNanos()} then stays 0.
   */
  public boolean recordsLatency() {
    return policy.usesLatency() || meterRegistry != null;
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
    if (totalInFlight != null) {
      totalInFlight.increment();
    }
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
   * counted (it drains), so the release always balances. Lock-free; the endpoint object that
   * {@code choose} returned is found by identity, any other by address.
   *
   * @throws IllegalArgumentException if {@code endpoint} is null
   */
  public Selection begin(Endpoint endpoint) {
    if (endpoint == null) {
      throw new IllegalArgumentException("endpoint must not be null");
    }
    Snapshot snap = snapshot;
    EndpointState state = snap.byEndpoint.get(endpoint);
    if (state == null) {
      String address = endpoint.address();
      state = snap.byAddress.get(address);
      if (state == null) {
        state = leaving.get(address);
      }
    }
    if (state == null) {
      // Gone without requests in flight: count on a detached state that nobody picks any more.
      state = new EndpointState(endpoint, null, null);
      state.draining = true;
      state.removed = true;
    }
    state.acquire();
    if (totalInFlight != null) {
      totalInFlight.increment();
    }
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
      if (metrics != null) {
        metrics.noEndpoint();
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

  /** Called once per selection by {@link PooledSelection#release}. Lock-free, allocation-free. */
  void onRelease(EndpointState state, Outcome outcome, long latencyNanos) {
    state.release(outcome, latencyNanos);
    if (totalInFlight != null) {
      totalInFlight.decrement();
    }
    if (requestLog.isDebugEnabled()) {
      requestLog.debug("lb={} endpoint={} outcome={} latency={}us inFlight={}", name, state.address, outcome,
          latencyNanos / 1000, state.inFlight());
    }
    if (state.removed && state.inFlight() == 0) {
      leaving.remove(state.address, state);
    }
  }

  /**
   * Replaces the endpoint list. Endpoints whose address stays keep their live state (in-flight
   * count, latency, counters, ejection and health verdicts); a changed weight, zone or metadata is
   * taken over. Endpoints that leave are drained: no new picks, in-flight requests finish. With
   * active health checks on, endpoints that join are not picked until their first probe passes
   * (unless no endpoint has been probed yet); with slow start on, endpoints that join after the
   * first list ramp up.
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
    List<Consumer<LoadBalancerListener>> events = new ArrayList<>();
    synchronized (lock) {
      if (closed) {
        return;
      }
      LinkedHashMap<String, EndpointState> next = new LinkedHashMap<>();
      for (Endpoint e : wanted.values()) {
        EndpointState s = present.get(e.address());
        if (s == null) {
          s = leaving.remove(e.address());
          if (s != null) {
            s.removed = false;
            s.draining = false;
            s.lastStatus = null;
          } else {
            s = new EndpointState(e, outlierDetector, healthChecker);
          }
          s.rampPending = initialized;
          track(s);
        }
        s.endpoint(e);
        next.put(e.address(), s);
      }
      for (EndpointState old : present.values()) {
        if (!next.containsKey(old.address)) {
          EndpointStatus from = old.lastStatus == null ? EndpointStatus.HEALTHY : old.lastStatus;
          old.draining = true;
          old.removed = true;
          untrack(old);
          if (old.inFlight() > 0) {
            leaving.put(old.address, old);
          }
          events.add(statusEvent(old, from, EndpointStatus.DRAINING, "removed from the endpoint list"));
        }
      }
      present = next;
      initialized = true;
      events.addAll(rebuild());
      int total = next.size();
      events.add(l -> l.onEndpointsUpdated(name, total));
    }
    fire(events);
  }

  private void track(EndpointState s) {
    if (metrics != null) {
      s.latencyTimer = metrics.endpointAdded(s.endpoint());
    }
    if (s.outlier != null) {
      outlierDetector.add(s.outlier);
    }
    if (s.health != null) {
      healthChecker.add(s.health);
    }
  }

  private void untrack(EndpointState s) {
    if (metrics != null) {
      metrics.endpointRemoved(s.endpoint());
    }
    if (s.outlier != null) {
      outlierDetector.remove(s.outlier);
    }
    if (s.health != null) {
      healthChecker.remove(s.health);
    }
  }

  /** The current endpoint list, in insertion order; immutable. */
  public List<Endpoint> endpoints() {
    return snapshot.endpoints;
  }

  /**
   * Where the endpoint stands now: {@code DRAINING} (drained, removed with requests still in
   * flight, or a probe asked for it), else {@code EJECTED} (outlier detection), else
   * {@code UNHEALTHY} (active checks), else {@code UNKNOWN} (active checks have not answered yet, or
   * the balancer does not know the address), else {@code HEALTHY}. Lock-free.
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
    return statusOf(s);
  }

  private static EndpointStatus statusOf(EndpointState s) {
    HealthChecker.State health = s.health == null ? HealthChecker.State.HEALTHY : s.health.state();
    if (s.draining || health == HealthChecker.State.DRAINING) {
      return EndpointStatus.DRAINING;
    }
    if (s.outlier != null && s.outlier.ejected()) {
      return EndpointStatus.EJECTED;
    }
    return switch (health) {
      case UNHEALTHY -> EndpointStatus.UNHEALTHY;
      case UNKNOWN -> EndpointStatus.UNKNOWN;
      default -> EndpointStatus.HEALTHY;
    };
  }

  /**
   * Stops new picks of the endpoint; requests in flight finish normally. The endpoint stays in
   * {@link #endpoints()} (with status {@code DRAINING}) until an update removes it.
   *
   * @throws IllegalArgumentException if the balancer does not know the endpoint's address
   */
  public void drain(Endpoint endpoint) {
    if (endpoint == null) {
      throw new IllegalArgumentException("endpoint must not be null");
    }
    List<Consumer<LoadBalancerListener>> events;
    synchronized (lock) {
      EndpointState s = present.get(endpoint.address());
      if (s == null) {
        throw new IllegalArgumentException("endpoint " + endpoint.address()
            + " is not known to load balancer '" + name + "'");
      }
      if (s.draining) {
        return;
      }
      s.draining = true;
      events = rebuild();
    }
    fire(events);
  }

  /** The number of requests in flight to the endpoint, or 0 if the balancer does not know it. */
  public int inFlight(Endpoint endpoint) {
    EndpointState s = find(endpoint);
    return s == null ? 0 : s.inFlight();
  }

  /**
   * Requests to the endpoint released with this outcome since it joined: a cumulative count that
   * never goes down (what a Micrometer {@code FunctionCounter} reads), or 0 if the balancer does not
   * know the endpoint. Lock-free.
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
    EndpointState s = snapshot.byAddress.get(endpoint.address());
    return s != null ? s : leaving.get(endpoint.address());
  }

  /** The live state of a present endpoint, for tests in this package; null if absent. */
  EndpointState state(Endpoint endpoint) {
    return snapshot.byAddress.get(endpoint.address());
  }

  /** Whether the balancer is in panic mode: too few eligible endpoints, so it picks among all. */
  public boolean inPanic() {
    return snapshot.panic;
  }

  /**
   * The outlier detector, if the builder turned outlier detection on. Tests and simulations with a
   * fake clock and {@link Builder#backgroundTasks(boolean) backgroundTasks(false)} call its
   * {@link OutlierDetector#sweep() sweep()} themselves.
   */
  public Optional<OutlierDetector> outlierDetector() {
    return Optional.ofNullable(outlierDetector);
  }

  /**
   * The active health checker, if the builder turned health checks on. Tests and simulations with
   * {@link Builder#backgroundTasks(boolean) backgroundTasks(false)} call its
   * {@link HealthChecker#probeAll() probeAll()} themselves.
   */
  public Optional<HealthChecker> healthChecker() {
    return Optional.ofNullable(healthChecker);
  }

  /**
   * Recomputes eligibility, slow-start weights and the picker now. The balancer does this by itself
   * whenever something changes (and every tenth of the slow-start window during a ramp); call it
   * after advancing a fake clock when background tasks are off.
   */
  public void refresh() {
    List<Consumer<LoadBalancerListener>> events;
    synchronized (lock) {
      events = rebuild();
    }
    fire(events);
  }

  /**
   * Called by the outlier detector and health checker after a verdict changed, possibly on a
   * request thread inside {@link Selection#release}: a failing rebuild (a policy that throws) is
   * logged and the previous picker kept, rather than thrown at the releasing caller.
   */
  private void stateChanged() {
    List<Consumer<LoadBalancerListener>> events;
    try {
      synchronized (lock) {
        events = rebuild();
      }
    } catch (RuntimeException e) {
      log.warn("lb={} rebuilding the picker after a state change failed; keeping the previous picker", name, e);
      return;
    }
    fire(events);
  }

  /**
   * Stops the endpoint source, probes and schedulers (and waits up to 5 s for the scheduler thread
   * to end); later picks throw. Idempotent.
   */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      snapshot = new Snapshot(null, snapshot.endpoints, snapshot.byAddress, snapshot.byEndpoint, "load balancer '" + name + "' is closed", false);
      if (rampRefresh != null) {
        rampRefresh.cancel(false);
      }
    }
    if (healthChecker != null) {
      healthChecker.close();
    }
    if (scheduler != null) {
      scheduler.shutdownNow();
      if (!Thread.currentThread().getName().startsWith(threadPrefix)) {
        try {
          if (!scheduler.awaitTermination(5, TimeUnit.SECONDS)) {
            log.warn("lb={} scheduler did not stop within 5 s", name);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
    if (source != null) {
      try {
        source.close();
      } catch (RuntimeException e) {
        log.warn("lb={} endpoint source {} failed to close", name, source, e);
      }
    }
    if (metrics != null) {
      metrics.close();
    }
    List<Runnable> hooks;
    synchronized (lock) {
      hooks = List.copyOf(closeHooks);
      closeHooks.clear();
    }
    hooks.forEach(this::runCloseHook);
  }

  /**
   * Runs {@code hook} once when this balancer closes, after its own resources are released (at
   * once, on this thread, if it is already closed). For components that registered something on
   * the balancer's behalf, e.g. an adapter's meters. A hook that throws is logged and ignored.
   *
   * @throws IllegalArgumentException if {@code hook} is null
   */
  public void onClose(Runnable hook) {
    if (hook == null) {
      throw new IllegalArgumentException("hook must not be null");
    }
    synchronized (lock) {
      if (!closed) {
        closeHooks.add(hook);
        return;
      }
    }
    runCloseHook(hook);
  }

  private void runCloseHook(Runnable hook) {
    try {
      hook.run();
    } catch (RuntimeException e) {
      log.warn("lb={} close hook {} threw; ignoring it", name, hook, e);
    }
  }

  /**
   * Recomputes statuses, eligibility, slow-start weights and panic, and swaps in a new picker.
   * Caller holds {@link #lock}; returns the listener events to fire once the lock is released.
   */
  private List<Consumer<LoadBalancerListener>> rebuild() {
    if (closed) {
      return List.of();
    }
    long now = clock.millis();
    List<Consumer<LoadBalancerListener>> events = new ArrayList<>();
    // Cold start: while no endpoint has a verdict from active checks, unknown ones are tried.
    boolean anyProbed = false;
    if (healthChecker != null) {
      for (EndpointState s : present.values()) {
        if (!s.draining && s.health.state() != HealthChecker.State.UNKNOWN) {
          anyProbed = true;
          break;
        }
      }
    }
    List<EndpointState> usable = new ArrayList<>(present.size());
    List<EndpointState> eligible = new ArrayList<>(present.size());
    int ejected = 0;
    int unhealthy = 0;
    int draining = 0;
    int unknown = 0;
    boolean ramping = false;
    for (EndpointState s : present.values()) {
      EndpointStatus status = statusOf(s);
      boolean ok = status == EndpointStatus.HEALTHY || (status == EndpointStatus.UNKNOWN && !anyProbed);
      switch (status) {
        case DRAINING -> draining++;
        case EJECTED -> ejected++;
        case UNHEALTHY -> unhealthy++;
        case UNKNOWN -> unknown += ok ? 0 : 1;
        default -> { }
      }
      if (status != EndpointStatus.DRAINING) {
        usable.add(s);
      }
      if (ok) {
        eligible.add(s);
      }
      if (status == EndpointStatus.EJECTED || status == EndpointStatus.UNHEALTHY) {
        s.rampPending = true;
      } else if (ok && !s.lastEligible && s.rampPending) {
        s.rampPending = false;
        s.rampStartMillis = slowStartMillis > 0 ? now : -1;
      }
      s.lastEligible = ok;
      s.effectiveWeight(effectiveWeight(s, now));
      ramping |= s.rampStartMillis >= 0;
      if (s.lastStatus != null && s.lastStatus != status) {
        events.add(statusEvent(s, s.lastStatus, status, reason(s, s.lastStatus, status)));
      }
      s.lastStatus = status;
    }
    // Endpoints still waiting for their first probe are not judged yet: they do not count towards
    // panic, so a first probe round or a scale-up does not flip the balancer into panic. Endpoints
    // known dead do not count either, and panic mode does not pick them (see PanicRule).
    PanicRule.Decision<EndpointState> decision = PanicRule.decide(usable, eligible,
        s -> s.lastStatus == EndpointStatus.UNKNOWN && !s.lastEligible, LoadBalancer::knownDead,
        LoadBalancer::failedProbes, panicThreshold);
    int total = decision.alive();
    boolean panic = decision.panic();
    List<EndpointState> chosen = decision.offered() != null ? decision.offered() : preferred(usable, eligible);
    boolean wasPanic = snapshot.panic;
    int eligibleCount = eligible.size();
    if (panic != wasPanic) {
      if (panic) {
        log.warn("lb={} entering panic mode: {} of {} endpoints eligible, below threshold {}; picking among all not known dead",
            name, eligibleCount, total, panicThreshold);
      } else {
        log.info("lb={} leaving panic mode: {} of {} endpoints eligible", name, eligibleCount, total);
      }
      events.add(l -> l.onPanic(name, panic, eligibleCount, total));
    }
    Picker picker = chosen.isEmpty() ? null
        : totalInFlight == null ? policy.newPicker(Collections.unmodifiableList(chosen))
        : policy.newPicker(Collections.unmodifiableList(chosen), totalInFlight::sum);
    List<Endpoint> endpoints = new ArrayList<>(present.size());
    Map<String, EndpointState> byAddress = new HashMap<>(present.size() * 2);
    for (EndpointState s : present.values()) {
      endpoints.add(s.endpoint());
      byAddress.put(s.address, s);
    }
    IdentityHashMap<Endpoint, EndpointState> byEndpoint = new IdentityHashMap<>(present.size() * 2);
    for (EndpointState s : present.values()) {
      byEndpoint.put(s.endpoint(), s);
    }
    snapshot = new Snapshot(picker, List.copyOf(endpoints), Map.copyOf(byAddress), byEndpoint,
        unavailableMessage(present.size(), ejected, unhealthy, draining, unknown), panic);
    if (ramping) {
      scheduleRampRefresh();
    }
    return events;
  }

  private static boolean failedProbes(EndpointState s) {
    return s.health != null && s.health.state() == HealthChecker.State.UNHEALTHY;
  }

  /** Failed its active checks, or ejected because it refused every connection: hard evidence. */
  private static boolean knownDead(EndpointState s) {
    return failedProbes(s) || (s.outlier != null && s.outlier.ejected() && s.outlier.unreachable());
  }

  /**
   * Zone-aware routing: with a {@code localZone}, picks only among the eligible endpoints of that
   * zone while they are at least {@code panicThreshold} of the zone's judged endpoints (present, not
   * draining, not waiting for a first probe) and at least one; otherwise spills over to every
   * eligible endpoint. Each switch is logged once at INFO. Caller holds {@link #lock}, after the
   * loop in {@link #rebuild} has set {@code lastEligible} and {@code lastStatus}.
   */
  private List<EndpointState> preferred(List<EndpointState> usable, List<EndpointState> eligible) {
    if (localZone == null) {
      return eligible;
    }
    int judged = 0;
    List<EndpointState> local = new ArrayList<>();
    for (EndpointState s : usable) {
      if (localZone.equals(s.endpoint().zone())) {
        if (s.lastEligible || s.lastStatus != EndpointStatus.UNKNOWN) {
          judged++;
        }
        if (s.lastEligible) {
          local.add(s);
        }
      }
    }
    boolean stayLocal = !local.isEmpty() && local.size() >= panicThreshold * judged;
    if (stayLocal == zoneSpill) {
      zoneSpill = !stayLocal;
      if (zoneSpill) {
        log.info("lb={} local zone {}: {} of {} endpoints eligible, below threshold {}; spilling over to all zones",
            name, localZone, local.size(), judged, panicThreshold);
      } else {
        log.info("lb={} local zone {}: {} of {} endpoints eligible; routing to the local zone again",
            name, localZone, local.size(), judged);
      }
    }
    return stayLocal ? local : eligible;
  }

  /**
   * The weight pickers see: the endpoint's weight, times {@link #SLOW_START_SCALE} when slow start
   * is on, times {@code max(0.1, elapsed / window)} during a ramp (Envoy's slow start with
   * aggression 1.0). Ends the ramp once the window has passed. Caller holds {@link #lock}.
   */
  private int effectiveWeight(EndpointState s, long now) {
    int weight = s.endpoint().weight();
    if (slowStartMillis <= 0) {
      return weight;
    }
    long scaled = (long) weight * SLOW_START_SCALE;
    if (s.rampStartMillis >= 0) {
      long elapsed = now - s.rampStartMillis;
      if (elapsed >= slowStartMillis) {
        s.rampStartMillis = -1;
      } else {
        double factor = Math.max(SLOW_START_MIN_FACTOR, (double) Math.max(0, elapsed) / slowStartMillis);
        scaled = Math.max(1, Math.round(scaled * factor));
      }
    }
    return (int) Math.min(Integer.MAX_VALUE, scaled);
  }

  /** Caller holds {@link #lock}. */
  private void scheduleRampRefresh() {
    if (scheduler == null || !backgroundTasks || (rampRefresh != null && !rampRefresh.isDone())) {
      return;
    }
    try {
      rampRefresh = scheduler.schedule(guarded("slow-start refresh", this::stateChanged),
          Math.max(1, slowStartMillis / 10), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      rampRefresh = null; // closing
    }
  }

  private String reason(EndpointState s, EndpointStatus from, EndpointStatus to) {
    if (to == EndpointStatus.DRAINING && s.draining) {
      return s.removed ? "removed from the endpoint list" : "drained";
    }
    if (s.outlier != null && (to == EndpointStatus.EJECTED || from == EndpointStatus.EJECTED)) {
      return s.outlier.reason();
    }
    if (s.health != null) {
      return s.health.reason();
    }
    return from == EndpointStatus.DRAINING ? "added back" : "";
  }

  /** Logs one line for the change and returns the listener event. */
  private Consumer<LoadBalancerListener> statusEvent(EndpointState s, EndpointStatus from, EndpointStatus to,
      String reason) {
    Endpoint e = s.endpoint();
    log.info("lb={} endpoint={} {} -> {}{}", name, s.address, from, to, reason.isEmpty() ? "" : ": " + reason);
    return l -> l.onStatusChange(name, e, from, to, reason);
  }

  /** Tells every listener about every event; a throwing listener is logged and skipped. */
  private void fire(List<Consumer<LoadBalancerListener>> events) {
    if (events.isEmpty() || listeners.isEmpty()) {
      return;
    }
    for (Consumer<LoadBalancerListener> event : events) {
      for (LoadBalancerListener l : listeners) {
        try {
          event.accept(l);
        } catch (RuntimeException e) {
          log.warn("lb={} listener {} threw; ignoring it", name, l, e);
        }
      }
    }
  }

  private String unavailableMessage(int total, int ejected, int unhealthy, int draining, int unknown) {
    if (total == 0) {
      return "load balancer '" + name + "' has no endpoints: the endpoint list is empty";
    }
    return "load balancer '" + name + "': all " + total + " endpoints are unavailable (" + ejected
        + " ejected, " + unhealthy + " unhealthy, " + draining + " draining"
        + (unknown > 0 ? ", " + unknown + " not yet probed" : "") + ")";
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
    private boolean backgroundTasks = true;

    private Builder() {}

    /**
     * Whether the balancer runs its own timers: outlier sweeps every {@code interval}, health
     * probes and slow-start refreshes. Default true. With {@code false}, nothing happens by itself:
     * call {@link OutlierDetector#sweep()}, {@link HealthChecker#probeAll()} and
     * {@link LoadBalancer#refresh()} yourself (tests and simulations driving a fake clock). Probe
     * timeouts still run on the scheduler.
     */
    public Builder backgroundTasks(boolean enabled) {
      this.backgroundTasks = enabled;
      return this;
    }

    /**
     * Turns on passive outlier detection (see {@link OutlierDetector} for the semantics); default
     * off. Sweeps run every {@code config.interval()} on the balancer's scheduler thread.
     */
    public Builder outlierDetection(OutlierDetectionConfig config) {
      if (config == null) {
        throw new IllegalArgumentException("outlierDetection config must not be null");
      }
      this.outlierDetection = config;
      return this;
    }

    /**
     * Turns on active health checking with the given probe (see {@link HealthChecker}); default off.
     * Endpoints added after the first list get no traffic until their first probe passes. Core ships
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
     * Zone-aware routing: picks only among the eligible endpoints whose {@link Endpoint#zone()} is
     * this zone while they number at least one and at least {@code panicThreshold} of that zone's
     * judged endpoints (present, not draining, not waiting for a first probe); otherwise spills over
     * to the eligible endpoints of every zone. Panic mode is decided first, over all zones. Each
     * switch between local and spill-over is logged once at INFO. Default none (every zone alike).
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

    /**
     * Panic mode (Envoy's, with one difference): when fewer than this fraction of the judged
     * endpoints are eligible, pick among all present endpoints instead (ejected ones included,
     * drained ones not), because spreading load over some bad endpoints beats overloading the few
     * good ones. Judged endpoints are the present, not draining ones, less those still waiting for
     * their first health probe and less those <em>known dead</em> (failed their active health
     * checks, or ejected because every one of their last {@code consecutiveLocalFailures} requests
     * failed to connect), which panic mode never picks: when every endpoint failed its health
     * checks, picks fail at once; when some are dead only by outlier detection's word, all are
     * tried. Entering is logged at WARN, leaving at INFO, once each. {@code 0.0} disables panic
     * mode. Default 0.5.
     */
    public Builder panicThreshold(double fraction) {
      if (!(fraction >= 0.0 && fraction <= 1.0)) {
        throw new IllegalArgumentException("panicThreshold must be in 0.0..1.0, was " + fraction);
      }
      this.panicThreshold = fraction;
      return this;
    }

    /**
     * Ramps the weight of an endpoint that joins after the first list, or comes back from ejection
     * or unhealthy, over this window: {@code weight × max(0.1, elapsed / window)} (Envoy's slow
     * start with aggression 1.0). With slow start on, {@link EndpointView#effectiveWeight()} is
     * scaled by 100 for every endpoint so that weight 1 can ramp too. Default {@link Duration#ZERO}
     * (off). Otherwise at least 1 ms: a negative or sub-millisecond window is refused, one longer
     * than 10,000 days is clamped to 10,000 days.
     */
    public Builder slowStart(Duration window) {
      this.slowStart = io.lb4j.internal.ConfigChecks.timerOrZero("slowStart", window);
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
    return Duration.ofMillis(slowStartMillis);
  }

  MeterRegistry meterRegistry() {
    return meterRegistry;
  }

}
