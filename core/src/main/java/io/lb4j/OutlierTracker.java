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

  /** {@link #takePending()}: no ejection asked for. */
  static final int NONE = 0;
  /** The kind bits of a pending ejection: {@link #LOCAL} or {@link #ALL} (all wins). */
  static final int KIND = 3;
  static final int LOCAL = 1;
  static final int ALL = 2;
  /** Flag of a pending ejection: every one of the last local failures was a connect failure. */
  static final int UNREACHABLE = 4;

  private static final VarHandle CONSECUTIVE;
  private static final VarHandle CONSECUTIVE_LOCAL;
  private static final VarHandle CONSECUTIVE_CONNECT;
  private static final VarHandle PENDING;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      CONSECUTIVE = l.findVarHandle(OutlierTracker.class, "consecutive", int.class);
      CONSECUTIVE_LOCAL = l.findVarHandle(OutlierTracker.class, "consecutiveLocal", int.class);
      CONSECUTIVE_CONNECT = l.findVarHandle(OutlierTracker.class, "consecutiveConnect", int.class);
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
  @SuppressWarnings("unused") // accessed through CONSECUTIVE_CONNECT
  private volatile int consecutiveConnect;
  /** {@link #NONE}, or the kind of consecutive-failure ejection a release asked for. */
  @SuppressWarnings("unused") // accessed through PENDING
  private volatile int pending;

  volatile boolean ejected;
  /** Ejected on consecutive connection failures; written under the detector's lock. */
  volatile boolean unreachable;
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
        if (consecutiveConnect != 0) {
          CONSECUTIVE_CONNECT.setVolatile(this, 0);
        }
      }
      case SERVER_ERROR -> {
        if (consecutiveLocal != 0) {
          CONSECUTIVE_LOCAL.setVolatile(this, 0);
        }
        if (consecutiveConnect != 0) {
          CONSECUTIVE_CONNECT.setVolatile(this, 0);
        }
        if ((int) CONSECUTIVE.getAndAdd(this, 1) + 1 == maxConsecutive) {
          request(ALL);
        }
      }
      case CONNECT_FAILURE, TIMEOUT -> {
        boolean all = (int) CONSECUTIVE.getAndAdd(this, 1) + 1 == maxConsecutive;
        boolean local = (int) CONSECUTIVE_LOCAL.getAndAdd(this, 1) + 1 == maxConsecutiveLocal;
        int connect = 0;
        if (outcome == Outcome.CONNECT_FAILURE) {
          connect = (int) CONSECUTIVE_CONNECT.getAndAdd(this, 1) + 1;
        } else if (consecutiveConnect != 0) {
          CONSECUTIVE_CONNECT.setVolatile(this, 0);
        }
        // Every one of the last consecutiveLocalFailures attempts failed to connect: unreachable.
        int unreachableFlag = connect >= maxConsecutiveLocal ? UNREACHABLE : 0;
        if (all) {
          request(ALL | unreachableFlag);
        } else if (local) {
          request(LOCAL | unreachableFlag);
        }
      }
      case CANCELLED -> { }
      default -> throw new IllegalArgumentException("unknown outcome " + outcome);
    }
  }

  /**
   * Merges {@code ask} into the pending ejection (the stronger kind wins, ALL over LOCAL; the
   * unreachable flag is kept once set) and signals the detector unless nothing changed.
   */
  private void request(int ask) {
    int p;
    int merged;
    do {
      p = pending;
      merged = Math.max(p & KIND, ask & KIND) | (p & UNREACHABLE) | (ask & UNREACHABLE);
      if (merged == p) {
        return; // already asked for; its signal is on the way
      }
    } while (!PENDING.compareAndSet(this, p, merged));
    detector.pending();
  }

  int takePending() {
    return pending == NONE ? NONE : (int) PENDING.getAndSet(this, NONE);
  }

  /** Whether the endpoint is ejected now. */
  boolean ejected() {
    return ejected;
  }

  /**
   * Whether the endpoint is ejected because its last {@code consecutiveLocalFailures} requests all
   * failed to connect (hard evidence that it is down): such an ejection is not counted against
   * {@code maxEjectionPercent}, the balancer treats the endpoint as known dead in panic mode, and a
   * passed active health check ends it.
   */
  boolean unreachable() {
    return unreachable;
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
    CONSECUTIVE_CONNECT.setVolatile(this, 0);
  }

  void resetLocal() {
    CONSECUTIVE_LOCAL.setVolatile(this, 0);
    CONSECUTIVE_CONNECT.setVolatile(this, 0);
  }

  @Override
  public String toString() {
    return "OutlierTracker{consecutive=" + consecutive + ", consecutiveLocal=" + consecutiveLocal
        + (ejected ? unreachable ? ", ejected (unreachable)" : ", ejected" : "") + "}";
  }
}
