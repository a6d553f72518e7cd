package io.lb4j;

import io.lb4j.health.HealthChecker;
import io.lb4j.policy.EndpointView;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The live, mutable state of one endpoint inside one {@link LoadBalancer}: what pickers read and
 * what a {@link Selection} release writes. Keyed by address in the {@link EndpointRegistry}, it
 * survives endpoint-list updates for endpoints that stay. The fields that picks and releases touch
 * are read and written without locks; the bookkeeping fields at the end are written only by the
 * balancer's serialised rebuilds (under its lock) and published with the next snapshot.
 */
final class EndpointState implements EndpointView {

  private static final VarHandle IN_FLIGHT;
  private static final VarHandle LATENCY_EWMA;
  private static final VarHandle FAILURE_RATIO;
  private static final VarHandle COUNTS = MethodHandles.arrayElementVarHandle(long[].class);
  private static final Outcome[] OUTCOMES = Outcome.values();

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
  @SuppressWarnings("unused") // accessed through IN_FLIGHT
  private volatile int inFlight;
  // Racy read-modify-write: a lost update under contention only loses one sample of an average.
  private volatile double latencyEwma;
  // Same racy read-modify-write, same reason; see failureRatio().
  private volatile double failureRatio;
  /** Cumulative released requests per {@link Outcome#ordinal()}; never reset, so readers take deltas. */
  private final long[] outcomes = new long[OUTCOMES.length];
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
  /** Whether the current picker may return this endpoint; written by rebuilds before publishing. */
  volatile boolean pickable;

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
  /** Ramp once the endpoint next becomes eligible (it joined late or came back). */
  boolean rampPending;

  EndpointState(Endpoint endpoint, OutlierEngine detector, ActiveHealthChecker checker, PeakLatency peakLatency) {
    this.address = endpoint.address();
    this.peakLatency = peakLatency;
    this.endpoint = endpoint;
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

  @Override
  public int inFlight() {
    return inFlight;
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

  void effectiveWeight(int weight) {
    this.effectiveWeight = weight;
  }

  /** Released requests with this outcome so far; cumulative, never reset. */
  long requests(Outcome outcome) {
    return (long) COUNTS.getVolatile(outcomes, outcome.ordinal());
  }

  void acquire() {
    IN_FLIGHT.getAndAdd(this, 1);
  }

  /**
   * Ends one request: decrements in-flight, counts the outcome, folds the latency into the moving
   * averages (and the peak EWMA, if kept) and feeds outlier detection. Lock-free and allocation-free;
   * the failure that reaches a consecutive-failure count only marks the endpoint for the next
   * (coalesced) rebuild.
   */
  void release(Outcome outcome, long latencyNanos) {
    IN_FLIGHT.getAndAdd(this, -1);
    COUNTS.getAndAdd(outcomes, outcome.ordinal(), 1L);
    if (latencyNanos >= 0) {
      double old = latencyEwma;
      // A release store: readers see a whole value without the full fence a volatile write costs.
      LATENCY_EWMA.setRelease(this, old == 0.0 ? latencyNanos : old + EWMA_ALPHA * (latencyNanos - old));
      PeakLatency p = peakLatency;
      if (p != null) {
        p.observe(outcome, latencyNanos);
      }
      LatencyRecorder recorder = latencyRecorder;
      if (recorder != null) {
        recorder.record(latencyNanos);
      }
    }
    recordFailureRatio(outcome);
    OutlierTracker t = outlier;
    if (t != null) {
      t.record(outcome);
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

  /** Where the endpoint stands now, from its live flags and verdicts (see {@link LoadBalancer#status}). */
  EndpointStatus status() {
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
