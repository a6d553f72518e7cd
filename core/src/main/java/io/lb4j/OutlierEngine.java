package io.lb4j;

import io.lb4j.outlier.OutlierDetectionConfig;
import io.lb4j.outlier.OutlierDetector;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.DoubleSupplier;
import java.util.function.ToLongFunction;

/**
 * The balancer's {@link OutlierDetector} (the semantics are documented there): one
 * {@link Tracker} per endpoint counts consecutive failures lock-free on the releasing thread; the
 * failure that reaches a count only marks its tracker and calls {@code onChange}, and the
 * balancer's serialised rebuild then calls {@link #applyPending()}, which decides under this
 * detector's lock. Sweeps run on the balancer's scheduler.
 *
 * <p><b>Thread safety.</b> {@link Tracker#record} takes no lock and allocates nothing; every
 * decision serialises on an internal lock, which is never held while {@code onChange} runs.
 */
final class OutlierEngine implements OutlierDetector {

  private final OutlierDetectionConfig config;
  private final Ticker ticker;
  private final Runnable onChange;
  private final DoubleSupplier random;
  private final long baseNanos;
  private final long maxNanos;
  private final long intervalNanos;

  private final Object lock = new Object();
  /** Ejections per {@link Cause#ordinal()}; written under the lock, read lock-free. */
  private final AtomicLongArray ejectionsByCause = new AtomicLongArray(Cause.values().length);
  /** Tracked endpoints, guarded by {@link #lock}. */
  private final Set<Tracker> tracked = new LinkedHashSet<>();
  /** Tracked endpoints currently ejected, guarded by {@link #lock}. */
  private int ejectedCount;
  /** Set when some tracker has a consecutive-failure ejection waiting for {@link #applyPending}. */
  private volatile boolean anyPending;

  /**
   * @param onChange asks the balancer for a rebuild: after a sweep changed something, and when a
   *     release marked an endpoint for ejection
   */
  OutlierEngine(OutlierDetectionConfig config, Ticker ticker, Runnable onChange) {
    this(config, ticker, onChange, () -> ThreadLocalRandom.current().nextDouble());
  }

  OutlierEngine(OutlierDetectionConfig config, Ticker ticker, Runnable onChange, DoubleSupplier random) {
    this.config = config;
    this.ticker = ticker;
    this.onChange = onChange;
    this.random = random;
    this.baseNanos = Durations.nanos(config.baseEjectionTime());
    this.maxNanos = Durations.nanos(config.maxEjectionTime());
    this.intervalNanos = Durations.nanos(config.interval());
  }

  @Override
  public OutlierDetectionConfig config() {
    return config;
  }

  @Override
  public long ejections(Cause cause) {
    return ejectionsByCause.get(cause.ordinal());
  }

  @Override
  public int ejectedCount() {
    synchronized (lock) {
      return ejectedCount;
    }
  }

  /** Makes the tracker for one endpoint; it takes part once {@link #add added}. */
  Tracker newTracker(ToLongFunction<Outcome> requests) {
    return new Tracker(this, requests);
  }

  /** Starts tracking the endpoint (it counts for {@code maxEjectionPercent}); no-op if tracked. */
  void add(Tracker t) {
    synchronized (lock) {
      if (tracked.add(t)) {
        t.lastSuccesses = successes(t);
        t.lastFailures = failures(t);
        if (t.ejected) {
          ejectedCount++;
        }
      }
    }
  }

  /** Stops tracking the endpoint (it left the balancer); no-op if not tracked. */
  void remove(Tracker t) {
    synchronized (lock) {
      if (tracked.remove(t) && t.ejected) {
        ejectedCount--;
      }
    }
  }

  @Override
  public void sweep() {
    boolean changed = false;
    long now = ticker.read();
    synchronized (lock) {
      List<Tracker> candidates = new ArrayList<>(tracked.size());
      for (Tracker t : tracked) {
        if (t.ejected && now - t.ejectedAtNanos >= t.ejectionNanos) {
          t.ejected = false;
          ejectedCount--;
          t.lastUnejectedAtNanos = now;
          t.unejectedOnce = true;
          t.resetAll();
          t.reason = "ejection of " + Durations.format(t.ejectionNanos) + " ended";
          changed = true;
        }
        long s = successes(t);
        long f = failures(t);
        t.intervalSuccesses = s - t.lastSuccesses;
        t.intervalFailures = f - t.lastFailures;
        t.lastSuccesses = s;
        t.lastFailures = f;
        if (!t.ejected) {
          candidates.add(t);
        }
      }
      changed |= successRateEjections(candidates, now);
      changed |= failurePercentageEjections(candidates, now);
      for (Tracker t : tracked) {
        if (!t.ejected && t.multiplier > 0 && t.unejectedOnce && now - t.lastUnejectedAtNanos >= intervalNanos) {
          t.multiplier--;
        }
      }
    }
    if (changed) {
      onChange.run();
    }
  }

