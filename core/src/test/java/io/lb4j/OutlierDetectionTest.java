package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.outlier.OutlierDetectionConfig;
import io.lb4j.outlier.OutlierDetector;
import io.lb4j.policy.Policies;
import io.lb4j.testing.Balancers;
import io.lb4j.testing.RecordingListener;
import io.lb4j.testing.TestPolicies;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Outlier detection through the balancer, on the fake clock: sweeps run every interval as in production. */
class OutlierDetectionTest {

  @RegisterExtension
  final Balancers lbs = new Balancers();
  private final RecordingListener listener = lbs.listener;

  private LoadBalancer lb(int n, OutlierDetectionConfig config) {
    return lbs.build(lbs.builder("od").endpoints(Balancers.endpoints(10_000, n)).outlierDetection(config));
  }

  private static OutlierDetector detector(LoadBalancer lb) {
    return lb.outlierDetector().orElseThrow();
  }

  private void release(LoadBalancer lb, Endpoint target, Outcome outcome, int count) {
    lbs.release(lb, target, outcome, count);
  }

  private void record(LoadBalancer lb, Endpoint target, Outcome outcome, int count) {
    lbs.record(lb, target, outcome, count);
  }

  /** Runs one sweep now and the rebuild it asks for. */
  private void sweep(LoadBalancer lb) {
    detector(lb).sweep();
    lbs.clock.runDue();
  }

  @Test
  void ejectsAtExactlyTheNthConsecutiveFailureUnderRoundRobin() {
    LoadBalancer lb = lb(4, OutlierDetectionConfig.builder().consecutiveFailures(5).build());
    Endpoint bad = lb.endpoints().get(1);
    // Round robin: every 4th pick is the bad endpoint; the others succeed.
    int failures = 0;
    for (int i = 0; i < 4 * 4; i++) {
      Selection s = lb.pick();
      boolean isBad = s.endpoint().equals(bad);
      s.release(isBad ? Outcome.SERVER_ERROR : Outcome.SUCCESS, 1_000);
      failures += isBad ? 1 : 0;
    }
    assertEquals(4, failures);
    assertEquals(EndpointStatus.HEALTHY, lb.status(bad), "4 failures must not eject");
    assertEquals(4, lb.state(bad).outlier.consecutiveFailures());
    Selection fifth = Balancers.pickUntil(lb, bad);
    fifth.release(Outcome.SERVER_ERROR, 1_000);
    assertEquals(EndpointStatus.HEALTHY, lb.status(bad), "the releasing thread only marks the endpoint");
    assertEquals(2, lbs.clock.pendingTasks(), "and asks for one rebuild (besides the sweep due in 10 s)");
    lbs.clock.runDue();
    assertEquals(EndpointStatus.EJECTED, lb.status(bad), "the 5th failure ejects at the next rebuild, not at a sweep");
    assertEquals(List.of("127.0.0.1:10002 HEALTHY->EJECTED"), listener.events);
    assertTrue(listener.reasons.get(0).contains("5 consecutive failures, ejected for 30s"), listener.reasons.get(0));
    for (int i = 0; i < 100; i++) {
      Selection s = lb.pick();
      assertNotEquals(bad, s.endpoint());
      s.release(Outcome.SUCCESS, 1);
    }
  }

  @Test
  void successResetsTheCountAndCancelledNeitherCountsNorResets() {
    LoadBalancer lb = lb(4, OutlierDetectionConfig.builder().consecutiveFailures(3).build());
    Endpoint e = lb.endpoints().get(0);
    release(lb, e, Outcome.TIMEOUT, 2);
    release(lb, e, Outcome.SUCCESS, 1);
    release(lb, e, Outcome.SERVER_ERROR, 2);
    release(lb, e, Outcome.CANCELLED, 5);
    assertEquals(EndpointStatus.HEALTHY, lb.status(e));
    release(lb, e, Outcome.CONNECT_FAILURE, 1);
    assertEquals(EndpointStatus.EJECTED, lb.status(e));
  }

