package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.policy.Policies;
import io.lb4j.policy.Policy;
import io.lb4j.testing.Balancers;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What picks and releases count, in both places a balancer keeps in-flight counts: per-thread cells
 * (policies that do not read in-flight at pick time: random, round robin, plain hashing) and the
 * endpoint's exact counter (P2C, least request, bounded load). Either way the facade's readouts are
 * exact once requests end, stale releases count nothing, and an endpoint that leaves drains.
 */
class AccountingTest {

  private static final Endpoint A = Endpoint.parse("10.0.0.1:80");
  private static final Endpoint B = Endpoint.parse("10.0.0.2:80");

  @RegisterExtension
  final Balancers lbs = new Balancers();

  private LoadBalancer lb(String policy, Endpoint... endpoints) {
    return lbs.build(lbs.builder("acc").policy(policy(policy)).endpoints(List.of(endpoints)));
  }

  private static Policy policy(String name) {
    return name.equals("random") ? Policies.random() : Policies.powerOfTwoChoices();
  }

  @Test
  void eachBuiltInPolicySaysWhetherItReadsInFlight() {
    assertFalse(Policies.random().usesInFlight());
    assertFalse(Policies.roundRobin().usesInFlight());
    assertFalse(Policies.weightedRoundRobin().usesInFlight());
    assertFalse(Policies.maglev().usesInFlight());
    assertFalse(Policies.ringHash().usesInFlight());
    assertTrue(Policies.powerOfTwoChoices().usesInFlight());
    assertTrue(Policies.leastRequest(2, 1.0).usesInFlight());
    assertTrue(Policies.maglev(65_537, 1.25).usesInFlight(), "bounded load compares in-flight counts");
    assertTrue(Policies.ringHash(1024, 8_388_608, 1.25).usesInFlight());
  }