  /**
   * Decides the consecutive-failure ejections that releases asked for since the last call. Called
   * by the balancer's serialised rebuild; returns whether an endpoint was ejected.
   */
  boolean applyPending() {
    if (!anyPending) {
      return false;
    }
    anyPending = false;
    boolean changed = false;
    long now = ticker.read();
    synchronized (lock) {
      for (Tracker t : tracked) {
        int kind = t.takePending();
        if (kind == Tracker.NONE) {
          continue;
        }
        boolean local = kind == Tracker.LOCAL;
        // Restart the count whether or not the ejection is allowed, so a capped endpoint is
        // tried again after another full run of failures (Envoy does the same).
        if (local) {
          t.resetLocal();
        } else {
          t.resetAll();
        }
        if (!t.ejected) {
          int count = local ? t.maxConsecutiveLocal : t.maxConsecutive;
          changed |= eject(t, now, local ? Cause.LOCAL : Cause.CONSECUTIVE,
              count + (local ? " consecutive local-origin failures" : " consecutive failures"));
        }
      }
    }
    return changed;
  }

  private void pending() {
    anyPending = true;
    onChange.run();
  }

  private boolean successRateEjections(List<Tracker> candidates, long now) {
    if (config.successRateEnforcementPercentage() == 0) {
      return false;
    }
    List<Tracker> valid = new ArrayList<>();
    double sum = 0;
    for (Tracker t : candidates) {
      if (t.intervalVolume() >= config.successRateRequestVolume()) {
        valid.add(t);
        sum += t.intervalSuccessRate();
      }
    }
    if (valid.isEmpty() || valid.size() < config.successRateMinimumHosts()) {
      return false;
    }
    double mean = sum / valid.size();
    double variance = 0;
    for (Tracker t : valid) {
      double d = t.intervalSuccessRate() - mean;
      variance += d * d;
    }
    double stdev = Math.sqrt(variance / valid.size());
    double threshold = mean - config.successRateStdevFactor() * stdev;
    boolean changed = false;
    for (Tracker t : valid) {
      double rate = t.intervalSuccessRate();
      if (rate < threshold && enforced(config.successRateEnforcementPercentage())) {
        changed |= eject(t, now, Cause.SUCCESS_RATE, String.format(Locale.ROOT,
            "success rate %.1f%% below threshold %.1f%% (mean %.1f%%, %d requests)",
            rate, threshold, mean, t.intervalVolume()));
      }
    }
    return changed;
  }

  private boolean failurePercentageEjections(List<Tracker> candidates, long now) {
    if (config.failurePercentageEnforcementPercentage() == 0) {
      return false;
    }
    List<Tracker> valid = new ArrayList<>();
    for (Tracker t : candidates) {
      if (t.intervalVolume() >= config.failurePercentageRequestVolume()) {
        valid.add(t);
      }
    }
    if (valid.isEmpty() || valid.size() < config.failurePercentageMinimumHosts()) {
      return false;
    }
    boolean changed = false;
    for (Tracker t : valid) {
      double failurePercent = 100.0 - t.intervalSuccessRate();
      if (!t.ejected && failurePercent >= config.failurePercentageThreshold()
          && enforced(config.failurePercentageEnforcementPercentage())) {
        changed |= eject(t, now, Cause.FAILURE_PERCENTAGE, String.format(Locale.ROOT,
            "failure percentage %.1f%% at or above %d%% (%d requests)",
            failurePercent, config.failurePercentageThreshold(), t.intervalVolume()));
      }
    }
    return changed;
  }

  private boolean enforced(int percent) {
    return percent >= 100 || random.getAsDouble() * 100.0 < percent;
  }