  @Test
  void localOriginFailuresEjectOnTheirOwnCountAndServerErrorsResetIt() {
    LoadBalancer lb = lb(4, OutlierDetectionConfig.builder()
        .consecutiveFailures(100).consecutiveLocalFailures(3).build());
    Endpoint e = lb.endpoints().get(2);
    release(lb, e, Outcome.CONNECT_FAILURE, 2);
    release(lb, e, Outcome.SERVER_ERROR, 1); // the endpoint answered
    release(lb, e, Outcome.TIMEOUT, 2);
    assertEquals(EndpointStatus.HEALTHY, lb.status(e));
    release(lb, e, Outcome.TIMEOUT, 1);
    assertEquals(EndpointStatus.EJECTED, lb.status(e));
    assertTrue(listener.reasons.get(0).startsWith("3 consecutive local-origin failures"), listener.reasons.get(0));
  }

  @Test
  void ejectionExpiresOnTheSweepAndReEjectionBacksOff() {
    // Sweeps every 10 s (the default interval) from t = 0, driven by the fake scheduler.
    LoadBalancer lb = lb(4, OutlierDetectionConfig.builder()
        .baseEjectionTime(Duration.ofSeconds(30)).maxEjectionTime(Duration.ofSeconds(75)).build());
    Endpoint e = lb.endpoints().get(0);
    OutlierTracker t = lb.state(e).outlier;

    record(lb, e, Outcome.SERVER_ERROR, 5); // ejected at t = 0
    assertEquals(Duration.ofSeconds(30), t.ejectionTime());
    lbs.clock.forward(Duration.ofSeconds(29));
    assertEquals(EndpointStatus.EJECTED, lb.status(e), "not before 30 s");
    lbs.clock.forward(Duration.ofSeconds(1));
    assertEquals(EndpointStatus.HEALTHY, lb.status(e), "un-ejected by the sweep at 30 s");
    assertTrue(listener.reasons.get(1).contains("ejection of 30s ended"), listener.reasons.get(1));

    // Fails again at once (t = 30): the multiplier is now 2, so 60 s.
    release(lb, e, Outcome.SERVER_ERROR, 5);
    assertEquals(Duration.ofSeconds(60), t.ejectionTime());
    lbs.clock.forward(Duration.ofSeconds(59));
    assertEquals(EndpointStatus.EJECTED, lb.status(e));
    lbs.clock.forward(Duration.ofSeconds(1));
    assertEquals(EndpointStatus.HEALTHY, lb.status(e), "un-ejected by the sweep at 90 s");

    // Third time (t = 90): 90 s would exceed maxEjectionTime, so 75 s, ending at the sweep at 170 s.
    record(lb, e, Outcome.SERVER_ERROR, 5);
    assertEquals(Duration.ofSeconds(75), t.ejectionTime());
    assertEquals(3, t.ejections());
    lbs.clock.forward(Duration.ofSeconds(79));
    assertEquals(EndpointStatus.EJECTED, lb.status(e), "the sweep at 160 s is 70 s in");
    lbs.clock.forward(Duration.ofSeconds(1));
    assertEquals(EndpointStatus.HEALTHY, lb.status(e));
    assertEquals(3, t.multiplier(), "no decay in the sweep that un-ejects");

    // Healthy: one step of decay per sweep at least an interval after the un-ejection.
    lbs.clock.forward(Duration.ofSeconds(10));
    assertEquals(2, t.multiplier());
    lbs.clock.forward(Duration.ofSeconds(10));
    assertEquals(1, t.multiplier());
    record(lb, e, Outcome.SERVER_ERROR, 5);
    assertEquals(Duration.ofSeconds(60), t.ejectionTime(), "forgiven down to multiplier 1, so 2 x 30 s");
  }

  @Test
  void successRateEjectsTheOneFlakyEndpointAmongTen() {
    LoadBalancer lb = lb(10, OutlierDetectionConfig.builder().build());
    List<Endpoint> all = lb.endpoints();
    for (int i = 0; i < all.size(); i++) {
      Endpoint e = all.get(i);
      for (int r = 0; r < 200; r++) {
        // The flaky one fails every other request: 50 % (below the 85 % failure-percentage bar,
        // never 5 in a row); the others fail 1 in 100.
        boolean fail = i == 6 ? r % 2 == 0 : r % 100 == 0;
        record(lb, e, fail ? Outcome.SERVER_ERROR : Outcome.SUCCESS, 1);
      }
    }
    sweep(lb);
    for (int i = 0; i < all.size(); i++) {
      assertEquals(i == 6 ? EndpointStatus.EJECTED : EndpointStatus.HEALTHY, lb.status(all.get(i)), "endpoint " + i);
    }
    assertTrue(listener.reasons.get(0).startsWith("success rate 50.0% below threshold"), listener.reasons.get(0));
  }

