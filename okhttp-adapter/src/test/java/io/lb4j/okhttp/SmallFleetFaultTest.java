package io.lb4j.okhttp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.EndpointStatus;
import io.lb4j.LoadBalancer;
import io.lb4j.health.HealthCheckConfig;
import io.lb4j.outlier.OutlierDetectionConfig;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 10 §1 against real loopback servers: broken backends in small fleets must not cost
 * idempotent requests. lb4j's defaults (P2C, default outlier detection, panic threshold 0.5) plus
 * {@code RetryPolicy.maxAttempts(3)}, OkHttp's defaults, GETs from several threads.
 */
class SmallFleetFaultTest {

  private final FaultFleet fleet = new FaultFleet();
  private LoadBalancer lb;

  @AfterEach
  void close() {
    if (lb != null) {
      lb.close();
    }
    fleet.close();
  }

  private LoadBalancer.Builder balancer() {
    return LoadBalancer.builder().name("svc").endpoints(fleet.endpoints())
        .outlierDetection(OutlierDetectionConfig.defaults()).listener(fleet.listener());
  }

  private LoadBalancingInterceptor interceptor() {
    return LoadBalancingInterceptor.builder().service("svc", lb)
        .retry(RetryPolicy.builder().maxAttempts(3).build()).build();
  }

  private HttpHealthProbe probe() {
    return HttpHealthProbe.builder().client(fleet.probeClient()).build();
  }

  /** Setup 1: healthy / 503 half the time / stopped after a third; health checks every 1 s; 2,000 GETs, 4 threads. */
  @Test
  void flakyAndStoppedBackendsCostNoRequests() throws Exception {
    fleet.healthy("healthy", 10);
    fleet.healthy("503 half", 10).failureProbability = 0.5;
    FaultFleet.Server stopped = fleet.healthy("stopped", 10);
    lb = balancer().healthCheck(HealthCheckConfig.builder().interval(Duration.ofSeconds(1)).build(), probe()).build();
    int requests = 2000;
    AtomicBoolean stop = new AtomicBoolean();
    FaultFleet.Run run = fleet.run(interceptor(), 4, requests, 90, done -> {
      if (done >= requests / 3 && stop.compareAndSet(false, true)) {
        stopped.stop();
      }
    });
    assertNoRequestLost("flaky-and-stopped", run, "stopped");
  }

  /**
   * Issue 10's promise: at least 99.5 % succeed, no request makes more than maxAttempts (3)
   * attempts, the listener heard of the broken backend's ejection, and nothing is left in flight.
   */
  private void assertNoRequestLost(String name, FaultFleet.Run run, String ejected) {
    System.out.println(name + ": " + run + ", ejected " + fleet.ejected + ", panics " + fleet.panics);
    assertTrue(run.successRate() >= 0.995, run.toString());
    assertTrue(run.maxAttempts() <= 3, run.toString());
    assertTrue(fleet.ejected.contains(ejected), ejected + " is ejected: " + fleet.ejected);
    assertEquals(0, FaultFleet.inFlight(lb));
  }

  /** Setup 2: always 503 / closed port / 200 ms slow after a third / good; 600 GETs, 6 threads. */
  @Test
  void alwaysFailingClosedAndSlowBackendsCostNoRequests() throws Exception {
    fleet.healthy("always 503", 10).failureProbability = 1.0;
    fleet.closedPort("closed port");
    FaultFleet.Server slow = fleet.healthy("turns slow", 10);
    fleet.healthy("good", 10);
    lb = balancer().build();
    int requests = 600;
    FaultFleet.Run run = fleet.run(interceptor(), 6, requests, 90, done -> {
      if (done >= requests / 3) {
        slow.delayMillis = 200;
      }
    });
    assertNoRequestLost("four-mixed", run, "always 503");
    assertTrue(fleet.ejected.contains("closed port"), "ejected past the cap: " + fleet.ejected);
  }

