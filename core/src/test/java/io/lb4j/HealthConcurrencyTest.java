package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.health.HealthCheckConfig;
import io.lb4j.health.ProbeResult;
import io.lb4j.outlier.OutlierDetectionConfig;
import io.lb4j.policy.Policies;
import io.lb4j.testing.FakeClock;
import io.lb4j.testing.TestPolicies;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;

class HealthConcurrencyTest {

  private static List<Endpoint> endpoints(int n) {
    List<Endpoint> list = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      list.add(Endpoint.of("127.0.0.1", 40_000 + i));
    }
    return list;
  }

  @Test
  void concurrentReleasesWhileSweepsRunLoseNoCounts() throws Exception {
    FakeClock clock = new FakeClock();
    try (LoadBalancer lb = LoadBalancer.builder().name("conc").endpoints(endpoints(8))
        .policy(Policies.random()).ticker(clock).scheduler(clock)
        .outlierDetection(OutlierDetectionConfig.builder().maxEjectionPercent(50)
            .successRateRequestVolume(10).failurePercentageRequestVolume(10).build())
        .build()) {
      Outcome[] outcomes = Outcome.values();
      AtomicLongArray released = new AtomicLongArray(outcomes.length);
      AtomicBoolean done = new AtomicBoolean();
      AtomicInteger sweeps = new AtomicInteger();
      ExecutorService pool = Executors.newFixedThreadPool(5);
      try {
        // The "scheduler thread": runs the sweeps and the rebuilds the releases ask for.
        Future<?> sweeper = pool.submit(() -> {
          for (int i = 0; i < 1_000_000 && !done.get(); i++) {
            clock.forward(Duration.ofSeconds(5));
            sweeps.incrementAndGet();
          }
        });
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
          workers.add(pool.submit(() -> {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            for (int i = 0; i < 50_000; i++) {
              Selection s = lb.pick();
              Outcome o = r.nextInt(10) == 0 ? outcomes[1 + r.nextInt(outcomes.length - 1)] : Outcome.SUCCESS;
              s.release(o, 1_000);
              released.incrementAndGet(o.ordinal());
            }
          }));
        }
        for (Future<?> w : workers) {
          w.get(60, TimeUnit.SECONDS);
        }
        done.set(true);
        sweeper.get(60, TimeUnit.SECONDS);
      } finally {
        pool.shutdownNow();
      }
      assertTrue(sweeps.get() > 0);
      long total = 0;
      for (Outcome o : outcomes) {
        long counted = 0;
        for (Endpoint e : lb.endpoints()) {
          counted += lb.requests(e, o);
        }
        assertEquals(released.get(o.ordinal()), counted, "released " + o);
        total += counted;
      }
      assertEquals(200_000, total);
      for (Endpoint e : lb.endpoints()) {
        assertEquals(0, lb.inFlight(e), e.address());
      }
    }
  }

  /**
   * Pick + release with outlier detection, health checks and slow start on allocate at most the
   * selection itself, one 24-byte object (not recycled, so that a stale release is harmless), in
   * steady state; the per-thread allocation counter of HotSpot tells.
   */
  @Test
  void pickAndReleaseAllocateOnlyTheSelectionWithHealthFeaturesOn() {
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    if (!mx.isThreadAllocatedMemorySupported()) {
      return;
    }
    mx.setThreadAllocatedMemoryEnabled(true);
    FakeClock clock = new FakeClock(); // never advanced: no background work during the measurement
    try (LoadBalancer lb = LoadBalancer.builder().name("alloc").endpoints(endpoints(16))
        .policy(TestPolicies.roundRobin()).ticker(clock).scheduler(clock)
        .outlierDetection(OutlierDetectionConfig.defaults())
        .healthCheck(HealthCheckConfig.defaults(), e -> CompletableFuture.completedFuture(ProbeResult.healthy("ok")))
        .slowStart(Duration.ofSeconds(10))
        .build()) {
      Outcome[] cycle = {Outcome.SUCCESS, Outcome.SUCCESS, Outcome.SERVER_ERROR, Outcome.SUCCESS,
          Outcome.TIMEOUT, Outcome.CANCELLED, Outcome.SUCCESS, Outcome.CONNECT_FAILURE};
      run(lb, cycle, 300_000); // warm up: JIT
      long tid = Thread.currentThread().getId();
      long before = mx.getThreadAllocatedBytes(tid);
      run(lb, cycle, 200_000);
      long allocated = mx.getThreadAllocatedBytes(tid) - before;
      System.out.printf("pick+release with health features: %d bytes over 200,000 operations (%.1f B/op)%n",
          allocated, allocated / 200_000.0);
      // One 24-byte selection per pick at most (escape analysis may remove it), plus a few hundred
      // bytes of noise (the counter read itself); anything else per pick would add >= 3 MB.
      assertTrue(allocated <= 200_000L * 24 + 16_384, "allocated " + allocated + " bytes over 200,000 pick/release");
    }
  }

  private static void run(LoadBalancer lb, Outcome[] cycle, int n) {
    for (int i = 0; i < n; i++) {
      Selection s = lb.pick();
      s.release(cycle[i & 7], 1_000);
    }
  }
}