  @Test
  void successRateNeedsMinimumHostsAndRequestVolume() {
    LoadBalancer few = lb(4, OutlierDetectionConfig.builder().build());
    for (int i = 0; i < 4; i++) {
      for (int r = 0; r < 200; r++) {
        boolean fail = i == 0 ? r % 2 == 0 : r % 100 == 0;
        record(few, few.endpoints().get(i), fail ? Outcome.SERVER_ERROR : Outcome.SUCCESS, 1);
      }
    }
    sweep(few);
    assertEquals(EndpointStatus.HEALTHY, few.status(few.endpoints().get(0)), "4 hosts < minimumHosts 5");

    LoadBalancer quiet = lb(10, OutlierDetectionConfig.builder().build());
    for (int i = 0; i < 10; i++) {
      for (int r = 0; r < 99; r++) { // one short of requestVolume 100
        boolean fail = i == 0 ? r % 2 == 0 : false;
        record(quiet, quiet.endpoints().get(i), fail ? Outcome.SERVER_ERROR : Outcome.SUCCESS, 1);
      }
    }
    sweep(quiet);
    assertEquals(EndpointStatus.HEALTHY, quiet.status(quiet.endpoints().get(0)), "volume 99 < 100");
    assertEquals(0, detector(quiet).ejectedCount());
  }

  @Test
  void sweepsLookOnlyAtTheLastInterval() {
    LoadBalancer lb = lb(10, OutlierDetectionConfig.builder().build());
    for (int i = 0; i < 10; i++) {
      for (int r = 0; r < 200; r++) {
        boolean fail = i == 3 ? r % 2 == 0 : false;
        record(lb, lb.endpoints().get(i), fail ? Outcome.SERVER_ERROR : Outcome.SUCCESS, 1);
      }
    }
    lbs.clock.forward(Duration.ofSeconds(10)); // the first periodic sweep
    assertEquals(EndpointStatus.EJECTED, lb.status(lb.endpoints().get(3)));
    lbs.clock.forward(Duration.ofSeconds(30));
    assertEquals(EndpointStatus.HEALTHY, lb.status(lb.endpoints().get(3)));
    // No new requests: nothing to judge, nothing ejected again.
    lbs.clock.forward(Duration.ofSeconds(10));
    assertEquals(0, detector(lb).ejectedCount());
  }

  @Test
  void failurePercentageEjects() {
    LoadBalancer lb = lb(5, OutlierDetectionConfig.builder()
        .consecutiveFailures(1_000).consecutiveLocalFailures(1_000)
        .successRateEnforcementPercentage(0).build());
    for (int i = 0; i < 5; i++) {
      for (int r = 0; r < 60; r++) {
        boolean fail = i == 4 ? r % 10 != 0 : r % 20 == 0; // 90 % vs 5 %
        record(lb, lb.endpoints().get(i), fail ? Outcome.CONNECT_FAILURE : Outcome.SUCCESS, 1);
      }
    }
    sweep(lb);
    assertEquals(EndpointStatus.EJECTED, lb.status(lb.endpoints().get(4)));
    assertEquals(1, detector(lb).ejectedCount());
    assertTrue(listener.reasons.get(0).startsWith("failure percentage 90.0% at or above 85%"), listener.reasons.get(0));
  }

  @Test
  void enforcementPercentageZeroNeverEjectsBySweep() {
    LoadBalancer lb = lb(5, OutlierDetectionConfig.builder()
        .consecutiveFailures(1_000).consecutiveLocalFailures(1_000)
        .successRateEnforcementPercentage(0).failurePercentageEnforcementPercentage(0).build());
    for (int i = 0; i < 5; i++) {
      record(lb, lb.endpoints().get(i), i == 0 ? Outcome.SERVER_ERROR : Outcome.SUCCESS, 200);
    }
    sweep(lb);
    assertEquals(0, detector(lb).ejectedCount());
  }

