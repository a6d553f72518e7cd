package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.policy.Policies;
import io.lb4j.policy.Policy;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Four threads pick and release (holding a few selections across updates) while a fifth swaps the
 * endpoint list between two overlapping lists 1,000 times, for every built-in policy: no exception,
 * no endpoint outside both lists, and every in-flight count back to 0.
 */
class ConcurrencyStressTest {

  private static final int PICKERS = 4;
  private static final int SWAPS = 1_000;
  /** Upper bound on one picker thread's picks, so a stuck swapper cannot make the test spin forever. */
  private static final int MAX_PICKS_PER_THREAD = 5_000_000;

  static Stream<Arguments> policies() {
    List<Supplier<Policy>> all = List.of(
        Policies::random,
        Policies::roundRobin,
        Policies::weightedRoundRobin,
        Policies::powerOfTwoChoices,
        () -> Policies.leastRequest(2, 1.0),
        () -> Policies.leastRequest(3, 0.5),
        Policies::ringHash,
        Policies::maglev);
    return all.stream().map(s -> Arguments.of(s));
  }

  /** Ports 1..6 in one list, 4..10 in the other, weights 1..3 so weighted paths are taken. */
  private static List<Endpoint> list(int fromPort, int toPort) {
    List<Endpoint> list = new ArrayList<>();
    for (int p = fromPort; p <= toPort; p++) {
      list.add(Endpoint.of("10.0.0.1", p).withWeight(1 + p % 3));
    }
    return list;
  }

  @ParameterizedTest
  @MethodSource("policies")
  void pickReleaseWhileSwappingLists(Supplier<Policy> factory) throws Exception {
    Policy policy;
    List<Endpoint> first = list(1, 6);
    List<Endpoint> second = list(4, 10);
    try {
      policy = factory.get();
      policy.newPicker(List.of()); // a stub throws UnsupportedOperationException before validating
    } catch (UnsupportedOperationException notYet) {
      Assumptions.abort("policy not implemented on this branch yet: " + notYet.getMessage());
      return;
    } catch (IllegalArgumentException expected) {
      policy = factory.get();
    }
    Set<String> allowed = new HashSet<>();
    Stream.concat(first.stream(), second.stream()).forEach(e -> allowed.add(e.address()));

    LoadBalancer lb = LoadBalancer.builder().name("stress-" + policy.name()).endpoints(first)
        .policy(policy).backgroundTasks(false).build();
    ExecutorService pool = Executors.newFixedThreadPool(PICKERS + 1);
    Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
    AtomicBoolean swapping = new AtomicBoolean(true);
    AtomicLong picks = new AtomicLong();
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < PICKERS; t++) {
        futures.add(pool.submit(() -> {
          ThreadLocalRandom rnd = ThreadLocalRandom.current();
          Queue<Selection> held = new ArrayDeque<>();
          Outcome[] outcomes = Outcome.values();
          long n = 0;
          try {
            start.await();
            while (swapping.get() && n < MAX_PICKS_PER_THREAD) {
              PickContext ctx = rnd.nextBoolean() ? PickContext.ofHash(rnd.nextLong()) : PickContext.EMPTY;
              Selection s = lb.pick(ctx);
              n++;
              if (!allowed.contains(s.endpoint().address())) {
                failures.add(new AssertionError("picked " + s.endpoint() + ", in neither list"));
              }
              held.add(s);
              // hold up to 3 selections so some stay in flight across an update
              if (held.size() > rnd.nextInt(4)) {
                held.poll().release(outcomes[rnd.nextInt(outcomes.length)], rnd.nextInt(1_000_000));
              }
            }
          } catch (Throwable e) {
            failures.add(e);
          } finally {
            held.forEach(s -> s.release(Outcome.SUCCESS, 1));
            picks.addAndGet(n);
          }
        }));
      }
      futures.add(pool.submit(() -> {
        try {
          start.await();
          for (int i = 0; i < SWAPS; i++) {
            lb.updateEndpoints(i % 2 == 0 ? second : first);
          }
        } catch (Throwable e) {
          failures.add(e);
        } finally {
          swapping.set(false);
        }
      }));
      start.countDown();
      for (Future<?> f : futures) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
      lb.close();
    }
    assertTrue(failures.isEmpty(), () -> failures.size() + " failures, first: " + failures.peek());
    assertTrue(picks.get() >= PICKERS, "pickers ran: " + picks.get());
    assertEquals(first, lb.endpoints(), "an even number of swaps ends on the first list");
    for (String address : allowed) {
      assertEquals(0, lb.inFlight(Endpoint.parse(address)), address + " still counts requests in flight");
    }
  }
}
