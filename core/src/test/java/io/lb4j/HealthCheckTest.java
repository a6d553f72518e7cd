package io.lb4j;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.health.HealthCheckConfig;
import io.lb4j.health.HealthChecker;
import io.lb4j.health.HealthProbe;
import io.lb4j.health.ProbeResult;
import io.lb4j.outlier.OutlierDetectionConfig;
import java.time.Duration;
import java.util.ArrayDeque;
import io.lb4j.testing.Balancers;
import io.lb4j.testing.RecordingListener;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class HealthCheckTest {

  @RegisterExtension
  final Balancers lbs = new Balancers();
  private final RecordingListener listener = lbs.listener;

  /** Answers from a per-endpoint script ('H' healthy, 'F' unhealthy, 'D' draining); healthy when the script is empty. */
  static final class ScriptedProbe implements HealthProbe {
    final Map<String, Deque<Character>> scripts = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

    void script(Endpoint e, String answers) {
      Deque<Character> q = scripts.computeIfAbsent(e.address(), k -> new ArrayDeque<>());
      synchronized (q) {
        for (char c : answers.toCharArray()) {
          q.add(c);
        }
      }
    }

    int calls(Endpoint e) {
      AtomicInteger n = calls.get(e.address());
      return n == null ? 0 : n.get();
    }

    @Override
    public CompletionStage<ProbeResult> probe(Endpoint e) {
      calls.computeIfAbsent(e.address(), k -> new AtomicInteger()).incrementAndGet();
      Deque<Character> q = scripts.get(e.address());
      Character c;
      if (q == null) {
        c = null;
      } else {
        synchronized (q) {
          c = q.poll();
        }
      }
      ProbeResult r = c == null || c == 'H' ? ProbeResult.healthy("HTTP 200")
          : c == 'D' ? ProbeResult.draining("HTTP 503") : ProbeResult.unhealthy("HTTP 500");
      return CompletableFuture.completedFuture(r);
    }
  }

  private static List<Endpoint> endpoints(int n) {
    return Balancers.endpoints(20_000, n);
  }

  private LoadBalancer lb(int n, HealthCheckConfig config, HealthProbe probe) {
    return lbs.build(lbs.builder("hc").endpoints(endpoints(n)).healthCheck(config, probe));
  }

  private void probeRound(LoadBalancer lb) {
    lbs.probeRound(lb);
  }

  private static Set<Endpoint> picked(LoadBalancer lb, int picks) {
    Set<Endpoint> seen = new HashSet<>();
    for (int i = 0; i < picks; i++) {
      Selection s = lb.pick();
      seen.add(s.endpoint());
      s.release(Outcome.SUCCESS, 1);
    }
    return seen;
  }

  @Test
  void thresholdsKeepAFlappingEndpointFromFlapping() {
    ScriptedProbe probe = new ScriptedProbe();
    LoadBalancer lb = lb(4, HealthCheckConfig.builder().unhealthyThreshold(3).healthyThreshold(2).build(), probe);
    Endpoint e = lb.endpoints().get(0);
    probeRound(lb);
    assertEquals(EndpointStatus.HEALTHY, lb.status(e), "the first pass decides at once");
    probe.script(e, "FHFHFFHFFH");
    for (int i = 0; i < 10; i++) {
      probeRound(lb);
      assertEquals(EndpointStatus.HEALTHY, lb.status(e), "probe " + i + ": never 3 failures in a row");
    }
    probe.script(e, "FFF");
    probeRound(lb);
    probeRound(lb);
    assertEquals(EndpointStatus.HEALTHY, lb.status(e));
    probeRound(lb);
    assertEquals(EndpointStatus.UNHEALTHY, lb.status(e), "3rd failure in a row");
    assertTrue(!picked(lb, 30).contains(e));
    probe.script(e, "HFHFH");
    for (int i = 0; i < 5; i++) {
      probeRound(lb);
      assertEquals(EndpointStatus.UNHEALTHY, lb.status(e), "probe " + i + ": never 2 passes in a row");
    }
    probe.script(e, "H");
    probeRound(lb);
    assertEquals(EndpointStatus.HEALTHY, lb.status(e));
    assertEquals(List.of("127.0.0.1:20001 UNKNOWN->HEALTHY", "127.0.0.1:20001 HEALTHY->UNHEALTHY",
        "127.0.0.1:20001 UNHEALTHY->HEALTHY"), listener.events.stream().filter(s -> s.startsWith("127.0.0.1:20001")).toList());
    assertEquals("HTTP 500 (3 failed probes in a row)", listener.reasons.get(listener.events.indexOf("127.0.0.1:20001 HEALTHY->UNHEALTHY")));
  }

  @Test
  void coldStartServesThenNewEndpointsWaitForTheirFirstPass() {
    ScriptedProbe probe = new ScriptedProbe();
    LoadBalancer lb = lb(2, HealthCheckConfig.defaults(), probe);
    assertEquals(EndpointStatus.UNKNOWN, lb.status(lb.endpoints().get(0)));
    assertEquals(2, picked(lb, 10).size(), "nothing probed yet: every endpoint is tried");
    probeRound(lb);
    Endpoint late = Endpoint.of("127.0.0.1", 20_099);
    List<Endpoint> next = new ArrayList<>(lb.endpoints());
    next.add(late);
    lb.updateEndpoints(next);
    assertEquals(EndpointStatus.UNKNOWN, lb.status(late));
    assertTrue(!picked(lb, 30).contains(late), "not eligible before its first probe passes");
    probeRound(lb);
    assertEquals(EndpointStatus.HEALTHY, lb.status(late));
    assertTrue(picked(lb, 30).contains(late));
    lb.updateEndpoints(next.subList(0, 2));
    lb.updateEndpoints(next);
    assertEquals(EndpointStatus.UNKNOWN, lb.status(late), "a returning endpoint is probed afresh");
    assertTrue(!picked(lb, 30).contains(late));
  }

  @Test
  void aFailingFirstProbeKeepsANewEndpointOut() {
    ScriptedProbe probe = new ScriptedProbe();
    LoadBalancer lb = lb(4, HealthCheckConfig.defaults(), probe);
    probe.script(lb.endpoints().get(3), "F");
    probeRound(lb);
    assertEquals(EndpointStatus.UNHEALTHY, lb.status(lb.endpoints().get(3)));
    assertEquals(3, picked(lb, 30).size());
  }

  @Test
  void aDrainingAnswerDrains() {
    ScriptedProbe probe = new ScriptedProbe();
    LoadBalancer lb = lb(3, HealthCheckConfig.defaults(), probe);
    Endpoint e = lb.endpoints().get(1);
    probeRound(lb);
    probe.script(e, "D");
    probeRound(lb);
    assertEquals(EndpointStatus.DRAINING, lb.status(e));
    assertTrue(!picked(lb, 30).contains(e));
    assertTrue(listener.events.contains("127.0.0.1:20002 HEALTHY->DRAINING"));
    probeRound(lb);
    probeRound(lb);
    assertEquals(EndpointStatus.HEALTHY, lb.status(e), "back after healthyThreshold passes");
  }

  @Test
  void allUnhealthyReportsWhyWhenPanicIsOff() {
    ScriptedProbe probe = new ScriptedProbe();
    LoadBalancer lb = lbs.build(lbs.builder("hc0").endpoints(endpoints(2)).panicThreshold(0.0)
        .healthCheck(HealthCheckConfig.defaults(), probe));
    probe.script(lb.endpoints().get(0), "F");
    probe.script(lb.endpoints().get(1), "F");
    probeRound(lb);
    NoEndpointAvailableException ex = assertThrows(NoEndpointAvailableException.class, lb::pick);
    assertEquals("load balancer 'hc0': all 2 endpoints are unavailable (0 ejected, 2 unhealthy, 0 draining)", ex.getMessage());
  }

  @Test
  void badProbesFailButNeverStopTheOthers() throws Exception {
    List<Endpoint> eps = endpoints(4);
    AtomicInteger goodCalls = new AtomicInteger();
    AtomicInteger throwCalls = new AtomicInteger();
    HealthProbe probe = e -> {
      if (e.equals(eps.get(0))) {
        throwCalls.incrementAndGet();
        throw new IllegalStateException("probe bug");
      }
      if (e.equals(eps.get(1))) {
        return null;
      }
      if (e.equals(eps.get(2))) {
        return new CompletableFuture<>(); // never completes
      }
      goodCalls.incrementAndGet();
      return CompletableFuture.completedFuture(ProbeResult.healthy("ok"));
    };
    HealthCheckConfig config = HealthCheckConfig.builder().timeout(Duration.ofMillis(100)).build();
    LoadBalancer lb = lb(4, config, probe);
    for (int round = 0; round < 2; round++) {
      CompletableFuture<Void> answers = lb.healthChecker().orElseThrow().probeAll();
      lbs.clock.forward(Duration.ofMillis(100)); // the hung probe's timeout, on the fake scheduler
      answers.get(10, TimeUnit.SECONDS);
    }
    assertEquals(EndpointStatus.UNHEALTHY, lb.status(eps.get(0)));
    assertEquals(EndpointStatus.UNHEALTHY, lb.status(eps.get(1)));
    assertEquals(EndpointStatus.UNHEALTHY, lb.status(eps.get(2)));
    assertEquals(EndpointStatus.HEALTHY, lb.status(eps.get(3)));
    // Probed again after throwing (periodic probes may add calls while the fake time moves).
    assertTrue(throwCalls.get() >= 2, "throwing probe called " + throwCalls.get() + " times");
    assertTrue(goodCalls.get() >= 2, "good probe called " + goodCalls.get() + " times");
    assertTrue(listener.reasons.contains("no answer within 100ms"), listener.reasons.toString());
    assertTrue(listener.reasons.contains("probe threw java.lang.IllegalStateException: probe bug"), listener.reasons.toString());
    assertTrue(listener.reasons.contains("probe returned a null stage"), listener.reasons.toString());
  }

  @Test
  void scheduledProbesKeepRunningDespiteBadProbes() {
    List<Endpoint> eps = endpoints(3);
    AtomicInteger goodCalls = new AtomicInteger();
    HealthProbe probe = e -> {
      if (e.equals(eps.get(0))) {
        throw new IllegalStateException("probe bug");
      }
      if (e.equals(eps.get(1))) {
        return new CompletableFuture<>();
      }
      goodCalls.incrementAndGet();
      return CompletableFuture.completedFuture(ProbeResult.healthy("ok"));
    };
    LoadBalancer lb = lbs.build(lbs.builder("hcbg").endpoints(eps)
        .healthCheck(HealthCheckConfig.builder().interval(Duration.ofMillis(20)).timeout(Duration.ofMillis(30))
            .jitter(0.5).build(), probe));
    lbs.clock.forward(Duration.ofSeconds(1));
    assertTrue(goodCalls.get() >= 40, "about one probe per 20 ms, was " + goodCalls.get());
    assertEquals(EndpointStatus.UNHEALTHY, lb.status(eps.get(0)));
    assertEquals(EndpointStatus.UNHEALTHY, lb.status(eps.get(1)));
    assertEquals(EndpointStatus.HEALTHY, lb.status(eps.get(2)));
  }

  @Test
  void firstProbesAreSpreadByJitter() {
    Map<String, Long> firstProbe = new ConcurrentHashMap<>();
    lbs.build(lbs.builder("jitter").endpoints(endpoints(20))
        .healthCheck(HealthCheckConfig.builder().interval(Duration.ofMillis(400)).jitter(1.0).build(), e -> {
          firstProbe.putIfAbsent(e.address(), lbs.clock.nanos());
          return CompletableFuture.completedFuture(ProbeResult.healthy("ok"));
        }));
    lbs.clock.forward(Duration.ofMillis(400));
    assertEquals(20, firstProbe.size(), "every first probe within interval x jitter");
    long spread = firstProbe.values().stream().mapToLong(Long::longValue).max().getAsLong()
        - firstProbe.values().stream().mapToLong(Long::longValue).min().getAsLong();
    // Uniform over 400 ms: 20 first probes all within 40 ms of each other has odds below 1e-17.
    assertTrue(spread > TimeUnit.MILLISECONDS.toNanos(40), "first probes spread over " + spread + " ns");
  }

  @Test
  void aProbeThatBlocksCostsOnlyItsOwnEndpoint() {
    // Real threads and time: the probe of eps[0] blocks inside probe() until the test ends.
    List<Endpoint> eps = endpoints(3);
    CountDownLatch unblock = new CountDownLatch(1);
    Map<Endpoint, AtomicInteger> calls = new ConcurrentHashMap<>();
    HealthProbe probe = e -> {
      calls.computeIfAbsent(e, k -> new AtomicInteger()).incrementAndGet();
      if (e.equals(eps.get(0))) {
        try {
          unblock.await();
        } catch (InterruptedException ex) {
          Thread.currentThread().interrupt();
        }
      }
      return CompletableFuture.completedFuture(ProbeResult.healthy("ok"));
    };
    LoadBalancer lb = lbs.track(LoadBalancer.builder().name("blocking").endpoints(eps)
        .healthCheck(HealthCheckConfig.builder().interval(Duration.ofMillis(20)).timeout(Duration.ofMillis(50))
            .unhealthyThreshold(1).build(), probe)
        .outlierDetection(OutlierDetectionConfig.builder().interval(Duration.ofMillis(20))
            .baseEjectionTime(Duration.ofMillis(100)).maxEjectionPercent(100).build())
        .listener(listener)
        .build());
    try {
      await().atMost(Duration.ofSeconds(10)).until(() -> lb.status(eps.get(0)) == EndpointStatus.UNHEALTHY);
      assertEquals("no answer within 50ms", lb.state(eps.get(0)).health.reason(), "counted failed at its timeout");
      int before = calls.get(eps.get(2)).get();
      await().atMost(Duration.ofSeconds(10)).until(() -> calls.get(eps.get(2)).get() >= before + 10);
      assertEquals(1, calls.get(eps.get(0)).get(), "not called again while the first call blocks");
      // Ejections still expire on schedule: eject eps[1] and watch the sweep bring it back.
      for (int i = 0; i < 5; i++) {
        lb.begin(eps.get(1)).release(Outcome.SERVER_ERROR, 1);
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> listener.events.contains("127.0.0.1:20002 EJECTED->HEALTHY"));
      assertTrue(listener.events.indexOf("127.0.0.1:20002 HEALTHY->EJECTED")
          < listener.events.indexOf("127.0.0.1:20002 EJECTED->HEALTHY"), listener.events.toString());
      assertEquals(EndpointStatus.HEALTHY, lb.status(eps.get(2)));
    } finally {
      unblock.countDown();
    }
  }

  @Test
  void closeLeavesNoThreadBehind() {
    AtomicInteger calls = new AtomicInteger();
    LoadBalancer lb = LoadBalancer.builder().name("closing").endpoints(endpoints(3))
        .outlierDetection(OutlierDetectionConfig.builder().interval(Duration.ofMillis(10)).build())
        .healthCheck(HealthCheckConfig.builder().interval(Duration.ofMillis(10)).build(), e -> {
          calls.incrementAndGet();
          return CompletableFuture.completedFuture(ProbeResult.healthy("ok"));
        })
        .slowStart(Duration.ofSeconds(1))
        .build();
    await().atMost(Duration.ofSeconds(10)).until(() -> calls.get() >= 6);
    assertTrue(lbThreads("lb4j-closing-") > 0, "the balancer's scheduler thread runs");
    lb.close();
    lb.close(); // idempotent
    // close() waits for the executor to terminate; its worker thread exits just after that
    await().atMost(Duration.ofSeconds(5)).until(() -> lbThreads("lb4j-closing-") == 0);
    int after = calls.get();
    assertEquals(after, calls.get());
  }

  @Test
  void noSchedulerWithoutTimedFeatures() {
    LoadBalancer lb = lbs.track(LoadBalancer.builder().name("plain").endpoints(endpoints(2)).build());
    assertEquals(0, lbThreads("lb4j-plain-"));
    assertTrue(lb.healthChecker().isEmpty());
    assertTrue(lb.outlierDetector().isEmpty());
  }

  @Test
  void activeAndPassiveStatusesCombine() {
    ScriptedProbe probe = new ScriptedProbe();
    LoadBalancer lb = lbs.build(lbs.builder("both").endpoints(endpoints(4))
        .healthCheck(HealthCheckConfig.defaults(), probe)
        .outlierDetection(OutlierDetectionConfig.defaults()));
    probeRound(lb);
    Endpoint e = lb.endpoints().get(0);
    lbs.record(lb, e, Outcome.CONNECT_FAILURE, 5);
    assertEquals(EndpointStatus.EJECTED, lb.status(e));
    probe.script(e, "F".repeat(20)); // enough for the periodic probes during the 30 s below too
    probeRound(lb);
    probeRound(lb);
    probeRound(lb);
    assertEquals(EndpointStatus.EJECTED, lb.status(e), "ejected wins over unhealthy");
    lbs.clock.forward(Duration.ofSeconds(30)); // the sweep at 30 s ends the ejection
    assertEquals(EndpointStatus.UNHEALTHY, lb.status(e));
    assertNotEquals(EndpointStatus.HEALTHY, lb.status(e));
  }

  @Test
  void aPassedProbeEndsAnEjectionForRefusedConnectionsButNotOneForErrors() {
    ScriptedProbe probe = new ScriptedProbe();
    LoadBalancer lb = lbs.build(lbs.builder("back").endpoints(endpoints(4))
        .healthCheck(HealthCheckConfig.defaults(), probe)
        .outlierDetection(OutlierDetectionConfig.defaults()));
    probeRound(lb);
    Endpoint refused = lb.endpoints().get(0);
    Endpoint erring = lb.endpoints().get(1);
    for (int i = 0; i < 5; i++) {
      lb.begin(refused).release(Outcome.CONNECT_FAILURE, 1);
      lb.begin(erring).release(Outcome.SERVER_ERROR, 1);
    }
    lbs.clock.runDue(); // the rebuild the releases asked for
    assertEquals(EndpointStatus.EJECTED, lb.status(refused));
    assertEquals(EndpointStatus.EJECTED, lb.status(erring));
    probeRound(lb); // both answer healthy: the restarted one is reachable, the erring one may still err
    assertEquals(EndpointStatus.HEALTHY, lb.status(refused));
    assertEquals(EndpointStatus.EJECTED, lb.status(erring));
    assertTrue(listener.reasons.contains("an active health check passed"), listener.reasons.toString());
    assertTrue(picked(lb, 8).contains(refused));
  }

  @Test
  void whenEveryEndpointFailsItsProbesTheBalancerPanicsOverAllOfThem() {
    ScriptedProbe probe = new ScriptedProbe();
    LoadBalancer lb = lb(3, HealthCheckConfig.builder().unhealthyThreshold(1).healthyThreshold(1).build(), probe);
    probeRound(lb);
    for (Endpoint e : lb.endpoints()) {
      probe.script(e, "F");
    }
    probeRound(lb);
    // A verdict against the whole fleet is more likely the checks' fault than every endpoint down:
    // Envoy's panic over all of them rather than an outage on the checks' word.
    assertTrue(lb.inPanic(), "every endpoint failed its probes: panic over all of them");
    assertEquals(3, picked(lb, 30).size());
    for (Endpoint e : lb.endpoints()) {
      assertEquals(EndpointStatus.UNHEALTHY, lb.status(e));
    }
    probeRound(lb); // the scripts are empty: healthy again
    assertTrue(!lb.inPanic());
    assertEquals(3, picked(lb, 9).size());
  }

  static long lbThreads(String prefix) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().startsWith(prefix)).count();
  }

  @Test
  void checkerIsUnusedWhenOff() {
    assertTrue(HealthChecker.State.values().length == 4);
  }
}
