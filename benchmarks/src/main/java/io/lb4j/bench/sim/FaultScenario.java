package io.lb4j.bench.sim;

import java.time.Duration;
import java.util.List;

/**
 * A small fleet with broken backends under a closed loop of clients (issue 10 §1): {@code clients}
 * threads each send GETs one after another until {@code requests} have been sent, through lb4j's
 * defaults (P2C, default outlier detection, panic threshold 0.5) plus {@code RetryPolicy.maxAttempts}
 * and, if given, active health checks every {@code healthCheckInterval}. Immutable.
 *
 * @param name short name
 * @param description one line saying what happens
 * @param backends the fleet
 * @param clients closed-loop clients
 * @param requests requests in the whole run
 * @param healthCheckInterval active HTTP health checks every this long, or null for none
 * @param maxAttempts attempts per request including the first
 */
public record FaultScenario(String name, String description, List<FaultBackend> backends, int clients, int requests,
    Duration healthCheckInterval, int maxAttempts) {

  /** Validates and copies. */
  public FaultScenario {
    backends = List.copyOf(backends);
    if (backends.isEmpty() || clients < 1 || requests < 1 || maxAttempts < 1) {
      throw new IllegalArgumentException("backends, clients, requests and maxAttempts must be positive");
    }
  }

  /** Service time of a healthy backend in these scenarios. */
  static final double SERVICE_MS = 10;

  /**
   * Setup 1 of issue 10: one healthy backend, one answering 503 to half the requests (its health
   * endpoint passes), one stopped after a third of the run; HTTP health checks every 1 s; 2,000 GETs
   * from 4 clients.
   */
  public static FaultScenario flakyAndStopped() {
    return new FaultScenario("flaky-and-stopped",
        "healthy / 503 half the time / stopped after 1/3; health checks every 1 s; 2,000 GETs, 4 clients",
        List.of(FaultBackend.healthy("healthy", SERVICE_MS), FaultBackend.healthy("503 half", SERVICE_MS).failing(0.5),
            FaultBackend.healthy("stopped", SERVICE_MS).down(1.0 / 3, -1)),
        4, 2000, Duration.ofSeconds(1), 3);
  }

  /**
   * Setup 2 of issue 10: one backend always answering 503, one closed port, one turning 200 ms slow
   * after a third of the run, one good; no health checks; 600 GETs from 6 clients.
   */
  public static FaultScenario fourBroken() {
    return new FaultScenario("four-mixed",
        "always 503 / closed port / 200 ms slow after 1/3 / good; 600 GETs, 6 clients",
        List.of(FaultBackend.healthy("always 503", SERVICE_MS).failing(1.0),
            FaultBackend.healthy("closed port", SERVICE_MS).down(0, -1),
            FaultBackend.healthy("turns slow", SERVICE_MS).slow(1.0 / 3, 200),
            FaultBackend.healthy("good", SERVICE_MS)),
        6, 600, null, 3);
  }

  /** Every backend refuses connections; health checks every 1 s; 300 GETs from 4 clients. */
  public static FaultScenario allRefusing() {
    return new FaultScenario("all-refusing", "3 closed ports; health checks every 1 s; 300 GETs, 4 clients",
        List.of(FaultBackend.healthy("closed 1", SERVICE_MS).down(0, -1),
            FaultBackend.healthy("closed 2", SERVICE_MS).down(0, -1),
            FaultBackend.healthy("closed 3", SERVICE_MS).down(0, -1)),
        4, 300, Duration.ofSeconds(1), 3);
  }

  /** Every backend answers 503; no health checks; 300 GETs from 4 clients. */
  public static FaultScenario all503() {
    return new FaultScenario("all-503", "3 backends always answering 503; 300 GETs, 4 clients",
        List.of(FaultBackend.healthy("503 1", SERVICE_MS).failing(1.0),
            FaultBackend.healthy("503 2", SERVICE_MS).failing(1.0),
            FaultBackend.healthy("503 3", SERVICE_MS).failing(1.0)),
        4, 300, null, 3);
  }

  /**
   * One of three backends is killed after a fifth of the run and restarted at half of it; health
   * checks every 1 s; 6,000 GETs from 4 clients.
   */
  public static FaultScenario killedAndRestarted() {
    return new FaultScenario("killed-restarted",
        "3 healthy, one killed at 1/5 and restarted at 1/2; health checks every 1 s; 6,000 GETs, 4 clients",
        List.of(FaultBackend.healthy("a", SERVICE_MS), FaultBackend.healthy("killed", SERVICE_MS).down(0.2, 0.5),
            FaultBackend.healthy("c", SERVICE_MS)),
        4, 6000, Duration.ofSeconds(1), 3);
  }

  /**
   * Two of four backends always answer 503 (at once): the cap lets outlier detection eject only
   * one, so the other stays eligible and fails fast; 600 GETs from 6 clients.
   */
  public static FaultScenario twoFailing() {
    return new FaultScenario("two-503-of-four", "always 503 / always 503 / good / good; 600 GETs, 6 clients",
        List.of(FaultBackend.healthy("503 a", SERVICE_MS).failing(1.0), FaultBackend.healthy("503 b", SERVICE_MS)
            .failing(1.0), FaultBackend.healthy("good a", SERVICE_MS), FaultBackend.healthy("good b", SERVICE_MS)),
        6, 600, null, 3);
  }

  /**
   * Setup 1 with the flaky backend failing 20 % (runs of 5 failures in a row are rare, so outlier
   * detection seldom ejects it): 2,000 GETs from 4 clients.
   */
  public static FaultScenario flaky20AndStopped() {
    return new FaultScenario("flaky20-and-stopped",
        "healthy / 503 a fifth of the time / stopped after 1/3; health checks every 1 s; 2,000 GETs, 4 clients",
        List.of(FaultBackend.healthy("healthy", SERVICE_MS), FaultBackend.healthy("503 fifth", SERVICE_MS).failing(0.2),
            FaultBackend.healthy("stopped", SERVICE_MS).down(1.0 / 3, -1)),
        4, 2000, Duration.ofSeconds(1), 3);
  }

  /**
   * Four backends: one always answers 503 (ejected first), one answers 503 for the first third and
   * then recovers (the cap keeps it from being ejected, so only the failure penalty steers away from
   * it, and only fresh samples can tell it recovered); 1,200 GETs from 4 clients.
   */
  public static FaultScenario failingThenRecovering() {
    return new FaultScenario("503-then-heals", "always 503 / 503 until 1/3 then fine / good / good; 1,200 GETs, "
        + "4 clients", List.of(FaultBackend.healthy("503", SERVICE_MS).failing(1.0),
            FaultBackend.healthy("heals", SERVICE_MS).failing(1.0).healing(1.0 / 3),
            FaultBackend.healthy("good a", SERVICE_MS), FaultBackend.healthy("good b", SERVICE_MS)),
        4, 1200, null, 3);
  }

  /** The scenarios of issue 10 §1, setups first, then harder variants. */
  public static List<FaultScenario> all() {
    return List.of(flakyAndStopped(), fourBroken(), allRefusing(), all503(), killedAndRestarted(), twoFailing(),
        flaky20AndStopped(), failingThenRecovering());
  }
}
