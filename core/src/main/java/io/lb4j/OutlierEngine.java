package io.lb4j;

import io.lb4j.outlier.OutlierDetectionConfig;
import io.lb4j.outlier.OutlierDetector;
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
 * {@link OutlierTracker} per endpoint counts consecutive failures lock-free on the releasing thread; the
 * failure that reaches a count only marks its tracker and calls {@code onChange}, and the
 * balancer's serialised rebuild then calls {@link #applyPending()}, which decides under this
 * detector's lock. Sweeps run on the balancer's scheduler.
 *
 * <p><b>Thread safety.</b> {@link OutlierTracker#record} takes no lock and allocates nothing; every
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
  private final Set<OutlierTracker> tracked = new LinkedHashSet<>();
  /** Tracked endpoints currently ejected, guarded by {@link #lock}. */
  private int ejectedCount;
  /** Of those, the ones ejected as unreachable (not counted by the cap), guarded by {@link #lock}. */
  private int unreachableCount;
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
  OutlierTracker newTracker(ToLongFunction<Outcome> requests) {
    return new OutlierTracker(this, requests);
  }

  /** Starts tracking the endpoint (it counts for {@code maxEjectionPercent}); no-op if tracked. */
  void add(OutlierTracker t) {
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
  void remove(OutlierTracker t) {
    synchronized (lock) {
      if (tracked.remove(t) && t.ejected) {
        ejectedCount--;
        unreachableCount -= t.unreachable ? 1 : 0;
      }
    }
  }

  @Override
  public void sweep() {
    boolean changed = false;
    long now = ticker.read();
    synchronized (lock) {
      List<OutlierTracker> candidates = new ArrayList<>(tracked.size());
      for (OutlierTracker t : tracked) {
        if (t.ejected && now - t.ejectedAtNanos >= t.ejectionNanos) {
          uneject(t, now, "ejection of " + Durations.format(t.ejectionNanos) + " ended");
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
      for (OutlierTracker t : tracked) {
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
      for (OutlierTracker t : tracked) {
        int pending = t.takePending();
        if (pending == OutlierTracker.NONE) {
          continue;
        }
        boolean local = (pending & OutlierTracker.KIND) == OutlierTracker.LOCAL;
        boolean unreachable = (pending & OutlierTracker.UNREACHABLE) != 0;
        // Restart the count whether or not the ejection is allowed, so a capped endpoint is
        // tried again after another full run of failures (Envoy does the same).
        if (local && !unreachable) {
          t.resetLocal();
        } else {
          t.resetAll();
        }
        if (!t.ejected) {
          int count = local ? t.maxConsecutiveLocal : t.maxConsecutive;
          String why = unreachable ? count + " consecutive connection failures"
              : count + (local ? " consecutive local-origin failures" : " consecutive failures");
          changed |= eject(t, now, local ? Cause.LOCAL : Cause.CONSECUTIVE, why, unreachable);
        }
      }
    }
    return changed;
  }

  /** The lock that guards the trackers' ejection bookkeeping. */
  Object lock() {
    return lock;
  }

  /** A release marked a tracker for ejection: remember to look, and ask for a rebuild. */
  void pending() {
    anyPending = true;
    onChange.run();
  }

  private boolean successRateEjections(List<OutlierTracker> candidates, long now) {
    if (config.successRateEnforcementPercentage() == 0) {
      return false;
    }
    List<OutlierTracker> valid = new ArrayList<>();
    double sum = 0;
    for (OutlierTracker t : candidates) {
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
    for (OutlierTracker t : valid) {
      double d = t.intervalSuccessRate() - mean;
      variance += d * d;
    }
    double stdev = Math.sqrt(variance / valid.size());
    double threshold = mean - config.successRateStdevFactor() * stdev;
    boolean changed = false;
    for (OutlierTracker t : valid) {
      double rate = t.intervalSuccessRate();
      if (rate < threshold && enforced(config.successRateEnforcementPercentage())) {
        changed |= eject(t, now, Cause.SUCCESS_RATE, String.format(Locale.ROOT,
            "success rate %.1f%% below threshold %.1f%% (mean %.1f%%, %d requests)",
            rate, threshold, mean, t.intervalVolume()), false);
      }
    }
    return changed;
  }

  private boolean failurePercentageEjections(List<OutlierTracker> candidates, long now) {
    if (config.failurePercentageEnforcementPercentage() == 0) {
      return false;
    }
    List<OutlierTracker> valid = new ArrayList<>();
    for (OutlierTracker t : candidates) {
      if (t.intervalVolume() >= config.failurePercentageRequestVolume()) {
        valid.add(t);
      }
    }
    if (valid.isEmpty() || valid.size() < config.failurePercentageMinimumHosts()) {
      return false;
    }
    boolean changed = false;
    for (OutlierTracker t : valid) {
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
   * An active health check of the endpoint passed. An ejection as {@link OutlierTracker#unreachable()
   * unreachable} ends now (the endpoint accepts connections again). Any other ejection ends only if
   * this pass is a recovery the checks saw (their verdict went from unhealthy back to healthy: the
   * endpoint was down and is back, so what ejected it most likely was that outage); otherwise it
   * stands, since a health endpoint may pass while requests fail. (Envoy's
   * {@code successful_active_health_check_uneject_host} ends every ejection at any passed check.)
   * No-op if not tracked or not ejected; asks for a rebuild when it ends one.
   *
   * @param recovered whether the checks' verdict just went from unhealthy to healthy
   */
  void probePassed(OutlierTracker t, boolean recovered) {
    synchronized (lock) {
      if (!t.ejected || !(t.unreachable || recovered) || !tracked.contains(t)) {
        return;
      }
      uneject(t, ticker.read(), recovered ? "active health checks pass again" : "an active health check passed");
    }
    onChange.run();
  }

  /** Ends an ejection; caller holds {@link #lock}. */
  private void uneject(OutlierTracker t, long now, String why) {
    t.ejected = false;
    ejectedCount--;
    if (t.unreachable) {
      t.unreachable = false;
      unreachableCount--;
    }
    t.lastUnejectedAtNanos = now;
    t.unejectedOnce = true;
    t.resetAll();
    t.reason = why;
  }

  /**
   * Whether {@code maxEjectionPercent} allows one more ejection: Envoy's rule (at most that
   * percentage of the tracked endpoints ejected, but one may always go when none is) applied to
   * the ejections the cap counts, which are all but the unreachable ones (those are always
   * allowed; see {@link OutlierDetector}).
   *
   * @param capped ejections in force that count against the cap
   * @param tracked tracked endpoints, ejected or not
   * @param maxEjectionPercent the cap, 0..100
   */
  static boolean capAllows(int capped, int tracked, int maxEjectionPercent) {
    return capped == 0 || 100.0 * (capped + 1) / tracked <= maxEjectionPercent;
  }

  /** Ejects if the cap allows (an unreachable endpoint always goes); caller holds {@link #lock}. */
  private boolean eject(OutlierTracker t, long now, Cause cause, String why, boolean unreachable) {
    if (!unreachable && !capAllows(ejectedCount - unreachableCount, tracked.size(), config.maxEjectionPercent())) {
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
    if (unreachable) {
      t.unreachable = true;
      unreachableCount++;
    }
    t.reason = why + ", ejected for " + Durations.format(t.ejectionNanos);
    ejectionsByCause.incrementAndGet(cause.ordinal());
    return true;
  }

  private static long successes(OutlierTracker t) {
    return t.requests.applyAsLong(Outcome.SUCCESS);
  }

  private static long failures(OutlierTracker t) {
    return t.requests.applyAsLong(Outcome.SERVER_ERROR) + t.requests.applyAsLong(Outcome.CONNECT_FAILURE)
        + t.requests.applyAsLong(Outcome.TIMEOUT);
  }

  @Override
  public String toString() {
    return "OutlierDetector{" + config + "}";
  }
}
