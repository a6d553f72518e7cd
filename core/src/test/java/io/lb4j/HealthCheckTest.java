package io.lb4j;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.health.HealthCheckConfig;
import io.lb4j.health.HealthChecker;
import io.lb4j.health.HealthProbe;
import io.lb4j.health.ProbeResult;
import io.lb4j.outlier.OutlierDetectionConfig;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HealthCheckTest {

  private final FakeClock clock = new FakeClock();
  private final RecordingListener listener = new RecordingListener();
  private final List<LoadBalancer> opened = new ArrayList<>();

  @AfterEach
  void closeAll() {
    opened.forEach(LoadBalancer::close);
  }

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
    List<Endpoint> list = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      list.add(Endpoint.of("127.0.0.1", 20_000 + i));
    }
    return list;
  }

  private LoadBalancer lb(int n, HealthCheckConfig config, HealthProbe probe) {
    LoadBalancer lb = LoadBalancer.builder().name("hc").endpoints(endpoints(n))
        .policy(TestPolicies.roundRobin()).healthCheck(config, probe).clock(clock)
        .backgroundTasks(false).listener(listener).build();
    opened.add(lb);
    return lb;
  }

  private static void probeRound(LoadBalancer lb) throws Exception {
    lb.healthChecker().orElseThrow().probeAll().get(10, TimeUnit.SECONDS);
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
  void thresholdsKeepAFlappingEndpointFromFlapping() throws Exception {
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
  void coldStartServesThenNewEndpointsWaitForTheirFirstPass() throws Exception {
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
  void aFailingFirstProbeKeepsANewEndpointOut() throws Exception {
    ScriptedProbe probe = new ScriptedProbe();
    LoadBalancer lb = lb(4, HealthCheckConfig.defaults(), probe);
    probe.script(lb.endpoints().get(3), "F");
    probeRound(lb);
    assertEquals(EndpointStatus.UNHEALTHY, lb.status(lb.endpoints().get(3)));
    assertEquals(3, picked(lb, 30).size());
  }

  @Test
  void aDrainingAnswerDrains() throws Exception {
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
  void allUnhealthyReportsWhyWhenPanicIsOff() throws Exception {
    ScriptedProbe probe = new ScriptedProbe();
    LoadBalancer lb = LoadBalancer.builder().name("hc0").endpoints(endpoints(2)).panicThreshold(0.0)
        .healthCheck(HealthCheckConfig.defaults(), probe).backgroundTasks(false).build();
    opened.add(lb);
    probe.script(lb.endpoints().get(0), "F");
    probe.script(lb.endpoints().get(1), "F");
    probeRound(lb);
    NoEndpointAvailableException ex = org.junit.jupiter.api.Assertions.assertThrows(NoEndpointAvailableException.class, lb::pick);
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
    probeRound(lb);
    probeRound(lb);
    assertEquals(EndpointStatus.UNHEALTHY, lb.status(eps.get(0)));
    assertEquals(EndpointStatus.UNHEALTHY, lb.status(eps.get(1)));
    assertEquals(EndpointStatus.UNHEALTHY, lb.status(eps.get(2)));
    assertEquals(EndpointStatus.HEALTHY, lb.status(eps.get(3)));
    assertEquals(2, throwCalls.get());
    assertEquals(2, goodCalls.get());
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
    LoadBalancer lb = LoadBalancer.builder().name("hcbg").endpoints(eps)
        .healthCheck(HealthCheckConfig.builder().interval(Duration.ofMillis(20)).timeout(Duration.ofMillis(30))
            .jitter(0.5).build(), probe)
        .build();
    opened.add(lb);
    await().atMost(Duration.ofSeconds(10)).until(() -> goodCalls.get() >= 10);
    await().atMost(Duration.ofSeconds(10)).until(() -> lb.status(eps.get(1)) == EndpointStatus.UNHEALTHY);
    assertEquals(EndpointStatus.UNHEALTHY, lb.status(eps.get(0)));
    assertEquals(EndpointStatus.HEALTHY, lb.status(eps.get(2)));
  }

  @Test
  void firstProbesAreSpreadByJitter() {
    Map<String, Long> firstProbe = new ConcurrentHashMap<>();
    LoadBalancer lb = LoadBalancer.builder().name("jitter").endpoints(endpoints(20))
        .healthCheck(HealthCheckConfig.builder().interval(Duration.ofMillis(400)).jitter(1.0).build(), e -> {
          firstProbe.putIfAbsent(e.address(), System.nanoTime());
          return CompletableFuture.completedFuture(ProbeResult.healthy("ok"));
        })
        .build();
    opened.add(lb);
    await().atMost(Duration.ofSeconds(10)).until(() -> firstProbe.size() == 20);
    long spread = firstProbe.values().stream().mapToLong(Long::longValue).max().getAsLong()
        - firstProbe.values().stream().mapToLong(Long::longValue).min().getAsLong();
    // Uniform over 400 ms: 20 first probes all within 40 ms of each other has odds below 1e-17.
    assertTrue(spread > TimeUnit.MILLISECONDS.toNanos(40), "first probes spread over " + spread + " ns");
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
    LoadBalancer lb = LoadBalancer.builder().name("plain").endpoints(endpoints(2)).build();
    opened.add(lb);
    assertEquals(0, lbThreads("lb4j-plain-"));
    assertTrue(lb.healthChecker().isEmpty());
    assertTrue(lb.outlierDetector().isEmpty());
  }

  @Test
  void activeAndPassiveStatusesCombine() throws Exception {
    ScriptedProbe probe = new ScriptedProbe();
    LoadBalancer lb = LoadBalancer.builder().name("both").endpoints(endpoints(4))
        .policy(TestPolicies.roundRobin()).clock(clock).backgroundTasks(false)
        .healthCheck(HealthCheckConfig.defaults(), probe)
        .outlierDetection(OutlierDetectionConfig.defaults()).build();
    opened.add(lb);
    probeRound(lb);
    Endpoint e = lb.endpoints().get(0);
    EndpointState s = lb.state(e);
    for (int i = 0; i < 5; i++) {
      s.acquire();
      lb.onRelease(s, Outcome.CONNECT_FAILURE, 1);
    }
    assertEquals(EndpointStatus.EJECTED, lb.status(e));
    probe.script(e, "FFF");
    probeRound(lb);
    probeRound(lb);
    probeRound(lb);
    assertEquals(EndpointStatus.EJECTED, lb.status(e), "ejected wins over unhealthy");
    clock.advance(Duration.ofSeconds(30));
    lb.outlierDetector().orElseThrow().sweep();
    assertEquals(EndpointStatus.UNHEALTHY, lb.status(e));
    assertNotEquals(EndpointStatus.HEALTHY, lb.status(e));
  }

  @Test
  void aPassedProbeEndsAnEjectionForRefusedConnectionsButNotOneForErrors() throws Exception {
    ScriptedProbe probe = new ScriptedProbe();
    LoadBalancer lb = LoadBalancer.builder().name("back").endpoints(endpoints(4))
        .policy(TestPolicies.roundRobin()).clock(clock).backgroundTasks(false).listener(listener)
        .healthCheck(HealthCheckConfig.defaults(), probe)
        .outlierDetection(OutlierDetectionConfig.defaults()).build();
    opened.add(lb);
    probeRound(lb);
    Endpoint refused = lb.endpoints().get(0);
    Endpoint erring = lb.endpoints().get(1);
    for (int i = 0; i < 5; i++) {
      EndpointState r = lb.state(refused);
      r.acquire();
      lb.onRelease(r, Outcome.CONNECT_FAILURE, 1);
      EndpointState e = lb.state(erring);
      e.acquire();
      lb.onRelease(e, Outcome.SERVER_ERROR, 1);
    }
    assertEquals(EndpointStatus.EJECTED, lb.status(refused));
    assertEquals(EndpointStatus.EJECTED, lb.status(erring));
    probeRound(lb); // both answer healthy: the restarted one is reachable, the erring one may still err
    assertEquals(EndpointStatus.HEALTHY, lb.status(refused));
    assertEquals(EndpointStatus.EJECTED, lb.status(erring));
    assertTrue(listener.reasons.contains("an active health check passed"), listener.reasons.toString());
    assertTrue(picked(lb, 8).contains(refused));
  }

  @Test
  void whenEveryEndpointFailsItsProbesPicksFailAtOnceAndComeBackWithTheProbes() throws Exception {
    ScriptedProbe probe = new ScriptedProbe();
    LoadBalancer lb = lb(3, HealthCheckConfig.builder().unhealthyThreshold(1).healthyThreshold(1).build(), probe);
    probeRound(lb);
    for (Endpoint e : lb.endpoints()) {
      probe.script(e, "F");
    }
    probeRound(lb);
    NoEndpointAvailableException ex = org.junit.jupiter.api.Assertions.assertThrows(
        NoEndpointAvailableException.class, lb::pick);
    assertEquals("load balancer 'hc': all 3 endpoints are unavailable (0 ejected, 3 unhealthy, 0 draining)",
        ex.getMessage());
    assertTrue(!lb.inPanic(), "nothing to panic over: every endpoint is known dead");
    probeRound(lb); // the scripts are empty: healthy again
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
