package io.lb4j;

import io.lb4j.health.HealthCheckConfig;
import io.lb4j.health.HealthChecker;
import io.lb4j.health.HealthProbe;
import io.lb4j.health.ProbeResult;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The balancer's {@link HealthChecker} (the semantics are documented there). Probe rounds and
 * timeouts run on the balancer's {@link Scheduler}; each {@link HealthProbe#probe} call runs through
 * {@link Scheduler#execute}, so a probe that blocks never holds the timer. A verdict change calls
 * {@code onChange}, which asks the balancer for a (coalesced) rebuild.
 *
 * <p><b>Thread safety.</b> Verdicts are recorded under an internal lock that is never held while
 * {@code onChange} runs or a probe is called.
 */
final class ActiveHealthChecker implements HealthChecker {

  private static final Logger log = LoggerFactory.getLogger(HealthChecker.class);

  private final HealthCheckConfig config;
  private final HealthProbe probe;
  private final Scheduler scheduler;
  private final Runnable onChange;
  private final long intervalNanos;
  private final long timeoutNanos;
  private final String timeoutReason;

  private final Object lock = new Object();
  /** Probe answers per {@link ProbeResult.Status#ordinal()}, timeouts and failures included. */
  private final AtomicLongArray results = new AtomicLongArray(ProbeResult.Status.values().length);
  /** Tracked endpoints, guarded by {@link #lock}. */
  private final Set<Target> targets = new LinkedHashSet<>();
  private final AtomicBoolean loggedThrow = new AtomicBoolean();
  private final AtomicBoolean loggedNull = new AtomicBoolean();
  private volatile boolean closed;

  /**
   * @param onChange asks the balancer for a rebuild after a verdict changed
   */
  ActiveHealthChecker(HealthCheckConfig config, HealthProbe probe, Scheduler scheduler, Runnable onChange) {
    this.config = config;
    this.probe = probe;
    this.scheduler = scheduler;
    this.onChange = onChange;
    this.intervalNanos = Durations.nanos(config.interval());
    this.timeoutNanos = Math.max(1, Durations.nanos(config.timeout()));
    this.timeoutReason = "no answer within " + Durations.format(timeoutNanos);
  }

  @Override
  public HealthCheckConfig config() {
    return config;
  }

  @Override
  public long results(ProbeResult.Status status) {
    return results.get(status.ordinal());
  }

  @Override
  public HealthProbe probe() {
    return probe;
  }

  /** Told about each passed probe of one endpoint (the balancer ends outlier ejections with it). */
  @FunctionalInterface
  interface PassListener {
    /**
     * Called after a probe of the endpoint passed, without any lock of the checker held.
     *
     * @param recovered whether this pass turned an {@code UNHEALTHY} verdict back to {@code HEALTHY}
     */
    void passed(boolean recovered);
  }

  /**
   * Makes the target for one endpoint; it is probed once {@link #add added}.
   *
   * @param onPass told after each healthy answer, or null
   */
  Target newTarget(Supplier<Endpoint> endpoint, PassListener onPass) {
    return new Target(endpoint, onPass);
  }

  /** Starts probing the endpoint; no-op if already tracked. */
  void add(Target t) {
    synchronized (lock) {
      if (closed || !targets.add(t)) {
        return;
      }
      schedule(t, (long) (intervalNanos * ThreadLocalRandom.current().nextDouble() * config.jitter()));
    }
  }

  /**
   * Stops probing the endpoint and forgets its verdict: if it comes back it is {@link State#UNKNOWN}
   * until probed again. No-op if not tracked.
   */
  void remove(Target t) {
    synchronized (lock) {
      if (!targets.remove(t)) {
        return;
      }
      cancelNext(t);
      t.passes = 0;
      t.failures = 0;
      t.state = State.UNKNOWN;
      t.reason = "not probed yet";
    }
  }

  @Override
  public CompletableFuture<Void> probeAll() {
    List<Target> now;
    synchronized (lock) {
      now = new ArrayList<>(targets);
    }
    CompletableFuture<?>[] all = new CompletableFuture<?>[now.size()];
    for (int i = 0; i < all.length; i++) {
      all[i] = probeOnce(now.get(i), false);
    }
    return CompletableFuture.allOf(all);
  }

  /**
   * Stops all probing and closes the probe ({@link HealthProbe#close()}, once); answers still in
   * flight are dropped. Idempotent.
   */
  void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      for (Target t : targets) {
        cancelNext(t);
      }
      targets.clear();
    }
    try {
      probe.close();
    } catch (RuntimeException e) {
      log.warn("health probe {} failed to close", probe, e);
    }
  }

  /** Caller holds {@link #lock}. */
  private static void cancelNext(Target t) {
    if (t.next != null) {
      t.next.cancel(false);
      t.next = null;
    }
  }

  /** Caller holds {@link #lock}. */
  private void schedule(Target t, long delayNanos) {
    try {
      t.next = scheduler.schedule(() -> probeOnce(t, true), delayNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      t.next = null; // the balancer is closing
    }
  }

  /** Runs on the scheduler (or the caller of probeAll): starts one probe and its timeout. */
  private CompletableFuture<Void> probeOnce(Target t, boolean reschedule) {
    if (closed || !t.probing.compareAndSet(false, true)) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<ProbeResult> answer = new CompletableFuture<>();
    Future<?> timeout;
    try {
      timeout = scheduler.schedule(() -> answer.complete(ProbeResult.unhealthy(timeoutReason)),
          timeoutNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      t.probing.set(false);
      return CompletableFuture.completedFuture(null);
    }
    Endpoint endpoint = t.endpoint.get();
    if (!t.calling.compareAndSet(false, true)) {
      // The previous call has not returned: do not stack another thread behind it.
      answer.complete(ProbeResult.unhealthy("previous probe still running"));
    } else {
      try {
        scheduler.execute(() -> call(t, endpoint, answer));
      } catch (RejectedExecutionException e) {
        t.calling.set(false);
        answer.complete(ProbeResult.unhealthy("the balancer is closing"));
      }
    }
    return answer.handle((r, e) -> {
      timeout.cancel(false);
      try {
        record(t, r != null ? r : ProbeResult.unhealthy(describe(e)));
      } catch (RuntimeException ex) {
        log.warn("recording the health of {} failed", endpoint.address(), ex);
      } finally {
        t.probing.set(false);
        if (reschedule) {
          synchronized (lock) {
            if (!closed && targets.contains(t)) {
              double f = 1 - config.jitter() / 2 + ThreadLocalRandom.current().nextDouble() * config.jitter();
              schedule(t, Math.max(1, (long) (intervalNanos * f)));
            }
          }
        }
      }
      return null;
    });
  }

  /** Calls the probe; may block, so it runs through {@link Scheduler#execute}. */
  private void call(Target t, Endpoint endpoint, CompletableFuture<ProbeResult> answer) {
    try {
      CompletionStage<ProbeResult> stage = probe.probe(endpoint);
      if (stage == null) {
        answer.complete(misbehaved(loggedNull, endpoint, "returned a null stage", null));
      } else {
        stage.whenComplete((r, e) -> {
          if (e != null) {
            answer.complete(ProbeResult.unhealthy(describe(e)));
          } else if (r == null) {
            answer.complete(misbehaved(loggedNull, endpoint, "completed with a null result", null));
          } else {
            answer.complete(r);
          }
        });
      }
    } catch (Throwable e) { // a broken probe must not stop the others or the scheduler
      answer.complete(misbehaved(loggedThrow, endpoint, "threw " + e, e));
    } finally {
      t.calling.set(false);
    }
  }

  private ProbeResult misbehaved(AtomicBoolean logged, Endpoint endpoint, String what, Throwable e) {
    if (logged.compareAndSet(false, true)) {
      log.warn("health probe {} {} for {}; counting it as a failed probe (logged once, later ones at DEBUG)",
          probe, what, endpoint.address(), e);
    } else if (log.isDebugEnabled()) {
      log.debug("health probe {} {} for {}", probe, what, endpoint.address());
    }
    return ProbeResult.unhealthy("probe " + what);
  }

  private void record(Target t, ProbeResult r) {
    boolean changed = false;
    boolean recovered = false;
    synchronized (lock) {
      if (closed || !targets.contains(t)) {
        return;
      }
      results.incrementAndGet(r.status().ordinal());
      State before = t.state;
      State after = before;
      String why = r.reason();
      switch (r.status()) {
        case HEALTHY -> {
          t.failures = 0;
          t.passes++;
          if (before == State.UNKNOWN || (before != State.HEALTHY && t.passes >= config.healthyThreshold())) {
            after = State.HEALTHY;
            if (before != State.UNKNOWN && config.healthyThreshold() > 1) {
              why = why + " (" + t.passes + " passed probes in a row)";
            }
          }
        }
        case UNHEALTHY -> {
          t.passes = 0;
          t.failures++;
          if (before == State.UNKNOWN || (before != State.UNHEALTHY && t.failures >= config.unhealthyThreshold())) {
            after = State.UNHEALTHY;
            if (before != State.UNKNOWN && config.unhealthyThreshold() > 1) {
              why = why + " (" + t.failures + " failed probes in a row)";
            }
          }
        }
        case DRAINING -> {
          t.passes = 0;
          t.failures = 0;
          after = State.DRAINING;
        }
        default -> throw new IllegalStateException("unknown probe status " + r.status());
      }
      if (after != before) {
        t.reason = why;
        t.state = after;
        changed = true;
        recovered = before == State.UNHEALTHY && after == State.HEALTHY;
      }
    }
    if (r.status() == ProbeResult.Status.HEALTHY && t.onPass != null) {
      t.onPass.passed(recovered);
    }
    if (changed) {
      onChange.run();
    }
  }

  private static String describe(Throwable e) {
    while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
      e = e.getCause();
    }
    if (e == null) {
      return "probe failed";
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
  }

  @Override
  public String toString() {
    return "HealthChecker{" + config + ", probe=" + probe + "}";
  }

  /**
   * One endpoint's active-health verdict; made once per endpoint by {@link #newTarget}. The
   * verdict is read lock-free.
   */
  static final class Target {
    private final Supplier<Endpoint> endpoint;
    private final PassListener onPass;
    /** A probe round is running: from its start until its answer or timeout is recorded. */
    private final AtomicBoolean probing = new AtomicBoolean();
    /** {@link HealthProbe#probe} has been called and has not returned yet. */
    private final AtomicBoolean calling = new AtomicBoolean();
    private volatile State state = State.UNKNOWN;
    private volatile String reason = "not probed yet";
    // Guarded by the checker's lock.
    private int passes;
    private int failures;
    private Future<?> next;

    private Target(Supplier<Endpoint> endpoint, PassListener onPass) {
      this.endpoint = endpoint;
      this.onPass = onPass;
    }

    /** The current verdict. */
    State state() {
      return state;
    }

    /** The reason of the last verdict change, e.g. {@code "connect refused (3 failed probes in a row)"}. */
    String reason() {
      return reason;
    }

    @Override
    public String toString() {
      return "Target{" + endpoint.get().address() + ", " + state + "}";
    }
  }
}