  /**
   * A backend is killed, then restarted on the same port once the health checks have failed it:
   * requests keep succeeding throughout, and it serves again once the checks see it back.
   */
  @Test
  void aKilledBackendCostsNoRequestsAndComesBackAfterItsRestart() throws Exception {
    fleet.healthy("a", 10);
    FaultFleet.Server killed = fleet.restartable("killed", 10);
    fleet.healthy("c", 10);
    lb = balancer().healthCheck(HealthCheckConfig.builder().interval(Duration.ofSeconds(1)).build(),
        fleet.watched(probe())).build();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicBoolean start = new AtomicBoolean();
    AtomicInteger servedAtRestart = new AtomicInteger(-1);
    FaultFleet.Run run = fleet.run(interceptor(), 4, 20_000, 90, done -> {
      if (done >= 200 && stop.compareAndSet(false, true)) {
        killed.stop();
      }
      // Restart once the checks have failed it (unhealthyThreshold 3), whatever ejected it.
      if (stop.get() && fleet.failedProbes(killed) >= 3 && start.compareAndSet(false, true)) {
        try {
          killed.restart();
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
        servedAtRestart.set(killed.served.get());
      }
    }, () -> servedAtRestart.get() >= 0 && killed.served.get() - servedAtRestart.get() >= 20);
    assertNoRequestLost("killed-restarted", run, "killed");
    assertTrue(start.get(), "restarted: " + run);
    assertTrue(killed.served.get() - servedAtRestart.get() >= 20, "serves again after its restart: " + run);
    assertEquals(EndpointStatus.HEALTHY, lb.status(killed.endpoint()));
  }

  /**
   * Every backend refuses connections: callers fail promptly with the connect failure, at most 3
   * attempts each. Once the health checks have failed them all, the balancer does not fail picks
   * on the checks' word alone (a verdict against the whole fleet is more often the checks' fault):
   * it panics over all of them, as Envoy does, and the refused connections answer at once.
   */
  @Test
  void whenEveryBackendIsDownCallersFailPromptlyWithTheConnectFailure() throws Exception {
    for (int i = 0; i < 3; i++) {
      fleet.closedPort("closed " + i);
    }
    lb = balancer().healthCheck(HealthCheckConfig.builder().interval(Duration.ofSeconds(1)).build(),
        fleet.watched(probe())).build();
    AtomicInteger allFailedAt = new AtomicInteger(-1);
    AtomicInteger completed = new AtomicInteger();
    FaultFleet.Run run = fleet.run(interceptor(), 4, 2_000, 60, done -> {
      completed.set(done);
      if (fleet.servers.stream().allMatch(s -> fleet.failedProbes(s) > 0)) {
        allFailedAt.compareAndSet(-1, done);
      }
    }, () -> allFailedAt.get() >= 0 && completed.get() - allFailedAt.get() >= 100);
    System.out.println("all-refusing: " + run + ", " + run.messages());
    assertEquals(0, run.ok(), run.toString());
    assertTrue(run.maxAttempts() <= 3, run.toString());
    assertEquals(null, run.failures().get("timeout"), run.toString());
    assertTrue(lb.inPanic(), "every endpoint failed its checks: panic over all of them");
    assertEquals(0, FaultFleet.inFlight(lb));
  }

  /** Every backend answers 503: callers get the 503 after at most 3 attempts, within the retry budget. */
  @Test
  void whenEveryBackendFailsCallersGetTheFailureWithinTheBudget() throws Exception {
    for (int i = 0; i < 3; i++) {
      fleet.healthy("503 " + i, 10).failureProbability = 1.0;
    }
    lb = balancer().build();
    int requests = 200;
    FaultFleet.Run run = fleet.run(interceptor(), 4, requests, 60, done -> { });
    System.out.println("all-503: " + run);
    assertEquals(requests, run.failures().get("HTTP 503"), run.toString());
    assertTrue(run.maxAttempts() <= 3, run.toString());
    // The budget: 20 % of the requests plus 100 (10/s over 10 s), and one per racing caller.
    assertTrue(run.attempts() <= requests + 0.2 * requests + 100 + 4, run.toString());
    assertEquals(0, FaultFleet.inFlight(lb));
  }
}
