package io.lb4j;

import static io.lb4j.testing.Balancers.pickAndRelease;
import static io.lb4j.testing.Balancers.pickUntil;
import static io.lb4j.testing.Rejects.rejects;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.discovery.StaticEndpointSource;
import io.lb4j.health.HealthCheckConfig;
import io.lb4j.health.HealthProbe;
import io.lb4j.health.ProbeResult;
import io.lb4j.outlier.OutlierDetectionConfig;
import io.lb4j.testing.Balancers;
import io.lb4j.testing.StderrLog;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The facade: builder validation, lists, drain, status, release rules, state across updates, close. */
class LoadBalancerTest {

  private static final Endpoint A = Endpoint.parse("10.0.0.1:80");
  private static final Endpoint B = Endpoint.parse("10.0.0.2:80");
  private static final Endpoint C = Endpoint.parse("[2001:db8::3]:80");

  @RegisterExtension
  final Balancers lbs = new Balancers();

  @Test
  @SuppressWarnings("deprecation") // clock(Clock) keeps its null check while deprecated
  void builderValidatesEveryField() {
    LoadBalancer.Builder b = LoadBalancer.builder();
    rejects(() -> b.name(null), "name", "null");
    rejects(() -> b.name(" "), "name", "' '");
    rejects(() -> b.endpoints(null), "endpoints");
    rejects(() -> b.endpointSource(null), "endpointSource");
    rejects(() -> b.policy(null), "policy");
    rejects(() -> b.panicThreshold(-0.01), "panicThreshold", "-0.01");
    rejects(() -> b.panicThreshold(1.01), "panicThreshold", "1.01");
    rejects(() -> b.panicThreshold(Double.NaN), "panicThreshold", "NaN");
    rejects(() -> b.slowStart(null), "slowStart", "null");
    rejects(() -> b.slowStart(Duration.ofSeconds(-1)), "slowStart", "-1s");
    rejects(() -> b.slowStart(Duration.ofMillis(-1)), "slowStart", "-0.001s");
    rejects(() -> b.meterRegistry(null), "meterRegistry");
    rejects(() -> b.ticker(null), "ticker");
    rejects(() -> b.scheduler(null), "scheduler");
    rejects(() -> b.clock(null), "clock");
    rejects(() -> b.outlierDetection(null), "outlierDetection");
    rejects(() -> b.healthCheck(null, e -> CompletableFuture.completedFuture(ProbeResult.healthy("ok"))), "healthCheck");
    rejects(() -> b.healthCheck(HealthCheckConfig.builder().build(), null), "probe");
    rejects(() -> b.listener(null), "listener");
    rejects(() -> b.localZone(""), "localZone");
    rejects(() -> b.localZone(null), "localZone", "null");
    rejects(() -> LoadBalancer.builder().endpoints(List.of(A)).endpointSource(StaticEndpointSource.of(A)).build(),
        "endpoints", "endpointSource");
    rejects(() -> LoadBalancer.builder().endpoints(List.of(A, Endpoint.parse("10.0.0.1:80").withWeight(2))).build(),
        "duplicate", "10.0.0.1:80", "index 1");
    rejects(() -> LoadBalancer.builder().endpoints(Arrays.asList(A, null)).build(), "null", "index 1");
    // the edges of the ranges are accepted
    assertDoesNotThrow(() -> b.panicThreshold(0.0).panicThreshold(1.0).slowStart(Duration.ZERO).clock(Clock.systemUTC()));
  }

  @Test
  void defaultsAreP2cAndTheBalancerName() {
    LoadBalancer lb = lbs.track(LoadBalancer.builder().endpoints(List.of(A)).build());
    assertEquals("p2c", lb.policy().name());
    assertEquals("default", lb.name());
    assertEquals(0.5, LoadBalancer.DEFAULT_PANIC_THRESHOLD);
  }

  @Test
  void emptyListSaysItIsEmptyAndNamesTheBalancer() {
    LoadBalancer lb = lbs.build(lbs.builder("empty").endpoints(List.of()));
    NoEndpointAvailableException e = assertThrows(NoEndpointAvailableException.class, lb::pick);
    assertEquals("load balancer 'empty' has no endpoints: the endpoint list is empty", e.getMessage());
    assertEquals(e.getMessage(), lb.unavailableReason().orElseThrow());
    lb.updateEndpoints(List.of(A));
    assertEquals(A, pickAndRelease(lb));
    assertTrue(lb.unavailableReason().isEmpty());
    lb.updateEndpoints(List.of());
    assertThrows(NoEndpointAvailableException.class, lb::pick);
  }