  @Test
  void maxEjectionPercentHoldsUnderAStormButOneIsAlwaysAllowed() {
    LoadBalancer lb = lb(20, OutlierDetectionConfig.builder().maxEjectionPercent(20).build());
    for (int round = 0; round < 3; round++) {
      for (Endpoint e : lb.endpoints()) {
        record(lb, e, Outcome.SERVER_ERROR, 5);
      }
      sweep(lb);
    }
    assertEquals(4, detector(lb).ejectedCount());
    long ejected = lb.endpoints().stream().filter(e -> lb.status(e) == EndpointStatus.EJECTED).count();
    assertEquals(4, ejected);
    assertFalse(lb.inPanic(), "16 of 20 eligible is above the 0.5 panic threshold");

    LoadBalancer two = lb(2, OutlierDetectionConfig.builder().maxEjectionPercent(10).build());
    for (Endpoint e : two.endpoints()) {
      record(two, e, Outcome.SERVER_ERROR, 5);
    }
    assertEquals(1, detector(two).ejectedCount(), "10 % of 2 rounds to none, but one may always go");
  }

  @Test
  void panicWhenAllAreEjectedAndBackWhenTheyReturn() {
    LoadBalancer lb = lb(4, OutlierDetectionConfig.builder().maxEjectionPercent(100).build());
    for (Endpoint e : lb.endpoints()) {
      record(lb, e, Outcome.SERVER_ERROR, 5);
    }
    assertEquals(4, detector(lb).ejectedCount());
    assertTrue(lb.inPanic());
    assertEquals(1, listener.count("panic true"), listener.events.toString());
    // Panic picks among all present endpoints.
    Set<Endpoint> seen = new HashSet<>();
    for (int i = 0; i < 8; i++) {
      Selection s = lb.pick();
      seen.add(s.endpoint());
      s.release(Outcome.CANCELLED, 1);
    }
    assertEquals(4, seen.size());
    lbs.clock.forward(Duration.ofSeconds(30));
    assertFalse(lb.inPanic());
    assertEquals(1, listener.count("panic false"));
    assertEquals(1, listener.count("panic true"));
  }

  @Test
  void unreachableEndpointsAreEjectedWhateverTheCapAndKnownDeadInPanic() {
    // Issue 10 setup 2: one endpoint always 503, one closed port, two good; default cap (10 %).
    LoadBalancer lb = lb(4, OutlierDetectionConfig.defaults());
    Endpoint failing = lb.endpoints().get(0);
    Endpoint closed = lb.endpoints().get(1);
    record(lb, failing, Outcome.SERVER_ERROR, 5);
    assertEquals(EndpointStatus.EJECTED, lb.status(failing), "one ejection is always allowed");
    assertFalse(lb.state(failing).outlier.unreachable());
    record(lb, closed, Outcome.CONNECT_FAILURE, 5);
    assertEquals(EndpointStatus.EJECTED, lb.status(closed), "refused connections eject past the cap");
    assertTrue(lb.state(closed).outlier.unreachable());
    assertTrue(listener.reasons.get(1).startsWith("5 consecutive connection failures, ejected for 30s"),
        listener.reasons.get(1));
    assertEquals(2, detector(lb).ejectedCount());
    assertEquals(0, lb.state(closed).outlier.ejectionsOverflowed());
    // A second endpoint failing with errors is still capped: only the unreachable one is exempt.
    record(lb, lb.endpoints().get(2), Outcome.SERVER_ERROR, 5);
    assertEquals(EndpointStatus.HEALTHY, lb.status(lb.endpoints().get(2)));
    assertEquals(1, lb.state(lb.endpoints().get(2)).outlier.ejectionsOverflowed());
    // 2 eligible of 3 not known dead: no panic, and picks never reach the closed port.
    assertFalse(lb.inPanic());
    for (int i = 0; i < 20; i++) {
      Selection s = lb.pick();
      assertNotEquals(closed, s.endpoint());
      assertNotEquals(failing, s.endpoint());
      s.release(Outcome.CANCELLED, 1);
    }
  }