  @ParameterizedTest
  @ValueSource(strings = {"random", "p2c"})
  void picksAndReleasesOnDifferentThreadsCountExactlyOnceEnded(String policy) throws Exception {
    LoadBalancer lb = lb(policy, A);
    int n = 20_000;
    BlockingQueue<Selection> handOver = new ArrayBlockingQueue<>(256);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        done.add(pool.submit(() -> {
          for (int i = 0; i < n / 2; i++) {
            handOver.put(lb.pick());
          }
          return null;
        }));
        done.add(pool.submit(() -> {
          for (int i = 0; i < n / 2; i++) {
            Selection s = handOver.poll(10, TimeUnit.SECONDS);
            s.release(i % 3 == 0 ? Outcome.SERVER_ERROR : Outcome.SUCCESS, 1);
            s.release(Outcome.TIMEOUT, 1); // stale: ignored
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(0, lb.inFlight(A));
    assertEquals(n, lb.requests(A, Outcome.SUCCESS) + lb.requests(A, Outcome.SERVER_ERROR));
    assertEquals(0, lb.requests(A, Outcome.TIMEOUT));
  }

  @ParameterizedTest
  @ValueSource(strings = {"random", "p2c"})
  void manyRequestsInFlightOnOneThreadEndInAnyOrderAndStaleReleasesStayHarmless(String policy) {
    LoadBalancer lb = lb(policy, A);
    List<Selection> held = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      held.add(lb.pick());
    }
    assertEquals(1_000, lb.inFlight(A));
    Collections.shuffle(held, new Random(7));
    for (Selection s : held.subList(0, 500)) {
      s.release(Outcome.SUCCESS, 1);
    }
    // The released requests' tickets serve new requests now; their stale releases must not end them.
    List<Selection> next = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      next.add(lb.pick());
    }
    for (Selection s : held.subList(0, 500)) {
      s.release(Outcome.SERVER_ERROR, 1);
    }
    assertEquals(1_000, lb.inFlight(A));
    assertEquals(0, lb.requests(A, Outcome.SERVER_ERROR));
    held.subList(500, 1_000).forEach(s -> s.release(Outcome.SUCCESS, 1));
    next.forEach(s -> s.release(Outcome.SUCCESS, 1));
    assertEquals(0, lb.inFlight(A));
    assertEquals(1_500, lb.requests(A, Outcome.SUCCESS));
  }

  @ParameterizedTest
  @ValueSource(strings = {"random", "p2c"})
  void countsOfThreadsThatEndedAreKept(String policy) throws Exception {
    LoadBalancer lb = lb(policy, A);
    List<Selection> held = Collections.synchronizedList(new ArrayList<>());
    for (int t = 0; t < 20; t++) {
      Thread worker = new Thread(() -> {
        for (int i = 0; i < 10; i++) {
          lb.pick().release(Outcome.SUCCESS, 1);
        }
        held.add(lb.pick());
      });
      worker.start();
      worker.join(10_000);
      assertFalse(worker.isAlive());
    }
    assertEquals(20, lb.inFlight(A));
    assertEquals(200, lb.requests(A, Outcome.SUCCESS));
    held.forEach(s -> s.release(Outcome.CANCELLED, 1)); // on this thread: its own cells
    assertEquals(0, lb.inFlight(A));
    assertEquals(20, lb.requests(A, Outcome.CANCELLED));
    ThreadCounts counts = lb.core().accounting.counts;
    assertTrue(counts.blocks() <= 2, "the ended threads' cells were folded, live blocks: " + counts.blocks());
  }

  @ParameterizedTest
  @ValueSource(strings = {"random", "p2c"})
  void anEndpointThatLeavesDrainsAndItsCellsServeTheNextWithoutItsCounts(String policy) {
    LoadBalancer lb = lb(policy, A, B);
    for (int i = 0; i < 7; i++) {
      pickUntil(lb, A).release(Outcome.CANCELLED, 1);
    }
    Selection onA = pickUntil(lb, A);
    lb.updateEndpoints(List.of(B));
    assertEquals(EndpointStatus.DRAINING, lb.status(A));
    assertEquals(1, lb.inFlight(A));
    onA.release(Outcome.SUCCESS, 1);
    assertEquals(EndpointStatus.UNKNOWN, lb.status(A), "forgotten once its last request ended");
    Endpoint c = Endpoint.parse("10.0.0.3:80");
    lb.updateEndpoints(List.of(B, c)); // takes A's slot over
    assertEquals(0, lb.inFlight(c));
    assertEquals(0, lb.requests(c, Outcome.CANCELLED));
    assertEquals(0, lb.requests(c, Outcome.SUCCESS));
    Selection onC = pickUntil(lb, c);
    assertEquals(1, lb.inFlight(c));
    onC.release(Outcome.SUCCESS, 1);
    assertEquals(1, lb.requests(c, Outcome.SUCCESS));
    assertEquals(0, lb.inFlight(c));
  }

  @Test
  void perThreadInFlightIsNeverBelowTheRequestsKnownToBeInFlight() throws Exception {
    LoadBalancer lb = lb("random", A);
    List<Selection> held = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      held.add(lb.pick());
    }
    int n = 200_000;
    BlockingQueue<Selection> handOver = new ArrayBlockingQueue<>(64);
    AtomicInteger lowest = new AtomicInteger(Integer.MAX_VALUE);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<?> picker = pool.submit(() -> {
        for (int i = 0; i < n; i++) {
          handOver.put(lb.pick());
        }
        return null;
      });
      Future<?> releaser = pool.submit(() -> {
        for (int i = 0; i < n; i++) {
          handOver.poll(10, TimeUnit.SECONDS).release(Outcome.SUCCESS, 1);
        }
        return null;
      });
      // Read while requests are picked on one thread and released on another.
      for (int i = 0; i < 50_000 && !releaser.isDone(); i++) {
        lowest.accumulateAndGet(lb.inFlight(A), Math::min);
      }
      picker.get(60, TimeUnit.SECONDS);
      releaser.get(60, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
    assertTrue(lowest.get() >= 5, "read " + lowest.get() + " while 5 requests were held");
    held.forEach(s -> s.release(Outcome.SUCCESS, 1));
    assertEquals(0, lb.inFlight(A));
  }

  @Test
  void aLeaseThatEscapesStillReleasesOnceAndSaysSo() {
    LoadBalancer lb = lb("random", A);
    Selection s = lb.pick();
    assertTrue(s.toString().contains(A.address()));
    assertFalse(s.toString().contains("released"));
    s.release(Outcome.SUCCESS, 1);
    assertTrue(s.toString().contains("released"));
  }

  private static Selection pickUntil(LoadBalancer lb, Endpoint wanted) {
    return Balancers.pickUntil(lb, wanted);
  }
}
