package io.lb4j.health;

import io.lb4j.Endpoint;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Active health checking for one {@link io.lb4j.LoadBalancer}: probes every endpoint every
 * {@code interval} with a {@link HealthProbe} and turns the answers into a verdict per endpoint
 * (made by the balancer when the builder has {@code healthCheck(config, probe)}; get it with
 * {@code LoadBalancer.healthChecker()}).
 *
 * <ul>
 *   <li>An endpoint starts {@link State#UNKNOWN}; its first answer decides at once (healthy or
 *       unhealthy). After that it takes {@code unhealthyThreshold} (3) consecutive failed probes to
 *       turn unhealthy and {@code healthyThreshold} (2) consecutive passed probes to turn healthy
 *       again, so an endpoint that alternates does not flap.
 *   <li>A {@link ProbeResult.Status#DRAINING DRAINING} answer drains the endpoint at once; it
 *       returns after {@code healthyThreshold} passed probes.
 *   <li>A probe that has not answered within {@code timeout} (2 s) fails with reason
 *       {@code "no answer within 2s"}. A probe that throws or returns {@code null} fails too and is
 *       logged once per checker (not per probe); it never stops other probes or the scheduler.
 *   <li>Probes of one endpoint never overlap: the next one is scheduled when the previous answer is
 *       in, after {@code interval × U[1 − jitter/2, 1 + jitter/2]}; the first one comes after
 *       {@code interval × U[0, jitter]}. The randomness keeps many clients from probing in
 *       lock-step.
 * </ul>
 *
 * <p>Probe timeouts are measured on the scheduler (real time), not on the balancer's clock.
 *
 * <p><b>Thread safety.</b> Thread-safe. Verdicts are recorded under an internal lock that is never
 * held while the change callback runs.
 */
public final class HealthChecker {

  private static final Logger log = LoggerFactory.getLogger(HealthChecker.class);

  /** An endpoint's active-health verdict. */
  public enum State {
    /** Not answered yet. */
    UNKNOWN,
    /** Passed the last probe(s). */
    HEALTHY,
    /** Failed the last {@code unhealthyThreshold} probes (or the first one). */
    UNHEALTHY,
    /** Asked for no new traffic. */
    DRAINING
  }

  private final HealthCheckConfig config;
  private final HealthProbe probe;
  private final ScheduledExecutorService scheduler;
  private final boolean periodic;
  private final Runnable onChange;
  private final long intervalMillis;
  private final long timeoutMillis;
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
   * Creates a checker. The {@link io.lb4j.LoadBalancer} makes one per balancer; it is public so
   * that a simulation can drive it on its own.
   *
   * @param config the settings
   * @param probe the probe
   * @param scheduler runs probe rounds and timeouts; owned by the caller, which shuts it down
   * @param periodic whether to probe by itself every interval; if false, only {@link #probeAll()}
   *     probes (tests and simulations with a fake clock)
   * @param onChange called (without any lock of this checker held) after a verdict changed
   */
  public HealthChecker(HealthCheckConfig config, HealthProbe probe, ScheduledExecutorService scheduler,
      boolean periodic, Runnable onChange) {
    if (config == null || probe == null || scheduler == null || onChange == null) {
      throw new IllegalArgumentException("config, probe, scheduler and onChange must not be null");
    }
    this.config = config;
    this.probe = probe;
    this.scheduler = scheduler;
    this.periodic = periodic;
    this.onChange = onChange;
    this.intervalMillis = config.interval().toMillis();
    this.timeoutMillis = Math.max(1, config.timeout().toMillis());
    this.timeoutReason = "no answer within " + format(config.timeout().toMillis());
  }

  /** The settings. */
  public HealthCheckConfig config() {
    return config;
  }

  /**
   * Probe answers recorded so far with this status (a timeout or a failing probe counts as
   * {@code UNHEALTHY}): cumulative, never reset (what a Micrometer {@code FunctionCounter} reads).
   * Lock-free.
   */
  public long results(ProbeResult.Status status) {
    return results.get(status.ordinal());
  }

  /** The probe. */
  public HealthProbe probe() {
    return probe;
  }

  /** Makes the target for one endpoint; it is probed once {@link #add added}. */
  public Target newTarget(Supplier<Endpoint> endpoint) {
    return newTarget(endpoint, null);
  }

  /** Told about each passed probe of one endpoint (the balancer ends outlier ejections with it). */
  @FunctionalInterface
  public interface PassListener {
    /**
     * Called after a probe of the endpoint passed, without any lock of the checker held.
     *
     * @param recovered whether this pass turned an {@link State#UNHEALTHY UNHEALTHY} verdict back
     *     to {@link State#HEALTHY HEALTHY}
     */
    void passed(boolean recovered);
  }

  /**
   * Makes the target for one endpoint, with a listener told about every passed probe.
   *
   * @param onPass told after each healthy answer, or null
   */
  public Target newTarget(Supplier<Endpoint> endpoint, PassListener onPass) {
    if (endpoint == null) {
      throw new IllegalArgumentException("endpoint must not be null");
    }
    return new Target(endpoint, onPass);
  }

  /** Starts probing the endpoint; no-op if already tracked. */
  public void add(Target t) {
    synchronized (lock) {
      if (closed || !targets.add(t)) {
        return;
      }
      if (periodic) {
        double first = ThreadLocalRandom.current().nextDouble() * config.jitter();
        schedule(t, (long) (intervalMillis * first));
      }
    }
  }

  /**
   * Stops probing the endpoint and forgets its verdict: if it comes back it is {@link State#UNKNOWN}
   * until probed again. No-op if not tracked.
   */
  public void remove(Target t) {
    synchronized (lock) {
      if (!targets.remove(t)) {
        return;
      }
      if (t.next != null) {
        t.next.cancel(false);
        t.next = null;
      }
      t.passes = 0;
      t.failures = 0;
      t.state = State.UNKNOWN;
      t.reason = "not probed yet";
    }
  }

  /**
   * Probes every tracked endpoint now (those not already being probed) and returns a stage that
   * completes when all the answers, or their timeouts, have been recorded. Never completes
   * exceptionally.
   */
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
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      for (Target t : targets) {
        if (t.next != null) {
          t.next.cancel(false);
          t.next = null;
        }
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
  private void schedule(Target t, long delayMillis) {
    try {
      t.next = scheduler.schedule(() -> probeOnce(t, true), delayMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      t.next = null; // the balancer is closing
    }
  }

  private CompletableFuture<Void> probeOnce(Target t, boolean reschedule) {
    if (closed || !t.probing.compareAndSet(false, true)) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<ProbeResult> answer = new CompletableFuture<>();
    ScheduledFuture<?> timeout;
    try {
      timeout = scheduler.schedule(() -> answer.complete(ProbeResult.unhealthy(timeoutReason)),
          timeoutMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      t.probing.set(false);
      return CompletableFuture.completedFuture(null);
    }
    Endpoint endpoint = t.endpoint.get();
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
              schedule(t, Math.max(1, (long) (intervalMillis * f)));
            }
          }
        }
      }
      return null;
    });
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
      t.lastResult = r;
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

  static String format(long millis) {
    return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
  }

  @Override
  public String toString() {
    return "HealthChecker{" + config + ", probe=" + probe + "}";
  }

  /**
   * One endpoint's active-health verdict; made once per endpoint by {@link #newTarget}.
   * Thread-safe: the verdict is read lock-free.
   */
  public static final class Target {
    private final Supplier<Endpoint> endpoint;
    private final PassListener onPass;
    private final AtomicBoolean probing = new AtomicBoolean();
    private volatile State state = State.UNKNOWN;
    private volatile String reason = "not probed yet";
    // Guarded by the checker's lock.
    private int passes;
    private int failures;
    private ProbeResult lastResult;
    private ScheduledFuture<?> next;

    private Target(Supplier<Endpoint> endpoint, PassListener onPass) {
      this.endpoint = endpoint;
      this.onPass = onPass;
    }

    /** The current verdict. */
    public State state() {
      return state;
    }

    /** The reason of the last verdict change, e.g. {@code "connect refused (3 failed probes in a row)"}. */
    public String reason() {
      return reason;
    }

    @Override
    public String toString() {
      return "Target{" + endpoint.get().address() + ", " + state + "}";
    }
  }
}
