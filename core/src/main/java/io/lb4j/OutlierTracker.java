package io.lb4j;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.function.ToLongFunction;

/**
 * One endpoint's passive-health state: consecutive-failure counts (lock-free) and ejection
 * bookkeeping (guarded by the detector). {@link #record} may be called from any number of threads
 * at once; it takes no lock and allocates nothing.
 */
final class OutlierTracker {

  static final int NONE = 0;
  static final int LOCAL = 1;
  static final int ALL = 2;

  private static final VarHandle CONSECUTIVE;
  private static final VarHandle CONSECUTIVE_LOCAL;
  private static final VarHandle PENDING;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      CONSECUTIVE = l.findVarHandle(OutlierTracker.class, "consecutive", int.class);
      CONSECUTIVE_LOCAL = l.findVarHandle(OutlierTracker.class, "consecutiveLocal", int.class);
      PENDING = l.findVarHandle(OutlierTracker.class, "pending", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final OutlierEngine detector;
  final ToLongFunction<Outcome> requests;
  final int maxConsecutive;
  final int maxConsecutiveLocal;
  @SuppressWarnings("unused") // accessed through CONSECUTIVE
  private volatile int consecutive;
  @SuppressWarnings("unused") // accessed through CONSECUTIVE_LOCAL
  private volatile int consecutiveLocal;
  /** {@link #NONE}, or the kind of consecutive-failure ejection a release asked for. */
  @SuppressWarnings("unused") // accessed through PENDING
  private volatile int pending;

  volatile boolean ejected;
  volatile String reason = "";

  // Guarded by the detector's lock.
  int multiplier;
  long ejectedAtNanos;
  long ejectionNanos;
  long lastUnejectedAtNanos;
  boolean unejectedOnce;
  long lastSuccesses;
  long lastFailures;
  long intervalSuccesses;
  long intervalFailures;
  long ejections;
  long overflows;

  OutlierTracker(OutlierEngine detector, ToLongFunction<Outcome> requests) {
    this.detector = detector;
    this.requests = requests;
    this.maxConsecutive = detector.config().consecutiveFailures();
    this.maxConsecutiveLocal = detector.config().consecutiveLocalFailures();
  }

  /**
   * Records one released request (its outcome must also be counted in the endpoint's cumulative
   * {@code requests}, which sweeps read). The failure that reaches a consecutive count marks this
   * endpoint for ejection and asks the balancer for a rebuild, which decides.
   */
  void record(Outcome outcome) {
    switch (outcome) {
      case SUCCESS -> {
        // Write only when needed: a plain success stays a read of two fields.
        if (consecutive != 0) {
          CONSECUTIVE.setVolatile(this, 0);
        }
        if (consecutiveLocal != 0) {
          CONSECUTIVE_LOCAL.setVolatile(this, 0);
        }
      }
      case SERVER_ERROR -> {
        if (consecutiveLocal != 0) {
          CONSECUTIVE_LOCAL.setVolatile(this, 0);
        }
        if ((int) CONSECUTIVE.getAndAdd(this, 1) + 1 == maxConsecutive) {
          request(ALL);
        }
      }
      case CONNECT_FAILURE, TIMEOUT -> {
        boolean all = (int) CONSECUTIVE.getAndAdd(this, 1) + 1 == maxConsecutive;
        boolean local = (int) CONSECUTIVE_LOCAL.getAndAdd(this, 1) + 1 == maxConsecutiveLocal;
        if (all) {
          request(ALL);
        } else if (local) {
          request(LOCAL);
        }
      }
      case CANCELLED -> { }
      default -> throw new IllegalArgumentException("unknown outcome " + outcome);
    }
  }

  /** Raises the pending kind to {@code kind} (ALL wins over LOCAL) and signals the detector. */
  private void request(int kind) {
    int p;
    do {
      p = pending;
      if (p >= kind) {
        return; // already asked for; its signal is on the way
      }
    } while (!PENDING.compareAndSet(this, p, kind));
    detector.pending();
  }

  int takePending() {
    return pending == NONE ? NONE : (int) PENDING.getAndSet(this, NONE);
  }

  /** Whether the endpoint is ejected now. */
  boolean ejected() {
    return ejected;
  }

  /** Why the endpoint was last ejected or un-ejected, e.g. {@code "5 consecutive failures, ejected for 30s"}. */
  String reason() {
    return reason;
  }

  /** Current consecutive failures of any kind. */
  int consecutiveFailures() {
    return consecutive;
  }

  /** Current consecutive local-origin failures. */
  int consecutiveLocalFailures() {
    return consecutiveLocal;
  }

  /** How many times this endpoint has been ejected. */
  long ejections() {
    synchronized (detector.lock()) {
      return ejections;
    }
  }

  /** Ejections refused because of {@code maxEjectionPercent}. */
  long ejectionsOverflowed() {
    synchronized (detector.lock()) {
      return overflows;
    }
  }

  /** The backoff multiplier: the next ejection lasts {@code base * (multiplier + 1)}, capped. */
  int multiplier() {
    synchronized (detector.lock()) {
      return multiplier;
    }
  }

  /** Length of the current (or last) ejection. */
  Duration ejectionTime() {
    synchronized (detector.lock()) {
      return Duration.ofNanos(ejectionNanos);
    }
  }

  long intervalVolume() {
    return intervalSuccesses + intervalFailures;
  }

  double intervalSuccessRate() {
    return intervalSuccesses * 100.0 / intervalVolume();
  }

  void resetAll() {
    CONSECUTIVE.setVolatile(this, 0);
    CONSECUTIVE_LOCAL.setVolatile(this, 0);
  }

  void resetLocal() {
    CONSECUTIVE_LOCAL.setVolatile(this, 0);
  }

  @Override
  public String toString() {
    return "OutlierTracker{consecutive=" + consecutive + ", consecutiveLocal=" + consecutiveLocal
        + (ejected ? ", ejected" : "") + "}";
  }
}
