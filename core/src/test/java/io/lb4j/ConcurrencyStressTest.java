package io.lb4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.policy.Policies;
import io.lb4j.policy.Policy;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Pickers race an endpoint-list swapper: nothing throws, nothing foreign is picked, and every
 * in-flight count returns to zero, whichever policy picks.
 */
class ConcurrencyStressTest {

  private static final int PICKERS = 4;
  private static final int SWAPS = 1_000;
  private static final int MAX_PICKS_PER_THREAD = 2_000_000;
  /** Selections each picker keeps open, so that some requests span an update. */
  private static final int HELD = 4;

  private static final List<Endpoint> LIST_A = range(1, 6, false);
  private static final List<Endpoint> LIST_B = range(4, 9, true);

  private static List<Endpoint> range(int from, int to, boolean weighted) {
    List<Endpoint> list = new ArrayList<>();
    for (int port = from; port <= to; port++) {
      list.add(Endpoint.of("127.0.0.1", port).withWeight(weighted ? port - 2 : 1));
    }
    return List.copyOf(list);
  }

  static Stream<Arguments> policies() {
    return Stream.of(
        Arguments.of("random", (Supplier<Policy>) Policies::random, false),
        Arguments.of("roundRobin", (Supplier<Policy>) Policies::roundRobin, false),
        Arguments.of("weightedRoundRobin", (Supplier<Policy>) Policies::weightedRoundRobin, false),
        Arguments.of("powerOfTwoChoices", (Supplier<Policy>) Policies::powerOfTwoChoices, false),
        Arguments.of("leastRequest", (Supplier<Policy>) () -> Policies.leastRequest(2, 1.0), false),
        // Small tables: the race is in the balancer's swap, not the table build; Envoy's default
        // sizes (ring 1,024+, Maglev 65,537) make 1,000 rebuilds on 2 shared cores take seconds.
        Arguments.of("ringHash", (Supplier<Policy>) () -> Policies.ringHash(128, 1_024), true),
        Arguments.of("maglev", (Supplier<Policy>) () -> Policies.maglev(1_021), true));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("policies")
  void picksStayValidAndInFlightBalancesWhileTheListChanges(String name, Supplier<Policy> policy, boolean hashed)
      throws InterruptedException {
    Set<Endpoint> union = new HashSet<>(LIST_A);
    union.addAll(LIST_B);
    ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
    AtomicBoolean swapsDone = new AtomicBoolean();
    AtomicLong picks = new AtomicLong();
    CountDownLatch start = new CountDownLatch(1);

    try (LoadBalancer lb = LoadBalancer.builder().name("stress-" + name).endpoints(LIST_A)
        .policy(policy.get()).build()) {
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < PICKERS; t++) {
        threads.add(new Thread(() -> {
          ArrayDeque<Selection> held = new ArrayDeque<>(HELD);
          try {
            start.await();
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            int i = 0;
            for (; i < MAX_PICKS_PER_THREAD && !swapsDone.get(); i++) {
              PickContext ctx = hashed ? PickContext.ofHash(rnd.nextLong()) : PickContext.EMPTY;
              Selection s = lb.pick(ctx);
              Endpoint e = s.endpoint();
              if (!union.contains(e)) {
                throw new AssertionError("picked " + e + ", which is in neither list");
              }
              held.addLast(s);
              if (held.size() >= HELD) {
                held.removeFirst().release(Outcome.SUCCESS, 1_000);
              }
            }
            picks.addAndGet(i);
          } catch (Throwable e) {
            errors.add(e);
          } finally {
            while (!held.isEmpty()) {
              held.removeFirst().release(Outcome.SUCCESS, 1_000);
            }
          }
        }, "picker-" + t));
      }
      threads.add(new Thread(() -> {
        try {
          start.await();
          for (int i = 0; i < SWAPS; i++) {
            lb.updateEndpoints(i % 2 == 0 ? LIST_B : LIST_A);
          }
        } catch (Throwable e) {
          errors.add(e);
        } finally {
          swapsDone.set(true);
        }
      }, "swapper"));
      threads.forEach(Thread::start);
      start.countDown();
      for (Thread t : threads) {
        t.join(30_000);
        assertFalse(t.isAlive(), t.getName() + " did not finish within 30 s");
      }

      if (!errors.isEmpty()) {
        AssertionError failure = new AssertionError(errors.size() + " thread(s) failed; first: " + errors.peek());
        errors.forEach(failure::addSuppressed);
        throw failure;
      }
      assertTrue(picks.get() > 0, "the pickers picked");
      for (Endpoint e : union) {
        assertEquals(0, lb.inFlight(e), () -> "in flight to " + e + " after every selection was released");
      }
      assertEquals(SWAPS % 2 == 0 ? LIST_A : LIST_B, lb.endpoints(), "the last swap's list is installed");
    }
  }
}
