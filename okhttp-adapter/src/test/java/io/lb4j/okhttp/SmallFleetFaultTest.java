package io.lb4j.okhttp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.LoadBalancer;
import io.lb4j.health.HealthCheckConfig;
import io.lb4j.outlier.OutlierDetectionConfig;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
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
    System.out.println("flaky-and-stopped: " + run + ", ejected " + fleet.ejected + ", panics " + fleet.panics);
    assertTrue(run.successRate() >= 0.995, run.toString());
    assertTrue(run.maxAttempts() <= 3, run.toString());
    assertTrue(fleet.ejected.contains("stopped"), "the stopped backend is ejected: " + fleet.ejected);
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
    System.out.println("four-mixed: " + run + ", ejected " + fleet.ejected + ", panics " + fleet.panics);
    assertTrue(run.successRate() >= 0.995, run.toString());
    assertTrue(run.maxAttempts() <= 3, run.toString());
    assertTrue(fleet.ejected.contains("always 503"), "the always-failing backend is ejected: " + fleet.ejected);
    assertEquals(0, FaultFleet.inFlight(lb));
  }
}