  /** Ejects if the cap allows; caller holds {@link #lock}. */
  private boolean eject(Tracker t, long now, Cause cause, String why) {
    int total = tracked.size();
    boolean allowed = ejectedCount == 0
        || 100.0 * (ejectedCount + 1) / total <= config.maxEjectionPercent();
    if (!allowed) {
      t.overflows++;
      return false;
    }
    if ((double) t.multiplier * baseNanos < (double) maxNanos + baseNanos) {
      t.multiplier++;
    }
    t.ejectionNanos = Math.min(Durations.times(baseNanos, t.multiplier), maxNanos);
    t.ejectedAtNanos = now;
    t.ejections++;
    t.ejected = true;
    ejectedCount++;
    t.reason = why + ", ejected for " + Durations.format(t.ejectionNanos);
    ejectionsByCause.incrementAndGet(cause.ordinal());
    return true;
  }

  private static long successes(Tracker t) {
    return t.requests.applyAsLong(Outcome.SUCCESS);
  }

  private static long failures(Tracker t) {
    return t.requests.applyAsLong(Outcome.SERVER_ERROR) + t.requests.applyAsLong(Outcome.CONNECT_FAILURE)
        + t.requests.applyAsLong(Outcome.TIMEOUT);
  }

  @Override
  public String toString() {
    return "OutlierDetector{" + config + "}";
  }

  /**
   * One endpoint's passive-health state: consecutive-failure counts (lock-free) and ejection
   * bookkeeping (guarded by the detector). {@link #record} may be called from any number of threads
   * at once; it takes no lock and allocates nothing.
   */
  static final class Tracker {

    static final int NONE = 0;
    static final int LOCAL = 1;
    static final int ALL = 2;

    private static final VarHandle CONSECUTIVE;
    private static final VarHandle CONSECUTIVE_LOCAL;
    private static final VarHandle PENDING;

    static {
      try {
        MethodHandles.Lookup l = MethodHandles.lookup();
        CONSECUTIVE = l.findVarHandle(Tracker.class, "consecutive", int.class);
        CONSECUTIVE_LOCAL = l.findVarHandle(Tracker.class, "consecutiveLocal", int.class);
        PENDING = l.findVarHandle(Tracker.class, "pending", int.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    private final OutlierEngine detector;
    private final ToLongFunction<Outcome> requests;
    private final int maxConsecutive;
    private final int maxConsecutiveLocal;
    @SuppressWarnings("unused") // accessed through CONSECUTIVE
    private volatile int consecutive;
    @SuppressWarnings("unused") // accessed through CONSECUTIVE_LOCAL
    private volatile int consecutiveLocal;
    /** {@link #NONE}, or the kind of consecutive-failure ejection a release asked for. */
    @SuppressWarnings("unused") // accessed through PENDING
    private volatile int pending;

    private volatile boolean ejected;
    private volatile String reason = "";

    // Guarded by the detector's lock.
    private int multiplier;
    private long ejectedAtNanos;
    private long ejectionNanos;
    private long lastUnejectedAtNanos;
    private boolean unejectedOnce;
    private long lastSuccesses;
    private long lastFailures;
    private long intervalSuccesses;
    private long intervalFailures;
    private long ejections;
    private long overflows;

    private Tracker(OutlierEngine detector, ToLongFunction<Outcome> requests) {
      this.detector = detector;
      this.requests = requests;
      this.maxConsecutive = detector.config.consecutiveFailures();
      this.maxConsecutiveLocal = detector.config.consecutiveLocalFailures();
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

    private int takePending() {
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
      synchronized (detector.lock) {
        return ejections;
      }
    }

    /** Ejections refused because of {@code maxEjectionPercent}. */
    long ejectionsOverflowed() {
      synchronized (detector.lock) {
        return overflows;
      }
    }

    /** The backoff multiplier: the next ejection lasts {@code base * (multiplier + 1)}, capped. */
    int multiplier() {
      synchronized (detector.lock) {
        return multiplier;
      }
    }

    /** Length of the current (or last) ejection. */
    Duration ejectionTime() {
      synchronized (detector.lock) {
        return Duration.ofNanos(ejectionNanos);
      }
    }

    private long intervalVolume() {
      return intervalSuccesses + intervalFailures;
    }

    private double intervalSuccessRate() {
      return intervalSuccesses * 100.0 / intervalVolume();
    }

    private void resetAll() {
      CONSECUTIVE.setVolatile(this, 0);
      CONSECUTIVE_LOCAL.setVolatile(this, 0);
    }

    private void resetLocal() {
      CONSECUTIVE_LOCAL.setVolatile(this, 0);
    }

    @Override
    public String toString() {
      return "Tracker{consecutive=" + consecutive + ", consecutiveLocal=" + consecutiveLocal
          + (ejected ? ", ejected" : "") + "}";
    }
  }
}
