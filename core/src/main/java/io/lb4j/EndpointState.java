package io.lb4j;

import io.lb4j.health.HealthChecker;
import io.lb4j.outlier.OutlierDetector;
import io.lb4j.policy.EndpointView;
import io.micrometer.core.instrument.Timer;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;

/**
 * The live, mutable state of one endpoint inside one {@link LoadBalancer}: what pickers read and
 * what {@link Selection#release} writes. Keyed by address, it survives endpoint-list updates for
 * endpoints that stay. The fields that picks and releases touch are read and written without locks;
 * the eligibility bookkeeping is guarded by the balancer's lock.
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

  /** This endpoint's latency timer, resolved once when it joined; null without a MeterRegistry. */
  volatile Timer latencyTimer;

  /** Passive-health counters, made once; null when outlier detection is off. */
  final OutlierDetector.Tracker outlier;
  /** Active-health verdicts, made once; null when health checking is off. */
  final HealthChecker.Target health;

  /** Set while the endpoint is explicitly drained or has been removed from the list. */
  volatile boolean draining;
  /** Set once the endpoint left the endpoint list; its state then only waits for in-flight to end. */
  volatile boolean removed;

  // Guarded by the balancer's lock.
  /** Status seen by the last rebuild, to log and report each change once; null before the first. */
  EndpointStatus lastStatus;
  /** Whether the last rebuild found the endpoint eligible. */
  boolean lastEligible;
  /** Start of the current slow-start ramp in clock millis, or -1 when not ramping. */
  long rampStartMillis = -1;
  /** Ramp once the endpoint next becomes eligible (it joined late or came back). */
  boolean rampPending;

  EndpointState(Endpoint endpoint, OutlierDetector detector, HealthChecker checker) {
    this.address = endpoint.address();
    this.endpoint = endpoint;
    this.effectiveWeight = endpoint.weight();
    OutlierDetector.Tracker tracker = detector == null ? null : detector.newTracker(this::requests);
    this.outlier = tracker;
    // A passed probe refutes an ejection for connection failures; a recovery seen by the probes ends
    // any ejection (see OutlierDetector#probePassed).
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
   * average and feeds outlier detection. Lock-free and allocation-free unless this release is the
   * failure that ejects the endpoint.
   */
  void release(Outcome outcome, long latencyNanos) {
    IN_FLIGHT.getAndAdd(this, -1);
    COUNTS.getAndAdd(outcomes, outcome.ordinal(), 1L);
    if (latencyNanos >= 0) {
      double old = latencyEwma;
      // A release store: readers see a whole value without the full fence a volatile write costs.
      LATENCY_EWMA.setRelease(this, old == 0.0 ? latencyNanos : old + EWMA_ALPHA * (latencyNanos - old));
    }
    recordFailureRatio(outcome);
    OutlierDetector.Tracker t = outlier;
    if (t != null) {
      t.record(outcome);
    }
    Timer timer = latencyTimer;
    if (timer != null && latencyNanos >= 0) {
      timer.record(latencyNanos, TimeUnit.NANOSECONDS);
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

  @Override
  public String toString() {
    return address + "{inFlight=" + inFlight + ", effectiveWeight=" + effectiveWeight + "}";
  }
}