  @Test
  void duplicateAddressOrNullIsRejectedByNameAndTheOldListKept() {
    LoadBalancer lb = lbs.of(A, B);
    rejects(() -> lb.updateEndpoints(List.of(A, C, Endpoint.parse("[2001:0db8:0::3]:80"))),
        "duplicate", "[2001:db8::3]:80", "index 2");
    rejects(() -> lb.updateEndpoints(null), "endpoints");
    rejects(() -> lb.updateEndpoints(Arrays.asList(A, null)), "null", "index 1");
    assertEquals(List.of(A, B), lb.endpoints());
  }

  @Test
  void endpointsKeepInsertionOrderAndAreImmutable() {
    LoadBalancer lb = lbs.of(C, A, B);
    assertEquals(List.of(C, A, B), lb.endpoints());
    lb.updateEndpoints(List.of(B, C));
    assertEquals(List.of(B, C), lb.endpoints());
    assertThrows(UnsupportedOperationException.class, () -> lb.endpoints().add(A));
  }

  @Test
  void drainStopsNewPicksWhileInFlightRequestsFinish() {
    LoadBalancer lb = lbs.of(A, B);
    Selection held = lb.begin(A);
    lb.drain(A);
    assertEquals(EndpointStatus.DRAINING, lb.status(A));
    assertEquals(List.of("10.0.0.1:80 HEALTHY->DRAINING"), lbs.listener.events);
    assertEquals("drained", lbs.listener.reasons.get(0));
    assertEquals(List.of(A, B), lb.endpoints(), "a drained endpoint stays listed");
    assertFalse(lb.isPickable(A));
    for (int i = 0; i < 50; i++) {
      assertEquals(B, pickAndRelease(lb));
    }
    assertEquals(1, lb.inFlight(A));
    held.release(Outcome.SUCCESS, 1_000);
    assertEquals(0, lb.inFlight(A));
    lb.drain(A); // idempotent
    assertEquals(1, lbs.listener.events.size());
    rejects(() -> lb.drain(C), "[2001:db8::3]:80", "not known");
    rejects(() -> lb.drain(null), "endpoint");
  }

  @Test
  void allDrainedSaysHowManyAndWhy() {
    LoadBalancer lb = lbs.build(lbs.builder("dr").endpoints(List.of(A, B)));
    lb.drain(A);
    lb.drain(B);
    NoEndpointAvailableException e = assertThrows(NoEndpointAvailableException.class, lb::pick);
    assertEquals("load balancer 'dr': all 2 endpoints are unavailable (0 ejected, 0 unhealthy, 2 draining)",
        e.getMessage());
    assertFalse(lb.inPanic(), "drained endpoints are not judged: no panic");
  }

  @Test
  void removedEndpointDrainsUntilItsLastReleaseThenIsUnknown() {
    LoadBalancer lb = lbs.of(A, B);
    assertEquals(EndpointStatus.HEALTHY, lb.status(A));
    assertEquals(EndpointStatus.UNKNOWN, lb.status(C), "never known");
    assertEquals(0, lb.inFlight(C));
    Selection held = lb.begin(B);
    lb.updateEndpoints(List.of(A));
    assertEquals(List.of(A), lb.endpoints());
    assertEquals(EndpointStatus.DRAINING, lb.status(B), "removed with a request in flight");
    assertTrue(lbs.listener.events.contains("10.0.0.2:80 HEALTHY->DRAINING"), lbs.listener.events.toString());
    assertEquals(1, lb.inFlight(B));
    for (int i = 0; i < 20; i++) {
      assertNotEquals(B, pickAndRelease(lb));
    }
    held.release(Outcome.SUCCESS, 0);
    assertEquals(EndpointStatus.UNKNOWN, lb.status(B), "gone once the last request ended");
    assertEquals(0, lb.inFlight(B));
    rejects(() -> lb.status(null), "endpoint");
  }

  @Test
  void aSecondReleaseIsIgnored() {
    LoadBalancer lb = lbs.of(A);
    Selection s = lb.pick();
    assertEquals(1, lb.inFlight(A));
    s.release(Outcome.SERVER_ERROR, 10);
    s.release(Outcome.SERVER_ERROR, 10);
    s.release(Outcome.SUCCESS, 10);
    assertEquals(0, lb.inFlight(A));
    assertEquals(1, lb.requests(A, Outcome.SERVER_ERROR));
    assertEquals(0, lb.requests(A, Outcome.SUCCESS));
  }

