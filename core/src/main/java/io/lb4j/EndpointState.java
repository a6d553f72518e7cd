package io.lb4j;

import io.lb4j.health.HealthChecker;
import io.lb4j.policy.EndpointView;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live, mutable state of one endpoint inside one {@link LoadBalancer}: what pickers read and
 * what a {@link Selection} release writes. Keyed by address in the {@link EndpointRegistry}, it
 * survives endpoint-list updates for endpoints that stay. The fields that picks and releases touch
 * are read and written without locks; the bookkeeping fields at the end are written only by the
 * balancer's serialised rebuilds (under its lock) and published with the next snapshot.
 */
final class EndpointState extends EndpointPadding implements EndpointView {

  private static final VarHandle IN_FLIGHT;
  private static final VarHandle LATENCY_EWMA;
  private static final VarHandle FAILURE_RATIO;
  /** Per-request lines (DEBUG only), under their own name so they can be switched on alone. */
  private static final Logger requestLog = LoggerFactory.getLogger("io.lb4j.requests");

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      IN_FLIGHT = lookup.findVarHandle(EndpointState.class, "inFlight", int.class);
      LATENCY_EWMA = lookup.findVarHandle(EndpointState.class, "latencyEwma", double.class);
      FAILURE_RATIO = lookup.findVarHandle(EndpointState.class, "failureRatio", double.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** Weight of the newest latency sample in the moving average. */
  static final double EWMA_ALPHA = 0.2;
  /** Weight of the newest outcome in the failure ratio. */
  static final double FAILURE_ALPHA = 0.25;
  /** A failure ratio below this becomes exactly 0, so healthy endpoints leave the pickers' fast path. */
  static final double FAILURE_FLOOR = 1.0 / 1024;

  final String address;
  private volatile Endpoint endpoint;
  /** What this balancer counts; null for a detached state (an endpoint that left, begun late). */
  private final Accounting acc;
  /** This state's cells in {@link Accounting#counts}; -1 when detached. */
  private final int slot;
  /** What the slot held when this state took it over (a reused slot); subtracted from every read. */
  private final long[] baseline;
  /** The weight pickers see; recomputed by each rebuild (slow start), read lock-free. */
  private volatile int effectiveWeight;

  /** This endpoint's latency meter, set once when it joined; null without a meter registry. */
  volatile LatencyRecorder latencyRecorder;

  /** The peak-EWMA latency, made once; null unless the policy reads it. */
  private final PeakLatency peakLatency;

  /** Passive-health counters, made once; null when outlier detection is off. */
  final OutlierTracker outlier;
  /** Active-health verdicts, made once; null when health checking is off. */
  final ActiveHealthChecker.Target health;

  /** Set while the endpoint is explicitly drained or has been removed from the list. */
  volatile boolean draining;
  /** Set once the endpoint left the endpoint list; its state then only waits for in-flight to end. */
  volatile boolean removed;
  /** Its zone's request counter when zone routing is on, else null; written by rebuilds. */
  volatile java.util.concurrent.atomic.LongAdder zoneRequests;
  /**
   * Whether the current picker may return this endpoint; written once by each rebuild before it
   * publishes (never cleared and set again, so a concurrent pick never sees a gap); read by pickers
   * that skip unavailable endpoints ({@link #available()}).
   */
  volatile boolean pickable;
  /** What the transport reports ({@code LoadBalancer.setConnectivity}); {@code CONNECTED} by default. */
  volatile Connectivity connectivity = Connectivity.CONNECTED;
  /** This endpoint as adapters hold it; set once by the balancer that made the state. */
  Handle handle;

  /**
   * Status seen by the last rebuild (what the picker and the listeners were told), to report each
   * change once and to answer {@code LoadBalancer.status}; null before the first. Written by rebuilds.
   */
  volatile EndpointStatus lastStatus;
  /** {@link #lastStatus} once the listeners were told of it: what {@code LoadBalancer.status} answers. */
  volatile EndpointStatus reportedStatus;

  // Written by rebuilds only (under the balancer's lock).
  /** Whether the last rebuild found the endpoint eligible. */
  boolean lastEligible;
  /** Start of the current slow-start ramp in ticker nanos, valid while {@link #ramping}. */
  long rampStartNanos;
  /** Whether a slow-start ramp is running. */
  boolean ramping;
  /** Whether a rebuild has seen it connected: its first connection is logged at DEBUG only. */
  boolean seenConnected;
  /** Ramp once the endpoint next becomes eligible (it joined late or came back). */
  boolean rampPending;

  EndpointState(String address, Endpoint endpoint, Accounting acc, OutlierEngine detector,
      ActiveHealthChecker checker, PeakLatency peakLatency) {
    this.address = address;
    this.peakLatency = peakLatency;
    this.endpoint = endpoint;
    this.acc = acc;
    int claimed = acc == null ? -1 : acc.counts.allocate();
    this.slot = claimed < 0 ? ~claimed : claimed;
    // A reused slot holds the counts of the endpoint that had it: start from them.
    this.baseline = claimed >= 0 ? ThreadCounts.NO_BASELINE : acc == null ? null : acc.counts.baseline(slot);
    this.effectiveWeight = endpoint.weight();
    OutlierTracker tracker = detector == null ? null : detector.newTracker(this::requests);
    this.outlier = tracker;
    // A passed probe refutes an ejection for connection failures; a recovery seen by the probes ends
    // any ejection (see OutlierEngine#probePassed).
    this.health = checker == null ? null
        : checker.newTarget(this::endpoint, tracker == null ? null : recovered -> detector.probePassed(tracker, recovered));
  }

  @Override
  public Endpoint endpoint() {
    return endpoint;
  }

  void endpoint(Endpoint updated) {
    this.endpoint = updated;
  }

  /**
   * Requests picked or begun here and not yet released: the exact counter when the policy reads it
   * at pick time, else the sum of the per-thread cells (a pass over the threads that count).
   */
  @Override
  public int inFlight() {
    Accounting a = acc;
    return a == null || a.exactInFlight ? inFlight : a.counts.inFlight(slot, baseline);
  }

  @Override
  public double latencyEwmaNanos() {
    return latencyEwma;
  }

  @Override
  public double peakEwmaNanos() {
    PeakLatency p = peakLatency;
    return p == null ? 0.0 : p.estimate();
  }

  @Override
  public long peakEwmaStampNanos() {
    PeakLatency p = peakLatency;
    return p == null ? 0L : p.stamp();
  }

  @Override
  public int effectiveWeight() {
    return effectiveWeight;
  }

  @Override
  public double failureRatio() {
    return failureRatio;
  }

  /** {@link #pickable}: one volatile read. */
  @Override
  public boolean available() {
    return pickable;
  }

  void effectiveWeight(int weight) {
    this.effectiveWeight = weight;
  }

  /** Released requests with this outcome so far; cumulative, never reset. */
  long requests(Outcome outcome) {
    Accounting a = acc;
    return a == null ? 0 : a.counts.requests(slot, baseline, outcome);
  }

  /**
   * Gives this state's cells back once the balancer has dropped it for good (removed, nothing in
   * flight). A request that starts on the state after that (a pick from the snapshot before the
   * removal whose lease is made just after it, or a handle held across the removal) still counts in
   * the old slot; if another endpoint has taken the slot over meanwhile (a later update added it),
   * that one request's start or end can show in the newcomer's sums. The race needs a pick, a
   * removal and a join to interleave within one request's start; counts never drift further.
   */
  void dropped() {
    if (acc != null) {
      acc.counts.release(slot);
    }
  }

  /**
   * Starts one request: counts it in flight (exact counter or the calling thread's cells, see
   * {@link Accounting}), in the balancer's total if kept and in its zone's requests if counted.
   *
   * @return the claimed ticket that the release must present (see {@link ThreadCounts.Ticket})
   */
  ThreadCounts.Ticket acquire() {
    ThreadCounts.Block cells = start();
    return cells == null ? ThreadCounts.Ticket.oneOff() : cells.claim();
  }

  /**
   * Counts one request started, without a ticket: for {@link Handle}, whose holder (a transport
   * adapter) releases each request once itself.
   *
   * @return the calling thread's cells, or null for a detached state
   */
  ThreadCounts.Block start() {
    Accounting a = acc;
    if (a == null) {
      IN_FLIGHT.getAndAdd(this, 1);
      return null;
    }
    ThreadCounts.Block cells = a.counts.local();
    if (a.exactInFlight) {
      IN_FLIGHT.getAndAdd(this, 1);
    } else {
      cells.start(slot);
    }
    if (a.totalInFlight != null) {
      a.totalInFlight.increment();
    }
    java.util.concurrent.atomic.LongAdder zone = zoneRequests;
    if (zone != null) {
      zone.increment();
    }
    return cells;
  }

  /**
   * Ends one request started by {@link #acquire}, once the caller has won its ticket: decrements
   * in-flight, counts the outcome (a {@code null} one as {@link Outcome#CANCELLED}, then throws),
   * folds the latency into the moving average if the policy reads it, into the peak EWMA if kept
   * and into the meter if there is one, and feeds outlier detection. Lock-free and allocation-free; the failure that reaches a
   * consecutive-failure count only marks the endpoint for the next (coalesced) rebuild.
   *
   * @param picked the cells of the thread that picked: used when this is that thread
   * @throws IllegalArgumentException if {@code outcome} is null (after releasing)
   */
  void release(ThreadCounts.Block picked, Outcome outcome, long latencyNanos) {
    Outcome o = outcome == null ? Outcome.CANCELLED : outcome;
    Accounting a = acc;
    if (a == null) {
      IN_FLIGHT.getAndAdd(this, -1);
    } else {
      if (a.exactInFlight) {
        IN_FLIGHT.getAndAdd(this, -1);
      }
      // Only the owner writes a thread's cells: a release on another thread counts in its own.
      ThreadCounts.Block cells = picked != null && picked.owner == Thread.currentThread() ? picked : a.counts.local();
      cells.end(slot, o);
      if (a.totalInFlight != null) {
        a.totalInFlight.decrement();
      }
      if (latencyNanos >= 0) {
        recordLatency(a, o, latencyNanos);
      }
      recordFailureRatio(o);
      OutlierTracker t = outlier;
      if (t != null) {
        t.record(o);
      }
      if (removed) {
        a.registry.released(this); // its last request may have ended just now
      }
      if (requestLog.isDebugEnabled()) {
        requestLog.debug("lb={} endpoint={} outcome={} latency={}us inFlight={}", a.name, address, o,
            latencyNanos / 1000, inFlight());
      }
    }
    if (outcome == null) {
      throw new IllegalArgumentException(
          "outcome must not be null; the selection of " + address + " was released as CANCELLED");
    }
  }

  private void recordLatency(Accounting a, Outcome outcome, long latencyNanos) {
    if (a.latencyAverage) {
      double old = latencyEwma;
      // A release store: readers see a whole value without the full fence a volatile write costs.
      LATENCY_EWMA.setRelease(this, old == 0.0 ? latencyNanos : old + EWMA_ALPHA * (latencyNanos - old));
    }
    PeakLatency p = peakLatency;
    if (p != null) {
      p.observe(outcome, latencyNanos);
    }
    LatencyRecorder recorder = latencyRecorder;
    if (recorder != null) {
      recorder.record(latencyNanos);
    }
  }

  /** Folds the outcome into the failure ratio; a success of an endpoint at 0 writes nothing. */
  private void recordFailureRatio(Outcome outcome) {
    double old = failureRatio;
    switch (outcome) {
      case SUCCESS -> {
        if (old != 0.0) {
          double next = old * (1 - FAILURE_ALPHA);
          FAILURE_RATIO.setRelease(this, next < FAILURE_FLOOR ? 0.0 : next);
        }
      }
      case SERVER_ERROR, CONNECT_FAILURE, TIMEOUT -> FAILURE_RATIO.setRelease(this, old + FAILURE_ALPHA * (1 - old));
      default -> { } // cancelled: neither
    }
  }

  /** Where the endpoint stands now, connectivity included (see {@link LoadBalancer#status}). */
  EndpointStatus status() {
    return SnapshotBuilder.shown(healthStatus(), connectivity);
  }

  /** Where the endpoint stands by its own flags and verdicts, connectivity aside. */
  EndpointStatus healthStatus() {
    HealthChecker.State health = this.health == null ? HealthChecker.State.HEALTHY : this.health.state();
    if (draining || health == HealthChecker.State.DRAINING) {
      return EndpointStatus.DRAINING;
    }
    if (outlier != null && outlier.ejected()) {
      return EndpointStatus.EJECTED;
    }
    return switch (health) {
      case UNHEALTHY -> EndpointStatus.UNHEALTHY;
      case UNKNOWN -> EndpointStatus.UNKNOWN;
      default -> EndpointStatus.HEALTHY;
    };
  }

  /** Whether the endpoint failed its active health checks: hard evidence that it is down. */
  boolean failedProbes() {
    return health != null && health.state() == HealthChecker.State.UNHEALTHY;
  }

  /** Failed its active checks, or ejected because it refused every connection: known dead. */
  boolean knownDead() {
    return failedProbes() || (outlier != null && outlier.ejected() && outlier.unreachable());
  }

  /** Whether the endpoint is not drained and active checks have given it a verdict. */
  boolean probed() {
    return !draining && health != null && health.state() != HealthChecker.State.UNKNOWN;
  }

  /** Why the status changed, for the log line and the listener. */
  String reason(EndpointStatus from, EndpointStatus to) {
    if (to == EndpointStatus.DRAINING && draining) {
      return removed ? "removed from the endpoint list" : "drained";
    }
    if (outlier != null && (to == EndpointStatus.EJECTED || from == EndpointStatus.EJECTED)) {
      return outlier.reason();
    }
    if (to == EndpointStatus.NOT_CONNECTED) {
      return connectivity == Connectivity.DISCONNECTED ? "connection failed" : "connecting";
    }
    if (from == EndpointStatus.NOT_CONNECTED && connectivity == Connectivity.CONNECTED) {
      return "connected";
    }
    if (health != null) {
      return health.reason();
    }
    return from == EndpointStatus.DRAINING ? "added back" : "";
  }

  @Override
  public String toString() {
    return address + "{inFlight=" + inFlight + ", effectiveWeight=" + effectiveWeight + "}";
  }
}