  @Test
  void mixedLocalFailuresAreNotUnreachableAndStayCapped() {
    LoadBalancer lb = lb(4, OutlierDetectionConfig.builder().consecutiveFailures(1_000).build());
    record(lb, lb.endpoints().get(0), Outcome.TIMEOUT, 5);
    assertEquals(EndpointStatus.EJECTED, lb.status(lb.endpoints().get(0)));
    Endpoint e = lb.endpoints().get(1);
    record(lb, e, Outcome.CONNECT_FAILURE, 4);
    record(lb, e, Outcome.TIMEOUT, 1);
    assertEquals(EndpointStatus.HEALTHY, lb.status(e), "a timeout is not proof of death: capped");
    record(lb, e, Outcome.CONNECT_FAILURE, 4);
    record(lb, e, Outcome.SUCCESS, 1);
    record(lb, e, Outcome.CONNECT_FAILURE, 4);
    assertEquals(EndpointStatus.HEALTHY, lb.status(e), "a success restarts the run");
    record(lb, e, Outcome.CONNECT_FAILURE, 1);
    assertEquals(EndpointStatus.EJECTED, lb.status(e));
    assertTrue(lb.state(e).outlier.unreachable());
  }

  @Test
  void whenEveryEndpointIsUnreachablePanicStillTriesThemAll() {
    LoadBalancer lb = lb(3, OutlierDetectionConfig.defaults());
    for (Endpoint e : lb.endpoints()) {
      record(lb, e, Outcome.CONNECT_FAILURE, 5);
    }
    assertEquals(3, detector(lb).ejectedCount());
    assertTrue(lb.inPanic(), "only traffic can tell that an endpoint is back");
    Set<Endpoint> seen = new HashSet<>();
    for (int i = 0; i < 6; i++) {
      Selection s = lb.pick();
      seen.add(s.endpoint());
      s.release(Outcome.CANCELLED, 1);
    }
    assertEquals(3, seen.size());
    // The ejection ends on time, the flag with it.
    lbs.clock.forward(Duration.ofSeconds(30)); // the sweep at 30 s
    assertFalse(lb.state(lb.endpoints().get(0)).outlier.unreachable());
    assertEquals(0, detector(lb).ejectedCount());
  }

  @Test
  void withPanicDisabledAllEjectedSaysWhy() {
    LoadBalancer lb = lbs.build(lbs.builder("nopanic").endpoints(Balancers.endpoints(10_000, 3))
        .policy(Policies.random()).panicThreshold(0.0)
        .outlierDetection(OutlierDetectionConfig.builder().maxEjectionPercent(100).build()));
    lb.drain(lb.endpoints().get(2));
    for (Endpoint e : lb.endpoints().subList(0, 2)) {
      record(lb, e, Outcome.TIMEOUT, 5);
    }
    NoEndpointAvailableException ex = assertThrows(NoEndpointAvailableException.class, lb::pick);
    assertEquals("load balancer 'nopanic': all 3 endpoints are unavailable (2 ejected, 0 unhealthy, 1 draining)",
        ex.getMessage());
    assertFalse(lb.inPanic());
  }

  @Test
  void aThrowingListenerIsIgnored() {
    RecordingListener second = new RecordingListener();
    LoadBalancer lb = lbs.track(LoadBalancer.builder().name("throwing").endpoints(Balancers.endpoints(10_000, 4))
        .policy(TestPolicies.roundRobin()).ticker(lbs.clock).scheduler(lbs.clock)
        .outlierDetection(OutlierDetectionConfig.defaults())
        .listener(new LoadBalancerListener() {
          @Override
          public void onStatusChange(String lb, Endpoint e, EndpointStatus from, EndpointStatus to, String reason) {
            throw new IllegalStateException("listener bug");
          }
        })
        .listener(second)
        .build());
    Endpoint e = lb.endpoints().get(0);
    release(lb, e, Outcome.SERVER_ERROR, 5);
    assertEquals(EndpointStatus.EJECTED, lb.status(e));
    assertEquals(List.of("127.0.0.1:10001 HEALTHY->EJECTED"), second.events);
  }

  @Test
  void removedEndpointsStopCountingForTheCap() {
    LoadBalancer lb = lb(10, OutlierDetectionConfig.builder().maxEjectionPercent(10).build());
    record(lb, lb.endpoints().get(0), Outcome.SERVER_ERROR, 5);
    assertEquals(1, detector(lb).ejectedCount());
    lb.updateEndpoints(lb.endpoints().subList(1, 10));
    assertEquals(0, detector(lb).ejectedCount());
    record(lb, lb.endpoints().get(0), Outcome.SERVER_ERROR, 5);
    assertEquals(1, detector(lb).ejectedCount());
  }
}