  @Test
  void aStaleReleaseNeverEndsAnotherRequest() throws Exception {
    LoadBalancer lb = lbs.of(A);
    Selection first = lb.pick();
    first.release(Outcome.SUCCESS, 1);
    Selection second = lb.pick();
    assertNotSame(first, second, "selections are never recycled");
    first.release(Outcome.SERVER_ERROR, 1); // a stale release: a bug in the caller, and harmless
    assertEquals(1, lb.inFlight(A), "the second request is still in flight");
    assertEquals(0, lb.requests(A, Outcome.SERVER_ERROR));
    // The same from another thread, many times over.
    List<Selection> old = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      Selection s = lb.pick();
      s.release(Outcome.SUCCESS, 1);
      old.add(s);
    }
    List<Selection> live = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      live.add(lb.pick());
    }
    ExecutorService other = Executors.newSingleThreadExecutor();
    try {
      other.submit(() -> old.forEach(s -> s.release(Outcome.TIMEOUT, 1))).get(10, TimeUnit.SECONDS);
    } finally {
      other.shutdownNow();
    }
    assertEquals(101, lb.inFlight(A));
    assertEquals(0, lb.requests(A, Outcome.TIMEOUT));
    live.forEach(s -> s.release(Outcome.SUCCESS, 1));
    second.release(Outcome.SUCCESS, 1);
    assertEquals(0, lb.inFlight(A));
  }

  @Test
  void releaseWithNullOutcomeReleasesAsCancelledThenThrows() {
    LoadBalancer lb = lbs.of(A);
    Selection s = lb.pick();
    rejects(() -> s.release(null, 5), "outcome", A.address(), "CANCELLED");
    assertEquals(0, lb.inFlight(A), "no in-flight count leaks");
    assertEquals(1, lb.requests(A, Outcome.CANCELLED));
    s.release(Outcome.SUCCESS, 5); // already released: ignored
    assertEquals(0, lb.requests(A, Outcome.SUCCESS));
    assertEquals(0, lb.inFlight(A));
  }

  @Test
  void stateSurvivesUpdatesForEndpointsThatStay() {
    LoadBalancer lb = lbs.of(A, B);
    Selection held = lb.begin(A);
    lb.begin(B).release(Outcome.TIMEOUT, 1);
    pickUntil(lb, A).release(Outcome.SERVER_ERROR, 1);
    lb.updateEndpoints(List.of(C, A.withWeight(3), B));
    assertEquals(1, lb.inFlight(A), "in-flight count kept");
    assertEquals(1, lb.requests(A, Outcome.SERVER_ERROR), "counters kept");
    assertEquals(1, lb.requests(B, Outcome.TIMEOUT));
    assertEquals(3, lb.endpoints().get(1).weight(), "the new weight is taken over");
    held.release(Outcome.SUCCESS, 1);
    assertEquals(0, lb.inFlight(A));
    assertEquals(1, lb.requests(A, Outcome.SUCCESS));
    // removed and re-added while a request is in flight: the same state comes back
    Selection again = lb.begin(B);
    lb.updateEndpoints(List.of(A));
    lb.updateEndpoints(List.of(A, B));
    assertEquals(1, lb.inFlight(B));
    again.release(Outcome.SUCCESS, 1);
    assertEquals(0, lb.inFlight(B));
    assertEquals(EndpointStatus.HEALTHY, lb.status(B));
  }

  @Test
  void closeIsIdempotentAndLaterPicksFail() {
    LoadBalancer lb = lbs.of(A);
    Selection held = lb.pick();
    lb.close();
    IllegalStateException e = assertThrows(IllegalStateException.class, lb::pick);
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
    assertDoesNotThrow(lb::close);
    assertThrows(IllegalStateException.class, () -> lb.choose(PickContext.EMPTY));
    assertFalse(lb.isPickable(A));
    assertTrue(lb.unavailableReason().orElseThrow().contains("closed"));
    held.release(Outcome.SUCCESS, 1); // a request that outlives the balancer still ends
    assertEquals(0, lb.inFlight(A));
  }

  @Test
  void aClosedBalancerCanBeGarbageCollected() throws Exception {
    // Threads that picked stay alive; before, their thread-local selection pools kept every
    // balancer they had used reachable.
    ExecutorService pickers = Executors.newFixedThreadPool(2);
    try {
      WeakReference<LoadBalancer> ref = useAndClose(pickers);
      await().atMost(Duration.ofSeconds(10)).until(() -> {
        System.gc();
        return ref.get() == null;
      });
    } finally {
      pickers.shutdownNow();
    }
  }

  /** A balancer with every timed feature and its own scheduler, used from several threads, then closed. */
  private static WeakReference<LoadBalancer> useAndClose(ExecutorService pickers) throws Exception {
    LoadBalancer lb = LoadBalancer.builder().name("collectable").endpoints(List.of(A, B))
        .outlierDetection(OutlierDetectionConfig.defaults()).slowStart(Duration.ofSeconds(1))
        .healthCheck(HealthCheckConfig.defaults(), e -> CompletableFuture.completedFuture(ProbeResult.healthy("ok")))
        .listener(new LoadBalancerListener() { })
        .build();
    Runnable use = () -> {
      for (int i = 0; i < 1_000; i++) {
        lb.pick().release(i % 7 == 0 ? Outcome.SERVER_ERROR : Outcome.SUCCESS, 1);
      }
    };
    use.run();
    pickers.submit(use).get(10, TimeUnit.SECONDS);
    pickers.submit(use).get(10, TimeUnit.SECONDS);
    lb.close();
    return new WeakReference<>(lb);
  }

  @Test
  void anEmptyListFromAFailingSourceNamesTheSourceAndItsError() {
    EndpointSource dns = new EndpointSource() {
      @Override
      public void start(Consumer<List<Endpoint>> onUpdate, Consumer<Throwable> onError) {
        onError.accept(new UnknownHostException("orders.svc.example: Name or service not known"));
      }

      @Override
      public void close() { }

      @Override
      public String toString() {
        return "DnsEndpointSource{orders.svc.example:8080}";
      }
    };
    LoadBalancer lb = lbs.build(lbs.builder("orders").endpointSource(dns));
    NoEndpointAvailableException e = assertThrows(NoEndpointAvailableException.class, lb::pick);
    assertEquals("load balancer 'orders' has no endpoints: the endpoint list is empty (endpoint source"
        + " DnsEndpointSource{orders.svc.example:8080} failed: UnknownHostException: orders.svc.example: Name or"
        + " service not known)", e.getMessage());
  }

  @Test
  void aFailingSourceLogsOneLinePerFailureStreakWithoutATrace() {
    AtomicReference<Consumer<Throwable>> fail = new AtomicReference<>();
    AtomicReference<Consumer<List<Endpoint>>> update = new AtomicReference<>();
    EndpointSource source = new EndpointSource() {
      @Override
      public void start(Consumer<List<Endpoint>> onUpdate, Consumer<Throwable> onError) {
        update.set(onUpdate);
        fail.set(onError);
        onUpdate.accept(List.of(A));
      }

      @Override
      public void close() { }

      @Override
      public String toString() {
        return "flaky-source";
      }
    };
    LoadBalancer lb = lbs.build(lbs.builder("logs").endpointSource(source));
    String log;
    try (StderrLog captured = StderrLog.capture()) {
      for (int i = 0; i < 3; i++) {
        fail.get().accept(new IllegalStateException("refresh " + i, new IOException("timeout")));
      }
      update.get().accept(List.of(A, B));
      fail.get().accept(new IllegalStateException("again"));
      log = captured.text();
    }
    // The source logs its own WARN (EndpointSource's contract); the balancer adds what it keeps.
    List<String> failed = log.lines().filter(l -> l.contains("endpoint source flaky-source failed")).toList();
    assertEquals(2, failed.size(), "one per streak: " + log);
    assertTrue(failed.get(0).contains("INFO io.lb4j.LoadBalancer - lb=logs endpoint source flaky-source failed:"
        + " IllegalStateException: refresh 0 (caused by IOException: timeout); keeping the last good list of 1"
        + " endpoints"), failed.get(0));
    assertFalse(log.contains("\tat "), "no stack trace at WARN or INFO: " + log);
    assertTrue(log.contains("recovered after 3 failed refresh(es)"), log);
    assertEquals(List.of(A, B), lb.endpoints());
  }

  @Test
  void closeRunsEachCloseHookOnceAndLateHooksAtOnce() {
    LoadBalancer lb = lbs.of(A);
    AtomicInteger runs = new AtomicInteger();
    lb.onClose(runs::incrementAndGet);
    lb.onClose(() -> {
      throw new IllegalStateException("a broken hook is logged and skipped");
    });
    lb.onClose(runs::incrementAndGet);
    assertEquals(0, runs.get());
    lb.close();
    assertEquals(2, runs.get());
    lb.close();
    assertEquals(2, runs.get());
    lb.onClose(runs::incrementAndGet);
    assertEquals(3, runs.get(), "a hook added after close runs at once");
    rejects(() -> lb.onClose(null), "hook");
  }

  @Test
  void closeClosesTheHealthProbeOnce() {
    AtomicInteger closes = new AtomicInteger();
    HealthProbe probe = new HealthProbe() {
      @Override
      public CompletionStage<ProbeResult> probe(Endpoint e) {
        return CompletableFuture.completedFuture(ProbeResult.healthy("ok"));
      }

      @Override
      public void close() {
        closes.incrementAndGet();
      }
    };
    LoadBalancer lb = lbs.build(lbs.builder("probed").endpoints(List.of(A)).healthCheck(HealthCheckConfig.defaults(), probe));
    assertEquals(0, closes.get());
    lb.close();
    lb.close();
    assertEquals(1, closes.get());
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void pickWithNullContextIsRejected(boolean withEndpoints) {
    LoadBalancer lb = withEndpoints ? lbs.of(A) : lbs.of();
    rejects(() -> lb.pick((PickContext) null), "ctx");
    rejects(() -> lb.pick((CharSequence) null), "key");
    rejects(() -> lb.choose(null), "ctx");
  }
}
