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
 *
 * <p>(Over 400 lines because every state change and its lock discipline are here and nowhere else:
 * the registry hooks, the rebuild that turns a {@link Routing.Plan} into pickers, connectivity, the
 * timers and close. The pure parts already live apart: {@link Routing}, {@link SnapshotBuilder},
 * {@link SlowStart}, {@link EndpointRegistry}, {@link BalancerEvents}.)
 */
final class BalancerCore implements EndpointRegistry.Hooks {

  private static final String CLOSED = "' is closed";

  final String name;
  final Policy policy;
  /** Panic threshold, local zone, and the rest of what routing reads; fixed for the balancer's life. */
  private final Routing.Settings routing;
  private final TrafficSplit split;
  /** What the client knows of its own fleet; replaced by {@link #updatePeers}. Guarded by {@link #lock}. */
  private Peers peers;
  /** Requests started per zone, when zone routing is on (a local zone is set); null otherwise. */
  final ZoneTraffic zoneTraffic;
  /** What a joining endpoint's connectivity is until the transport reports it. */
  private final Connectivity initialConnectivity;
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
  /**
   * Whether zone-aware routing currently routes to the local zone (false while it spills over).
   * Written under {@link #lock}; volatile for the spill-over gauge.
   */
  private volatile boolean zoneLocal = true;
  /** Whether the unequal-weights WARN was logged. Guarded by {@link #lock}. */
  private boolean weightsWarned;
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
    this.routing = new Routing.Settings(b.panicThreshold, b.localZone, b.overprovisioning, b.zoneMinSize, b.aperture,
        b.subsetConfig(), policy.usesHash(), policy.skipsUnavailable());
    this.split = b.trafficSplit;
    this.peers = b.peers;
    this.zoneTraffic = b.localZone == null ? null : new ZoneTraffic(b.localZone);
    this.initialConnectivity = b.initialConnectivity;
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
    EndpointState s = new EndpointState(address, e, accounting, outlier, health,
        decay > 0 ? new PeakLatency(ticker, decay) : null);
    s.handle = new Handle(s);
    return s;
  }

  @Override
  public void track(EndpointState s) {
    s.connectivity = initialConnectivity; // joined, or back: nothing reported yet
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

  /**
   * Applies a new endpoint list and rebuilds on the calling thread. A list equal to the current one
   * (a source's periodic refresh) is a no-op: no rebuild, no event.
   */
  void update(Collection<Endpoint> endpoints) {
    LinkedHashMap<String, Endpoint> wanted = EndpointRegistry.validate(endpoints);
    BalancerEvents.Batch batch = events.batch();
    synchronized (lock) {
      if (closed || registry.unchanged(wanted)) {
        return;
      }
      warnIfWeightsIgnored(wanted.values());
      EndpointRegistry.Changes changes = registry.update(wanted, this);
      batch.changes(changes, wanted.size());
      for (EndpointState gone : changes.left()) {
        EndpointStatus from = gone.lastStatus == null ? EndpointStatus.HEALTHY : gone.lastStatus;
        batch.statusChange(gone, from, EndpointStatus.DRAINING, "removed from the endpoint list");
        batch.removed(gone.endpoint());
      }
      rebuild(batch);
      batch.endpointsUpdated(wanted.size());
    }
    tell(batch);
  }

  /**
   * One WARN per balancer when its endpoints carry unequal weights that its policy ignores
   * ({@link Policy#usesWeights()}). Caller holds {@link #lock}.
   */
  private void warnIfWeightsIgnored(Collection<Endpoint> endpoints) {
    if (weightsWarned || policy.usesWeights() || endpoints.isEmpty()) {
      return;
    }
    int min = Integer.MAX_VALUE;
    int max = 0;
    for (Endpoint e : endpoints) {
      min = Math.min(min, e.weight());
      max = Math.max(max, e.weight());
    }
    if (min != max) {
      weightsWarned = true;
      BalancerEvents.log.warn("lb={} endpoints carry unequal weights ({} to {}) that policy {} ignores; the default"
          + " powerOfTwoChoices(), leastRequest(...), weightedRoundRobin() and the hash policies honour them"
          + " (logged once per balancer)", name, min, max, policy.name());
    }
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

  /**
   * Applies connectivity reports of present endpoints (others are ignored: a report may race with a
   * removal) and, if any changed, rebuilds on the calling thread.
   */
  void updateConnectivity(Map<Endpoint, Connectivity> changes) {
    BalancerEvents.Batch batch = events.batch();
    synchronized (lock) {
      boolean changed = false;
      for (Map.Entry<Endpoint, Connectivity> e : changes.entrySet()) {
        EndpointState s = registry.get(e.getKey().address());
        if (s != null && s.connectivity != e.getValue()) {
          s.connectivity = e.getValue();
          changed = true;
        }
      }
      if (!changed) {
        return;
      }
      rebuild(batch);
    }
    tell(batch);
  }

  /** Records one connectivity report of a present endpoint and asks for a rebuild if it changed. Lock-free. */
  void setConnectivity(Endpoint endpoint, Connectivity connectivity) {
    EndpointState s = snapshot.byAddress().get(endpoint.address());
    if (s != null && s.connectivity != connectivity) {
      s.connectivity = connectivity;
      requestRebuild();
    }
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

  /** Replaces what the client knows of its own fleet and rebuilds on the calling thread. */
  void updatePeers(Peers updated) {
    BalancerEvents.Batch batch = events.batch();
    synchronized (lock) {
      if (closed || updated.equals(peers)) {
        return;
      }
      peers = updated;
      rebuild(batch);
    }
    tell(batch);
  }

  /** The declared subsets, or null. */
  SubsetConfig subsetConfig() {
    return routing.subsets();
  }

  /** The traffic split, or null. */
  TrafficSplit split() {
    return split;
  }

  /** What the client knows of its own fleet now. */
  Peers peers() {
    synchronized (lock) {
      return peers;
    }
  }

  /**
   * Recomputes statuses, eligibility, slow-start weights, panic and the routes ({@link Routing}),
   * and publishes a new snapshot (keeping every policy picker whose {@link PickerKey} is unchanged).
   * Caller holds {@link #lock}.
   */
  private void rebuild(BalancerEvents.Batch batch) {
    if (closed) {
      return;
    }
    long now = ticker.read();
    Snapshot old = snapshot;
    List<EndpointState> states = new ArrayList<>(registry.present());
    List<SnapshotBuilder.Candidate> candidates = new ArrayList<>(states.size());
    List<Endpoint> endpoints = new ArrayList<>(states.size());
    for (EndpointState s : states) {
      candidates.add(new SnapshotBuilder.Candidate(s.healthStatus(), s.probed(), s.endpoint().zone(), s.knownDead(),
          s.connectivity));
      endpoints.add(s.endpoint());
    }
    Routing.Plan plan = Routing.plan(candidates, endpoints, routing, peers, name, source.emptyReason());
    Routing.Route main = plan.main();
    boolean ramping = false;
    for (int i = 0; i < states.size(); i++) {
      EndpointState s = states.get(i);
      EndpointStatus status = plan.shown()[i];
      boolean eligible = plan.eligible()[i];
      s.effectiveWeight(slowStart.update(s, status, eligible, s.lastEligible, now));
      ramping |= s.ramping;
      s.lastEligible = eligible;
      if (zoneTraffic != null) {
        s.zoneRequests = zoneTraffic.counter(s.endpoint().zone(), metrics);
      }
      if (s.lastStatus != null && s.lastStatus != status) {
        // an endpoint's first connection is no news (a channel starting up would log every backend)
        boolean firstConnection = s.lastStatus == EndpointStatus.NOT_CONNECTED && !s.seenConnected;
        batch.statusChange(s, s.lastStatus, status, s.reason(s.lastStatus, status), firstConnection);
      }
      s.lastStatus = status;
      s.seenConnected |= s.connectivity == Connectivity.CONNECTED;
    }
    if (main.panic() != old.panic()) {
      batch.panic(main.panic(), main.eligibleCount(), main.judged(), routing.panicThreshold());
    }
    if (main.legacyZone() != null && main.legacyZone().local() != zoneLocal) {
      zoneLocal = main.legacyZone().local();
      batch.zone(routing.localZone(), main.legacyZone(), routing.panicThreshold());
    }
    metrics.priorityLevels(main.levelLoads().size() > 1 ? main.levelLoads().keySet() : java.util.Set.of());
    Map<PickerKey, Picker> leaves = new HashMap<>();
    PickRoute mainRoute = compile(main, states, old.leaves(), leaves);
    boolean[] pickable = new boolean[states.size()];
    for (int i : main.chosen()) {
      pickable[i] = true;
    }
    for (int i = 0; i < pickable.length; i++) {
      states.get(i).pickable = pickable[i]; // one write each: a concurrent pick never sees a gap
    }
    SubsetRoutes subsets = null;
    if (routing.subsets() != null) {
      Map<Subset, PickRoute> routes = new HashMap<>();
      for (Map.Entry<Subset, Routing.Route> e : plan.subsets().entrySet()) {
        routes.put(e.getKey(), compile(e.getValue(), states, old.leaves(), leaves));
      }
      PickRoute fallback = plan.defaultSubset() == null ? null
          : compile(plan.defaultSubset(), states, old.leaves(), leaves);
      subsets = new SubsetRoutes(routing.subsets(), Map.copyOf(routes), fallback, split, name);
    }
    snapshot = registry.version() == old.version()
        ? new Snapshot(mainRoute, subsets, leaves, old.version(), old.endpoints(), old.byAddress(), old.byEndpoint(),
            main.panic(), plan.counts(), main.levelLoads(), main.zoneShares())
        : newLists(mainRoute, subsets, leaves, states, plan);
    if (ramping) {
      scheduleRampStep();
    }
  }

  /** One planned route made into pickers: policy pickers at the leaves, reused when their key is unchanged. */
  private PickRoute compile(Routing.Route route, List<EndpointState> states, Map<PickerKey, Picker> previous,
      Map<PickerKey, Picker> leaves) {
    if (route.root() == null) {
      return PickRoute.none(route.unavailable());
    }
    EndpointState[] chosen = new EndpointState[route.chosen().length];
    for (int i = 0; i < chosen.length; i++) {
      chosen[i] = states.get(route.chosen()[i]);
    }
    return new PickRoute(compile(route.root(), states, previous, leaves), chosen, null);
  }

  private Picker compile(Routing.Node node, List<EndpointState> states, Map<PickerKey, Picker> previous,
      Map<PickerKey, Picker> leaves) {
    if (node instanceof Routing.Choice c) {
      Picker[] children = new Picker[c.children().length];
      for (int i = 0; i < children.length; i++) {
        children[i] = compile(c.children()[i], states, previous, leaves);
      }
      return new RoutePickers.Choice(c.weights(), children, c.salt());
    }
    Routing.Leaf leaf = (Routing.Leaf) node;
    EndpointState[] members = new EndpointState[leaf.members().length];
    for (int i = 0; i < members.length; i++) {
      members[i] = states.get(leaf.members()[i]);
    }
    PickerKey key = PickerKey.of(members, policy.usesEffectiveWeight());
    Picker picker = leaves.get(key);
    if (picker == null) {
      picker = previous.get(key);
    }
    if (picker == null) {
      List<EndpointState> views = Collections.unmodifiableList(Arrays.asList(members));
      picker = totalInFlightReader == null ? policy.newPicker(views) : policy.newPicker(views, totalInFlightReader);
    }
    leaves.put(key, picker);
    if (leaf.accept() == null) {
      return picker;
    }
    List<EndpointState> edges = new ArrayList<>();
    List<Double> shares = new ArrayList<>();
    for (int i = 0; i < members.length; i++) {
      if (leaf.accept()[i] < 1.0) {
        edges.add(members[i]);
        shares.add(leaf.accept()[i]);
      }
    }
    return new RoutePickers.Edges(picker, edges.toArray(new EndpointState[0]),
        shares.stream().mapToDouble(Double::doubleValue).toArray());
  }

  private Snapshot newLists(PickRoute main, SubsetRoutes subsets, Map<PickerKey, Picker> leaves,
      List<EndpointState> states, Routing.Plan plan) {
    List<Endpoint> endpoints = new ArrayList<>(states.size());
    Map<String, EndpointState> byAddress = new HashMap<>(EndpointRegistry.capacity(states.size()));
    IdentityHashMap<Endpoint, EndpointState> byEndpoint = new IdentityHashMap<>(states.size());
    for (EndpointState s : states) {
      endpoints.add(s.endpoint());
      byAddress.put(s.address, s);
      byEndpoint.put(s.endpoint(), s);
    }
    // Wrapped, not copied: nothing else holds these maps, and a copy rehashes every address.
    return new Snapshot(main, subsets, leaves, registry.version(), Collections.unmodifiableList(endpoints),
        Collections.unmodifiableMap(byAddress), byEndpoint, plan.main().panic(), plan.counts(),
        plan.main().levelLoads(), plan.main().zoneShares());
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

  /** Whether zone-aware routing spills over to other zones now; false without a local zone. */
  boolean zoneSpilling() {
    return routing.localZone() != null && !zoneLocal;
  }

  /** The local zone of zone-aware routing, or null. */
  String localZone() {
    return routing.localZone();
  }

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
