package io.lb4j;

import io.lb4j.policy.Picker;
import io.lb4j.policy.Policy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The state behind one {@link LoadBalancer} and the one place that changes it: the endpoint
 * registry, outlier detection, active health checks, slow start, metrics, and the {@link Snapshot}
 * that picks read.
 *
 * <p><b>Concurrency.</b> Every change ends in a rebuild under {@link #lock}: the facade's own calls
 * ({@code updateEndpoints}, {@code drain}, {@code refresh}) rebuild on the calling thread before
 * returning; everything else (a release that reaches a consecutive-failure count, a probe verdict, a
 * sweep, a slow-start step) only {@linkplain #requestRebuild() asks}, and the {@link Coalescer} runs
 * one rebuild on the scheduler for any number of asks. So picks and releases never take the lock
 * nor build a picker, and a burst of ejections costs one rebuild. A rebuild whose {@link PickerKey}
 * equals the previous one keeps the previous picker. Listener events fire after the lock is
 * released.
 */
final class BalancerCore implements EndpointRegistry.Hooks {

  private static final String CLOSED = "' is closed";

  final String name;
  final Policy policy;
  private final double panicThreshold;
  private final String localZone;
  final Ticker ticker;
  private final Scheduler scheduler;
  /** The scheduler this balancer made and stops on close; null if it was given one, or needs none. */
  private final DefaultScheduler ownScheduler;
  final OutlierEngine outlier;
  final ActiveHealthChecker health;
  private final SlowStart slowStart;
  private final long sweepNanos;
  final BalancerEvents events;
  final SourceState source;
  private final Coalescer rebuilds;
  /** Set once by {@link LoadBalancer}'s constructor, before the first list. */
  BalancerMetrics metrics = BalancerMetrics.NONE;
  /** What picks and releases count (and where), decided once from what reads it. */
  final Accounting accounting;
  /**
   * Requests in flight across every endpoint (picked or begun, not yet released), kept only when
   * the policy reads it ({@link Policy#usesTotalInFlight()}); null otherwise, so other policies pay
   * nothing. Striped: picks on many threads do not contend on one counter.
   */
  private final LongSupplier totalInFlightReader;

  final Object lock = new Object();
  final EndpointRegistry registry = new EndpointRegistry();
  /** Whether zone-aware routing currently routes to the local zone. Guarded by {@link #lock}. */
  private boolean zoneLocal = true;
  /** The pending periodic tasks, to cancel on close. Guarded by {@link #lock}. */
  private Future<?> sweep;
  private Future<?> rampStep;
  /** Run once by {@link #close()}. Guarded by {@link #lock}. */
  private final List<Runnable> closeHooks = new ArrayList<>();

  volatile Snapshot snapshot;
  volatile boolean closed;

  BalancerCore(LoadBalancer.Builder b, Policy policy, EndpointSource source) {
    this.name = b.name;
    this.policy = policy;
    this.panicThreshold = b.panicThreshold;
    this.localZone = b.localZone;
    this.ticker = b.ticker;
    this.slowStart = new SlowStart(Durations.nanos(b.slowStart));
    this.accounting = new Accounting(name, policy, registry);
    LongAdder total = accounting.totalInFlight;
    this.totalInFlightReader = total == null ? null : total::sum;
    boolean timers = b.outlierDetection != null || b.healthCheck != null || slowStart.enabled();
    this.ownScheduler = b.scheduler == null && timers ? new DefaultScheduler(name) : null;
    this.scheduler = b.scheduler != null ? b.scheduler : ownScheduler;
    // Without a scheduler nothing asks for a rebuild (no timed feature); the facade's calls rebuild inline.
    this.rebuilds = new Coalescer(this::maintain,
        scheduler != null ? task -> scheduler.schedule(task, 0, TimeUnit.NANOSECONDS) : Runnable::run);
    this.outlier = b.outlierDetection == null ? null : new OutlierEngine(b.outlierDetection, ticker, rebuilds::request);
    this.sweepNanos = b.outlierDetection == null ? 0 : Math.max(1, Durations.nanos(b.outlierDetection.interval()));
    this.health = b.healthCheck == null ? null
        : new ActiveHealthChecker(b.healthCheck, b.healthProbe, scheduler, rebuilds::request);
    this.events = new BalancerEvents(name, b.listeners);
    this.source = new SourceState(this, source);
    this.snapshot = Snapshot.empty(SnapshotBuilder.unavailableMessage(name, 0, StatusCounts.NONE, 0, null));
    if (outlier != null) {
      synchronized (lock) {
        scheduleSweep();
      }
    }
  }

  // ---- registry hooks (under the lock) ----

  @Override
  public EndpointState create(String address, Endpoint e) {
    long decay = policy.peakEwmaDecayNanos();
    return new EndpointState(address, e, accounting, outlier, health, decay > 0 ? new PeakLatency(ticker, decay) : null);
  }

  @Override
  public void track(EndpointState s) {
    s.latencyRecorder = metrics.endpointAdded(s);
    if (s.outlier != null) {
      outlier.add(s.outlier);
    }
    if (s.health != null) {
      health.add(s.health);
    }
  }

  @Override
  public void untrack(EndpointState s) {
    metrics.endpointRemoved(s);
    if (s.outlier != null) {
      outlier.remove(s.outlier);
    }
    if (s.health != null) {
      health.remove(s.health);
    }
  }

  // ---- changes ----

  /** Applies a new endpoint list and rebuilds on the calling thread. */
  void update(Collection<Endpoint> endpoints) {
    LinkedHashMap<String, Endpoint> wanted = EndpointRegistry.validate(endpoints);
    BalancerEvents.Batch batch = events.batch();
    synchronized (lock) {
      if (closed) {
        return;
      }
      for (EndpointState gone : registry.update(wanted, this)) {
        EndpointStatus from = gone.lastStatus == null ? EndpointStatus.HEALTHY : gone.lastStatus;
        batch.statusChange(gone, from, EndpointStatus.DRAINING, "removed from the endpoint list");
      }
      rebuild(batch);
      batch.endpointsUpdated(wanted.size());
    }
    tell(batch);
  }

  /** Drains a present endpoint and rebuilds on the calling thread. */
  void drain(Endpoint endpoint) {
    BalancerEvents.Batch batch = events.batch();
    synchronized (lock) {
      EndpointState s = registry.get(endpoint.address());
      if (s == null) {
        throw new IllegalArgumentException("endpoint " + endpoint.address() + " is not known to load balancer '"
            + name + "'");
      }
      if (s.draining) {
        return;
      }
      s.draining = true;
      rebuild(batch);
    }
    tell(batch);
  }

  /** Rebuilds on the calling thread now. */
  void refresh() {
    BalancerEvents.Batch batch = events.batch();
    synchronized (lock) {
      rebuild(batch);
    }
    tell(batch);
  }

  /**
   * Asks for a rebuild; lock-free and allocation-free (beyond handing one task to the scheduler
   * when none is queued). Any number of asks before the rebuild starts cost one rebuild.
   */
  void requestRebuild() {
    rebuilds.request();
  }

  /** The coalesced work: decide pending ejections, rebuild, fire. Never throws. */
  private void maintain() {
    BalancerEvents.Batch batch = events.batch();
    try {
      synchronized (lock) {
        if (outlier != null) {
          outlier.applyPending();
        }
        rebuild(batch);
      }
    } catch (RuntimeException | Error e) {
      BalancerEvents.log.warn("lb={} rebuilding the picker failed; keeping the previous picker", name, e);
      return;
    }
    tell(batch);
  }

  /**
   * Tells the listeners (outside the lock), then makes the statuses the rebuilds found visible to
   * {@link LoadBalancer#status}: a caller that sees a new status knows the listeners heard of it.
   */
  private void tell(BalancerEvents.Batch batch) {
    events.fire(batch);
    for (EndpointState s : snapshot.byAddress().values()) {
      s.reportedStatus = s.lastStatus;
    }
  }

  /**
   * Recomputes statuses, eligibility, slow-start weights and panic, and publishes a new snapshot
   * (keeping the picker when its key is unchanged). Caller holds {@link #lock}.
   */
  private void rebuild(BalancerEvents.Batch batch) {
    if (closed) {
      return;
    }
    long now = ticker.read();
    Snapshot old = snapshot;
    List<EndpointState> states = new ArrayList<>(registry.present());
    List<SnapshotBuilder.Candidate> candidates = new ArrayList<>(states.size());
    for (EndpointState s : states) {
      candidates.add(new SnapshotBuilder.Candidate(s.status(), s.probed(), s.endpoint().zone(), s.failedProbes(),
          s.knownDead()));
    }
    SnapshotBuilder.Eligibility el = SnapshotBuilder.decide(candidates, panicThreshold, localZone, name,
        source.emptyReason());
    boolean ramping = false;
    for (int i = 0; i < states.size(); i++) {
      EndpointState s = states.get(i);
      EndpointStatus status = candidates.get(i).status();
      boolean eligible = el.eligible()[i];
      s.effectiveWeight(slowStart.update(s, status, eligible, s.lastEligible, now));
      ramping |= s.ramping;
      s.lastEligible = eligible;
      s.pickable = false;
      if (s.lastStatus != null && s.lastStatus != status) {
        batch.statusChange(s, s.lastStatus, status, s.reason(s.lastStatus, status));
      }
      s.lastStatus = status;
    }
    if (el.panic() != old.panic()) {
      batch.panic(el.panic(), el.eligibleCount(), el.judged(), panicThreshold);
    }
    if (el.zone() != null && el.zone().local() != zoneLocal) {
      zoneLocal = el.zone().local();
      batch.zone(localZone, el.zone(), panicThreshold);
    }
    EndpointState[] chosen = new EndpointState[el.chosen().length];
    for (int i = 0; i < chosen.length; i++) {
      chosen[i] = states.get(el.chosen()[i]);
      chosen[i].pickable = true;
    }
    PickerKey key = PickerKey.of(chosen, policy.usesEffectiveWeight());
    Picker picker;
    if (chosen.length == 0) {
      picker = null;
    } else if (old.picker() != null && key.equals(old.key())) {
      picker = old.picker();
    } else {
      List<EndpointState> views = Collections.unmodifiableList(Arrays.asList(chosen));
      picker = totalInFlightReader == null ? policy.newPicker(views) : policy.newPicker(views, totalInFlightReader);
    }
    snapshot = registry.version() == old.version()
        ? new Snapshot(picker, chosen, key, old.version(), old.endpoints(), old.byAddress(), old.byEndpoint(),
            el.unavailable(), el.panic(), el.counts())
        : newLists(picker, chosen, key, states, el);
    if (ramping) {
      scheduleRampStep();
    }
  }

  private Snapshot newLists(Picker picker, EndpointState[] chosen, PickerKey key, List<EndpointState> states,
      SnapshotBuilder.Eligibility el) {
    List<Endpoint> endpoints = new ArrayList<>(states.size());
    Map<String, EndpointState> byAddress = new HashMap<>(EndpointRegistry.capacity(states.size()));
    IdentityHashMap<Endpoint, EndpointState> byEndpoint = new IdentityHashMap<>(states.size());
    for (EndpointState s : states) {
      endpoints.add(s.endpoint());
      byAddress.put(s.address, s);
      byEndpoint.put(s.endpoint(), s);
    }
    // Wrapped, not copied: nothing else holds these maps, and a copy rehashes every address.
    return new Snapshot(picker, chosen, key, registry.version(), Collections.unmodifiableList(endpoints),
        Collections.unmodifiableMap(byAddress), byEndpoint, el.unavailable(), el.panic(), el.counts());
  }

  // ---- timers ----

  /** Caller holds {@link #lock}. */
  private void scheduleSweep() {
    if (closed) {
      return;
    }
    try {
      sweep = scheduler.schedule(this::sweepAndReschedule, sweepNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      sweep = null; // closing
    }
  }

  private void sweepAndReschedule() {
    try {
      outlier.sweep();
    } catch (RuntimeException | Error e) {
      BalancerEvents.log.warn("lb={} outlier sweep failed; will run again", name, e);
    } finally {
      synchronized (lock) {
        scheduleSweep();
      }
    }
  }

  /** A slow-start step: one rebuild every tenth of the window while a ramp runs. Caller holds {@link #lock}. */
  private void scheduleRampStep() {
    if (scheduler == null || (rampStep != null && !rampStep.isDone())) {
      return;
    }
    try {
      rampStep = scheduler.schedule(rebuilds::request, slowStart.stepNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      rampStep = null; // closing
    }
  }

  // ---- lookups ----

  /** A present or leaving endpoint's state by address, or null. Lock-free. */
  EndpointState find(Endpoint endpoint) {
    EndpointState s = snapshot.byAddress().get(endpoint.address());
    return s != null ? s : registry.leaving(endpoint.address());
  }

  /**
   * Stops timers, probes, the source and the metrics; later picks throw. Idempotent. Waits up to
   * 5 s for the balancer's own threads to end, unless called from one of them.
   */
  void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      snapshot = snapshot.closed("load balancer '" + name + CLOSED);
      for (Future<?> f : new Future<?>[] {sweep, rampStep}) {
        if (f != null) {
          f.cancel(false);
        }
      }
    }
    if (health != null) {
      health.close();
    }
    if (ownScheduler != null) {
      try {
        if (!ownScheduler.shutdown(5_000)) {
          BalancerEvents.log.warn("lb={} scheduler threads did not stop within 5 s", name);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    source.close();
    metrics.close();
    List<Runnable> hooks;
    synchronized (lock) {
      hooks = List.copyOf(closeHooks);
      closeHooks.clear();
    }
    hooks.forEach(this::runCloseHook);
  }

  /** Runs {@code hook} at {@link #close()}, or now if already closed. */
  void onClose(Runnable hook) {
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
      BalancerEvents.log.warn("lb={} close hook {} threw; ignoring it", name, hook, e);
    }
  }

  @Override
  public String toString() {
    return name;
  }
}
