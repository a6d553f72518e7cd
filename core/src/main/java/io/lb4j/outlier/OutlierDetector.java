package io.lb4j.outlier;

import io.lb4j.Outcome;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Clock;
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
 * Passive outlier detection with Envoy's semantics, one per {@link io.lb4j.LoadBalancer} (made by
 * the balancer when the builder has {@code outlierDetection(config)}; get it with
 * {@code LoadBalancer.outlierDetector()}).
 *
 * <ul>
 *   <li><b>Consecutive failures</b> eject <em>at</em> the failure that reaches
 *       {@code consecutiveFailures} (server errors, connect failures, timeouts) or
 *       {@code consecutiveLocalFailures} (connect failures and timeouts only; a server error means
 *       the endpoint answered and resets this count), on the releasing thread. A success resets
 *       both counts; a cancelled request neither counts nor resets. The counts restart after each
 *       ejection attempt and after an un-ejection, as in Envoy.
 *   <li><b>Every {@code interval}</b> a {@link #sweep()} un-ejects endpoints whose time is up, then
 *       looks at the requests released since the previous sweep: <em>success rate</em> (among
 *       endpoints with at least {@code successRateRequestVolume} requests, if at least
 *       {@code successRateMinimumHosts} qualify, eject those below {@code mean - stdevFactor *
 *       stdev}, with population stdev as Envoy) and <em>failure percentage</em> (eject an endpoint
 *       whose failures are at or above {@code failurePercentageThreshold} % of its requests, given
 *       {@code failurePercentageMinimumHosts} with {@code failurePercentageRequestVolume}). Each such
 *       ejection happens only with its enforcement percentage's chance. Already ejected endpoints
 *       are skipped.
 *   <li><b>Cap:</b> an ejection is refused when it would make more than {@code maxEjectionPercent}
 *       of the tracked endpoints ejected, except that one endpoint may always be ejected when none
 *       is (Envoy's {@code always_eject_one_host}).
 *   <li><b>Unreachable endpoints</b> (lb4j, not Envoy): an endpoint whose last
 *       {@code consecutiveLocalFailures} requests all failed to connect never received them; that is
 *       hard evidence that it is down, not a judgement of how it serves. Its ejection is always
 *       allowed and does not count against {@code maxEjectionPercent} (the cap protects the fleet
 *       from ejecting too many endpoints that still answer, and a refused connection protects
 *       nothing); {@link Tracker#unreachable()} says so, and the balancer treats it as known dead
 *       in panic mode. A passed active health check ends such an ejection at once
 *       ({@link #probePassed}), since the endpoint is reachable again; health checks that see an
 *       endpoint go down and come back end any ejection.
 *   <li><b>Backoff:</b> each ejection raises the endpoint's multiplier by one (while
 *       {@code multiplier * base < max + base}); it lasts {@code min(baseEjectionTime * multiplier,
 *       maxEjectionTime)}. Every sweep that finds the endpoint not ejected, at least one interval
 *       after its last un-ejection, lowers the multiplier by one, so an endpoint that stays healthy
 *       is forgiven.
 * </ul>
 *
 * <p>Times come from the balancer's {@link Clock}; sweeps run on the balancer's scheduler (or when a
 * test or simulation calls {@link #sweep()}). After any ejection or un-ejection the detector calls
 * its change callback (the balancer rebuilds its picker, logs and tells listeners).
 *
 * <p><b>Thread safety.</b> Thread-safe. {@link Tracker#record} is lock-free and allocation-free;
 * ejection decisions serialise on an internal lock, which is never held while the change callback
 * runs.
 */
public final class OutlierDetector {

  private final OutlierDetectionConfig config;
  private final Clock clock;
  private final Runnable onChange;
  private final DoubleSupplier random;
  private final long baseMillis;
  private final long maxMillis;
  private final long intervalMillis;

  private final Object lock = new Object();
  /** Ejections per {@link Cause#ordinal()}; written under the lock, read lock-free. */
  private final AtomicLongArray ejectionsByCause = new AtomicLongArray(Cause.values().length);
  /** Tracked endpoints, guarded by {@link #lock}. */
  private final Set<Tracker> tracked = new LinkedHashSet<>();
  /** Tracked endpoints currently ejected, guarded by {@link #lock}. */
  private int ejectedCount;
  /** Of those, the ones ejected as unreachable (not counted by the cap), guarded by {@link #lock}. */
  private int unreachableCount;

  /**
   * Creates a detector. The {@link io.lb4j.LoadBalancer} makes one per balancer; it is public so
   * that a simulation can drive the algorithm on its own.
   *
   * @param config the settings
   * @param clock the source of ejection times
   * @param onChange called (without any lock of this detector held) after endpoints were ejected or
   *     un-ejected
   */
  public OutlierDetector(OutlierDetectionConfig config, Clock clock, Runnable onChange) {
    this(config, clock, onChange, () -> ThreadLocalRandom.current().nextDouble());
  }

  OutlierDetector(OutlierDetectionConfig config, Clock clock, Runnable onChange, DoubleSupplier random) {
    if (config == null || clock == null || onChange == null) {
      throw new IllegalArgumentException("config, clock and onChange must not be null");
    }
    this.config = config;
    this.clock = clock;
    this.onChange = onChange;
    this.random = random;
    this.baseMillis = config.baseEjectionTime().toMillis();
    this.maxMillis = config.maxEjectionTime().toMillis();
    this.intervalMillis = config.interval().toMillis();
  }

  /** The settings. */
  public OutlierDetectionConfig config() {
    return config;
  }

  /** What triggered an ejection; {@link #tag()} is its {@code reason} tag in metrics. */
  public enum Cause {
    /** {@code consecutiveFailures} failures in a row. */
    CONSECUTIVE("consecutive"),
    /** {@code consecutiveLocalFailures} local-origin failures in a row. */
    LOCAL("local"),
    /** Success rate below the fleet's mean minus {@code stdevFactor} standard deviations. */
    SUCCESS_RATE("success-rate"),
    /** Failure percentage at or above the threshold. */
    FAILURE_PERCENTAGE("failure-percentage");

    private final String tag;

    Cause(String tag) {
      this.tag = tag;
    }

    /** The metrics tag value, e.g. {@code "success-rate"}. */
    public String tag() {
      return tag;
    }
  }

  /**
   * Ejections so far with this cause: cumulative, never reset (what a Micrometer
   * {@code FunctionCounter} reads). Lock-free.
   */
  public long ejections(Cause cause) {
    return ejectionsByCause.get(cause.ordinal());
  }

  /**
   * Makes the tracker for one endpoint; it takes part in detection once {@link #add added}.
   *
   * @param requests the endpoint's cumulative released requests per outcome (never reset), read by
   *     sweeps for success rate and failure percentage
   */
  public Tracker newTracker(ToLongFunction<Outcome> requests) {
    if (requests == null) {
      throw new IllegalArgumentException("requests must not be null");
    }
    return new Tracker(this, requests);
  }

  /** Starts tracking the endpoint (it counts for {@code maxEjectionPercent}); no-op if tracked. */
  public void add(Tracker t) {
    synchronized (lock) {
      if (tracked.add(t)) {
        t.lastSuccesses = successes(t);
        t.lastFailures = failures(t);
        if (t.ejected) {
          ejectedCount++;
          unreachableCount += t.unreachable ? 1 : 0;
        }
      }
    }
  }

  /** Stops tracking the endpoint (it left the balancer); no-op if not tracked. */
  public void remove(Tracker t) {
    synchronized (lock) {
      if (tracked.remove(t) && t.ejected) {
        ejectedCount--;
        unreachableCount -= t.unreachable ? 1 : 0;
      }
    }
  }

  /** Number of tracked endpoints currently ejected. */
  public int ejectedCount() {
    synchronized (lock) {
      return ejectedCount;
    }
  }

  /**
   * Runs one sweep now: un-ejections, success-rate and failure-percentage ejections and backoff
   * decay. The balancer's scheduler calls this every {@code interval}; tests and simulations with a
   * fake clock call it directly.
   */
  public void sweep() {
    boolean changed = false;
    long now = clock.millis();
    synchronized (lock) {
      List<Tracker> candidates = new ArrayList<>(tracked.size());
      for (Tracker t : tracked) {
        if (t.ejected && now - t.ejectedAtMillis >= t.ejectionMillis) {
          uneject(t, now, "ejection of " + format(t.ejectionMillis) + " ended");
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
        if (!t.ejected && t.multiplier > 0 && t.lastUnejectedAtMillis >= 0
            && now - t.lastUnejectedAtMillis >= intervalMillis) {
          t.multiplier--;
        }
      }
    }
    if (changed) {
      onChange.run();
    }
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
            rate, threshold, mean, t.intervalVolume()), false);
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
            failurePercent, config.failurePercentageThreshold(), t.intervalVolume()), false);
      }
    }
    return changed;
  }

  private boolean enforced(int percent) {
    return percent >= 100 || random.getAsDouble() * 100.0 < percent;
  }

  /**
   * An active health check of the endpoint passed. An ejection as {@link Tracker#unreachable()
   * unreachable} ends now (the endpoint accepts connections again). Any other ejection ends only if
   * this pass is a recovery the checks saw (their verdict went from unhealthy back to healthy: the
   * endpoint was down and is back, so what ejected it most likely was that outage); otherwise it
   * stands, since a health endpoint may pass while requests fail. (Envoy's
   * {@code successful_active_health_check_uneject_host} ends every ejection at any passed check.)
   * The balancer calls this from its health checker; no-op if not tracked or not ejected.
   *
   * @param recovered whether the checks' verdict just went from unhealthy to healthy
   */
  public void probePassed(Tracker t, boolean recovered) {
    synchronized (lock) {
      if (!t.ejected || !(t.unreachable || recovered) || !tracked.contains(t)) {
        return;
      }
      uneject(t, clock.millis(), recovered ? "active health checks pass again" : "an active health check passed");
    }
    onChange.run();
  }

  /** Ends an ejection; caller holds {@link #lock}. */
  private void uneject(Tracker t, long now, String why) {
    t.ejected = false;
    ejectedCount--;
    if (t.unreachable) {
      t.unreachable = false;
      unreachableCount--;
    }
    t.lastUnejectedAtMillis = now;
    t.resetAll();
    t.reason = why;
  }

  /** Called on the releasing thread by the failure that reached a consecutive count. */
  void onConsecutive(Tracker t, boolean local, int count, boolean unreachable) {
    boolean changed;
    synchronized (lock) {
      // Restart the count whether or not the ejection is allowed, so a capped endpoint is
      // tried again after another full run of failures (Envoy does the same).
      if (local && !unreachable) {
        t.resetLocal();
      } else {
        t.resetAll();
      }
      if (!tracked.contains(t) || t.ejected) {
        return;
      }
      String why = unreachable ? count + " consecutive connection failures"
          : count + (local ? " consecutive local-origin failures" : " consecutive failures");
      changed = eject(t, clock.millis(), local ? Cause.LOCAL : Cause.CONSECUTIVE, why, unreachable);
    }
    if (changed) {
      onChange.run();
    }
  }

  /**
   * Whether {@code maxEjectionPercent} allows one more ejection: Envoy's rule (at most that
   * percentage of the tracked endpoints ejected, but one may always go when none is) applied to
   * the ejections the cap counts, which are all but the unreachable ones (those are always
   * allowed; see the class comment).
   *
   * @param capped ejections in force that count against the cap
   * @param tracked tracked endpoints, ejected or not
   * @param maxEjectionPercent the cap, 0..100
   */
  static boolean capAllows(int capped, int tracked, int maxEjectionPercent) {
    return capped == 0 || 100.0 * (capped + 1) / tracked <= maxEjectionPercent;
  }

  /** Ejects if the cap allows (an unreachable endpoint always goes); caller holds {@link #lock}. */
  private boolean eject(Tracker t, long now, Cause cause, String why, boolean unreachable) {
    if (!unreachable && !capAllows(ejectedCount - unreachableCount, tracked.size(), config.maxEjectionPercent())) {
      t.overflows++;
      return false;
    }
    if (t.multiplier * baseMillis < maxMillis + baseMillis) {
      t.multiplier++;
    }
    t.ejectionMillis = Math.min(baseMillis * t.multiplier, maxMillis);
    t.ejectedAtMillis = now;
    t.ejections++;
    t.ejected = true;
    ejectedCount++;
    if (unreachable) {
      t.unreachable = true;
      unreachableCount++;
    }
    t.reason = why + ", ejected for " + format(t.ejectionMillis);
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

  static String format(long millis) {
    Duration d = Duration.ofMillis(millis);
    if (millis % 1000 == 0) {
      return d.toSeconds() + "s";
    }
    return millis + "ms";
  }

  @Override
  public String toString() {
    return "OutlierDetector{" + config + "}";
  }

  /**
   * One endpoint's passive-health state: consecutive-failure counts (lock-free) and ejection
   * bookkeeping (guarded by the detector). Made once per endpoint by {@link #newTracker}.
   *
   * <p><b>Thread safety.</b> {@link #record} may be called from any number of threads at once; it
   * takes no lock and allocates nothing unless it is the failure that ejects.
   */
  public static final class Tracker {

    private static final VarHandle CONSECUTIVE;
    private static final VarHandle CONSECUTIVE_LOCAL;
    private static final VarHandle CONSECUTIVE_CONNECT;

    static {
      try {
        MethodHandles.Lookup l = MethodHandles.lookup();
        CONSECUTIVE = l.findVarHandle(Tracker.class, "consecutive", int.class);
        CONSECUTIVE_LOCAL = l.findVarHandle(Tracker.class, "consecutiveLocal", int.class);
        CONSECUTIVE_CONNECT = l.findVarHandle(Tracker.class, "consecutiveConnect", int.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    private final OutlierDetector detector;
    private final ToLongFunction<Outcome> requests;
    private final int maxConsecutive;
    private final int maxConsecutiveLocal;
    @SuppressWarnings("unused") // accessed through CONSECUTIVE
    private volatile int consecutive;
    @SuppressWarnings("unused") // accessed through CONSECUTIVE_LOCAL
    private volatile int consecutiveLocal;
    @SuppressWarnings("unused") // accessed through CONSECUTIVE_CONNECT
    private volatile int consecutiveConnect;

    private volatile boolean ejected;
    /** Ejected on consecutive connection failures; written under the detector's lock. */
    private volatile boolean unreachable;
    private volatile String reason = "";

    // Guarded by the detector's lock.
    private int multiplier;
    private long ejectedAtMillis;
    private long ejectionMillis;
    private long lastUnejectedAtMillis = -1;
    private long lastSuccesses;
    private long lastFailures;
    private long intervalSuccesses;
    private long intervalFailures;
    private long ejections;
    private long overflows;

    private Tracker(OutlierDetector detector, ToLongFunction<Outcome> requests) {
      this.detector = detector;
      this.requests = requests;
      this.maxConsecutive = detector.config.consecutiveFailures();
      this.maxConsecutiveLocal = detector.config.consecutiveLocalFailures();
    }

    /**
     * Records one released request. The outcome must also have been counted in the endpoint's
     * cumulative {@code requests} before or after this call (sweeps read those). Ejects the
     * endpoint, on this thread, at the failure that reaches a consecutive count.
     */
    public void record(Outcome outcome) {
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
            detector.onConsecutive(this, false, maxConsecutive, false);
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
          boolean unreachable = connect >= maxConsecutiveLocal;
          if (all) {
            detector.onConsecutive(this, false, maxConsecutive, unreachable);
          } else if (local) {
            detector.onConsecutive(this, true, maxConsecutiveLocal, unreachable);
          }
        }
        case CANCELLED -> { }
        default -> throw new IllegalArgumentException("unknown outcome " + outcome);
      }
    }

    /** Whether the endpoint is ejected now. */
    public boolean ejected() {
      return ejected;
    }

    /**
     * Whether the endpoint is ejected because its last {@code consecutiveLocalFailures} requests all
     * failed to connect (hard evidence that it is down): such an ejection is not counted against
     * {@code maxEjectionPercent}, the balancer treats the endpoint as known dead in panic mode, and a
     * passed active health check ends it.
     */
    public boolean unreachable() {
      return unreachable;
    }

    /** Why the endpoint was last ejected or un-ejected, e.g. {@code "5 consecutive failures, ejected for 30s"}. */
    public String reason() {
      return reason;
    }

    /** Current consecutive failures of any kind. */
    public int consecutiveFailures() {
      return consecutive;
    }

    /** Current consecutive local-origin failures. */
    public int consecutiveLocalFailures() {
      return consecutiveLocal;
    }

    /** How many times this endpoint has been ejected. */
    public long ejections() {
      synchronized (detector.lock) {
        return ejections;
      }
    }

    /** Ejections refused because of {@code maxEjectionPercent}. */
    public long ejectionsOverflowed() {
      synchronized (detector.lock) {
        return overflows;
      }
    }

    /** The backoff multiplier: the next ejection lasts {@code base * (multiplier + 1)}, capped. */
    public int multiplier() {
      synchronized (detector.lock) {
        return multiplier;
      }
    }

    /** Length of the current (or last) ejection. */
    public Duration ejectionTime() {
      synchronized (detector.lock) {
        return Duration.ofMillis(ejectionMillis);
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
      CONSECUTIVE_CONNECT.setVolatile(this, 0);
    }

    private void resetLocal() {
      CONSECUTIVE_LOCAL.setVolatile(this, 0);
      CONSECUTIVE_CONNECT.setVolatile(this, 0);
    }

    @Override
    public String toString() {
      return "Tracker{consecutive=" + consecutive + ", consecutiveLocal=" + consecutiveLocal
          + (ejected ? unreachable ? ", ejected (unreachable)" : ", ejected" : "") + "}";
    }
  }
}
