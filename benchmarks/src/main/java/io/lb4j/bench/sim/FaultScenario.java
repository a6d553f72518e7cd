package io.lb4j.bench.sim;

import io.lb4j.health.HealthCheckConfig;
import java.time.Duration;
import java.util.List;

/**
 * A fleet with broken backends under load (issue 10 §1): GETs through lb4j's P2C with the client's
 * health {@code settings}, either from {@code clients} closed-loop clients, each sending its next
 * request when the last one ended (issue 10's setups), or arriving at random (Poisson) at
 * {@code requestsPerSecond} whatever the fleet does, until {@code requests} have been sent.
 * Immutable.
 *
 * @param name short name
 * @param description one line saying what happens
 * @param backends the fleet
 * @param clients closed-loop clients, or 0 for arrivals at {@code requestsPerSecond}
 * @param requestsPerSecond mean arrival rate when {@code clients} is 0, else 0
 * @param requests requests in the whole run
 * @param concurrency requests each backend serves at once, 0 for no limit; more wait in its queue
 * @param queueLimit requests that may wait at a backend serving {@code concurrency}; more are
 *     answered with an immediate 503 (the backend is overloaded)
 * @param settings the client's health settings
 */
public record FaultScenario(String name, String description, List<FaultBackend> backends, int clients,
    double requestsPerSecond, int requests, int concurrency, int queueLimit, FaultSettings settings) {

  /** Validates and copies. */
  public FaultScenario {
    backends = List.copyOf(backends);
    if (backends.isEmpty() || requests < 1 || settings == null) {
      throw new IllegalArgumentException(name + ": backends and requests must be positive, settings given");
    }
    if ((clients < 1) == !(requestsPerSecond > 0) || clients < 0 || requestsPerSecond < 0) {
      throw new IllegalArgumentException(name + ": give either clients or requestsPerSecond, was " + clients
          + " and " + requestsPerSecond);
    }
    if (concurrency < 0 || queueLimit < 0) {
      throw new IllegalArgumentException(name + ": concurrency and queueLimit must be >= 0, was " + concurrency
          + " and " + queueLimit);
    }
  }

  /** A closed loop of {@code clients} against backends without a concurrency limit, as issue 10's setups. */
  static FaultScenario closedLoop(String name, String description, List<FaultBackend> backends, int clients,
      int requests, FaultSettings settings) {
    return new FaultScenario(name, description, backends, clients, 0, requests, 0, 0, settings);
  }

  /** Attempts per request including the first. */
  public int maxAttempts() {
    return settings.maxAttempts();
  }

  /** This scenario with other settings. */
  public FaultScenario with(FaultSettings other) {
    return new FaultScenario(name, description, backends, clients, requestsPerSecond, requests, concurrency,
        queueLimit, other);
  }

  /** This scenario with {@code n} requests in the whole run (the backends change at the same shares of it). */
  public FaultScenario withRequests(int n) {
    return new FaultScenario(name, description, backends, clients, requestsPerSecond, n, concurrency, queueLimit,
        settings);
  }

  /**
   * Issue 10's settings: lb4j's defaults (P2C, default outlier detection, panic threshold 0.5) plus
   * {@code RetryPolicy.maxAttempts(3)} and, if given, active health checks every {@code checks}.
   */
  static FaultSettings issue10(Duration checks) {
    return FaultSettings.defaults().toBuilder().label("issue 10").maxAttempts(3)
        .healthCheck(checks == null ? null : HealthCheckConfig.builder().interval(checks).build()).build();
  }

  /** Service time of a healthy backend in these scenarios. */
  static final double SERVICE_MS = 10;

  /**
   * Setup 1 of issue 10: one healthy backend, one answering 503 to half the requests (its health
   * endpoint passes), one stopped after a third of the run; HTTP health checks every 1 s; 2,000 GETs
   * from 4 clients.
   */
  public static FaultScenario flakyAndStopped() {
    return closedLoop("flaky-and-stopped",
        "healthy / 503 half the time / stopped after 1/3; health checks every 1 s; 2,000 GETs, 4 clients",
        List.of(FaultBackend.healthy("healthy", SERVICE_MS), FaultBackend.healthy("503 half", SERVICE_MS).failing(0.5),
            FaultBackend.healthy("stopped", SERVICE_MS).down(1.0 / 3, -1)),
        4, 2000, issue10(Duration.ofSeconds(1)));
  }

  /**
   * Setup 2 of issue 10: one backend always answering 503, one closed port, one turning 200 ms slow
   * after a third of the run, one good; no health checks; 600 GETs from 6 clients.
   */
  public static FaultScenario fourBroken() {
    return closedLoop("four-mixed",
        "always 503 / closed port / 200 ms slow after 1/3 / good; 600 GETs, 6 clients",
        List.of(FaultBackend.healthy("always 503", SERVICE_MS).failing(1.0),
            FaultBackend.healthy("closed port", SERVICE_MS).down(0, -1),
            FaultBackend.healthy("turns slow", SERVICE_MS).slow(1.0 / 3, 200),
            FaultBackend.healthy("good", SERVICE_MS)),
        6, 600, issue10(null));
  }

  /** Every backend refuses connections; health checks every 1 s; 300 GETs from 4 clients. */
  public static FaultScenario allRefusing() {
    return closedLoop("all-refusing", "3 closed ports; health checks every 1 s; 300 GETs, 4 clients",
        List.of(FaultBackend.healthy("closed 1", SERVICE_MS).down(0, -1),
            FaultBackend.healthy("closed 2", SERVICE_MS).down(0, -1),
            FaultBackend.healthy("closed 3", SERVICE_MS).down(0, -1)),
        4, 300, issue10(Duration.ofSeconds(1)));
  }

  /** Every backend answers 503; no health checks; 300 GETs from 4 clients. */
  public static FaultScenario all503() {
    return closedLoop("all-503", "3 backends always answering 503; 300 GETs, 4 clients",
        List.of(FaultBackend.healthy("503 1", SERVICE_MS).failing(1.0),
            FaultBackend.healthy("503 2", SERVICE_MS).failing(1.0),
            FaultBackend.healthy("503 3", SERVICE_MS).failing(1.0)),
        4, 300, issue10(null));
  }

  /**
   * One of three backends is killed after a fifth of the run and restarted at half of it; health
   * checks every 1 s; 6,000 GETs from 4 clients.
   */
  public static FaultScenario killedAndRestarted() {
    return closedLoop("killed-restarted",
        "3 healthy, one killed at 1/5 and restarted at 1/2; health checks every 1 s; 6,000 GETs, 4 clients",
        List.of(FaultBackend.healthy("a", SERVICE_MS), FaultBackend.healthy("killed", SERVICE_MS).down(0.2, 0.5),
            FaultBackend.healthy("c", SERVICE_MS)),
        4, 6000, issue10(Duration.ofSeconds(1)));
  }

  /**
   * Two of four backends always answer 503 (at once): the cap lets outlier detection eject only
   * one, so the other stays eligible and fails fast; 600 GETs from 6 clients.
   */
  public static FaultScenario twoFailing() {
    return closedLoop("two-503-of-four", "always 503 / always 503 / good / good; 600 GETs, 6 clients",
        List.of(FaultBackend.healthy("503 a", SERVICE_MS).failing(1.0), FaultBackend.healthy("503 b", SERVICE_MS)
            .failing(1.0), FaultBackend.healthy("good a", SERVICE_MS), FaultBackend.healthy("good b", SERVICE_MS)),
        6, 600, issue10(null));
  }

  /**
   * Setup 1 with the flaky backend failing 20 % (runs of 5 failures in a row are rare, so outlier
   * detection seldom ejects it): 2,000 GETs from 4 clients.
   */
  public static FaultScenario flaky20AndStopped() {
    return closedLoop("flaky20-and-stopped",
        "healthy / 503 a fifth of the time / stopped after 1/3; health checks every 1 s; 2,000 GETs, 4 clients",
        List.of(FaultBackend.healthy("healthy", SERVICE_MS), FaultBackend.healthy("503 fifth", SERVICE_MS).failing(0.2),
            FaultBackend.healthy("stopped", SERVICE_MS).down(1.0 / 3, -1)),
        4, 2000, issue10(Duration.ofSeconds(1)));
  }

  /**
   * Four backends: one always answers 503 (ejected first), one answers 503 for the first third and
   * then recovers (the cap keeps it from being ejected, so only the failure penalty steers away from
   * it, and only fresh samples can tell it recovered); 1,200 GETs from 4 clients.
   */
  public static FaultScenario failingThenRecovering() {
    return closedLoop("503-then-heals", "always 503 / 503 until 1/3 then fine / good / good; 1,200 GETs, "
        + "4 clients", List.of(FaultBackend.healthy("503", SERVICE_MS).failing(1.0),
            FaultBackend.healthy("heals", SERVICE_MS).failing(1.0).healing(1.0 / 3),
            FaultBackend.healthy("good a", SERVICE_MS), FaultBackend.healthy("good b", SERVICE_MS)),
        4, 1200, issue10(null));
  }

  /** The scenarios of issue 10 §1, setups first, then harder variants. */
  public static List<FaultScenario> all() {
    return List.of(flakyAndStopped(), fourBroken(), allRefusing(), all503(), killedAndRestarted(), twoFailing(),
        flaky20AndStopped(), failingThenRecovering());
  }
}
