package io.lb4j.health;

import java.util.concurrent.CompletableFuture;

/**
 * A balancer's active health checking, as seen from outside: its settings, its probe and what the
 * probes answered. The balancer makes one when its builder has {@code healthCheck(config, probe)};
 * get it with {@code LoadBalancer.healthChecker()}. Semantics:
 *
 * <ul>
 *   <li>An endpoint starts {@link State#UNKNOWN}; its first answer decides at once (healthy or
 *       unhealthy). After that it takes {@code unhealthyThreshold} (3) consecutive failed probes to
 *       turn unhealthy and {@code healthyThreshold} (2) consecutive passed probes to turn healthy
 *       again, so an endpoint that alternates does not flap.
 *   <li>A {@link ProbeResult.Status#DRAINING DRAINING} answer drains the endpoint at once; it
 *       returns after {@code healthyThreshold} passed probes.
 *   <li>A probe that has not answered within {@code timeout} (2 s, on the balancer's scheduler)
 *       fails with reason {@code "no answer within 2s"}. A probe that throws or returns
 *       {@code null} fails too and is logged once per checker. {@link HealthProbe#probe} is called
 *       on a thread of its own ({@code Scheduler.execute}), so a probe that blocks holds only that
 *       thread: its endpoint's probe times out and is not called again while it still blocks
 *       (counted failed with reason {@code "previous probe still running"}); other endpoints,
 *       sweeps and ejection expiry keep their schedule.
 *   <li>Probes of one endpoint never overlap: the next one is scheduled when the previous answer is
 *       in, after {@code interval × U[1 − jitter/2, 1 + jitter/2]}; the first one comes after
 *       {@code interval × U[0, jitter]}. The randomness keeps many clients from probing in
 *       lock-step.
 * </ul>
 *
 * <p>Thread-safe.
 */
public interface HealthChecker {

  /** An endpoint's active-health verdict. */
  enum State {
    /** Not answered yet. */
    UNKNOWN,
    /** Passed the last probe(s). */
    HEALTHY,
    /** Failed the last {@code unhealthyThreshold} probes (or the first one). */
    UNHEALTHY,
    /** Asked for no new traffic. */
    DRAINING
  }

  /** The settings. */
  HealthCheckConfig config();

  /** The probe. */
  HealthProbe probe();

  /**
   * Probe answers recorded so far with this status (a timeout or a failing probe counts as
   * {@code UNHEALTHY}): cumulative, never reset (what a Micrometer {@code FunctionCounter} reads).
   * Lock-free.
   */
  long results(ProbeResult.Status status);

  /**
   * Probes every endpoint now (those not already being probed) and returns a stage that completes
   * when all the answers, or their timeouts, have been recorded; never completes exceptionally.
   * The picker follows with the balancer's next rebuild.
   */
  CompletableFuture<Void> probeAll();
}
