package io.lb4j.policy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.lb4j.Endpoint;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The bounded-load core against Envoy's {@code bounded_load_hlb_test.cc}: its shuffle orders and its
 * six cases, on an identity "ring" (hash i lands on host i) with factor 1 % as Envoy's tests build
 * it, so an endpoint is over its bound from 2 requests in flight.
 */
class BoundedLoadTest {

  @Test
  void mersenneTwisterMatchesStdMt19937() {
    Mt19937 mt = new Mt19937();
    mt.seed(5489); // std::mt19937's default seed
    long[] first = new long[5];
    for (int i = 0; i < first.length; i++) {
      first[i] = mt.next();
    }
    assertArrayEquals(new long[] {3499211612L, 581869302L, 3890346734L, 3586334585L, 545404204L}, first);
    mt.seed(5489);
    long v = 0;
    for (int i = 0; i < 10_000; i++) {
      v = mt.next();
    }
    assertEquals(4123659995L, v, "the C++ standard's check: the 10,000th output of the default seed");
    mt.seed(0x1_0000_1571L); // only the low 32 bits seed, as std::mt19937 takes a 64-bit hash
    assertEquals(3499211612L, mt.next());
  }

  @Test
  void envoyShuffleOrders() {
    assertArrayEquals(new int[] {2, 1, 0, 4, 3}, shuffle(2, 5));
    assertArrayEquals(new int[] {4, 0, 2, 3, 1}, shuffle(6, 5));
    assertArrayEquals(new int[] {0, 1, 4, 3, 2}, shuffle(7, 5));
    assertArrayEquals(new int[] {1, 2, 0}, shuffle(0, 3));
  }

  @Test
  void scratchReuseGivesTheSameOrder() {
    BoundedLoad.Scratch s = new BoundedLoad.Scratch();
    for (int round = 0; round < 3; round++) {
      s.begin(2, 5);
      assertEquals(2, s.step(0, 5)); // a spill that stops early leaves state behind ...
    }
    assertArrayEquals(new int[] {2, 1, 0, 4, 3}, shuffle(s, 2, 5)); // ... that the next one ignores
  }

  @Test
  void envoyNoHostEverOverloaded() {
    Fixture f = new Fixture(5);
    for (int i = 0; i < 5; i++) {
      assertSame(f.views.get(i), f.pick(i));
    }
  }

  @Test
  void envoyActualHostOverloaded() {
    Fixture f = new Fixture(5);
    assertSame(f.views.get(2), f.pick(2));
    f.views.get(2).inFlight = 2; // slots = max(1, ceil(((0 + 1) * 1 + 99) / 100 * 0.2)) = 1
    assertSame(f.views.get(1), f.pick(2), "order 2 1 0 4 3: the next after the home host");
  }

  @Test
  void envoyOneHostOverloaded() {
    Fixture f = new Fixture(5);
    f.views.get(2).inFlight = 3;
    assertSame(f.views.get(1), f.pick(2));
  }

  @Test
  void envoyMultipleHostsOverloaded() {
    Fixture f = new Fixture(5);
    f.inFlight(2, 3, 4, 0, 0);
    assertSame(f.views.get(4), f.pick(2), "order 2 1 0 4 3 passes over 1 and 0");
  }

  @Test
  void envoyMultipleHashesOnOneOverloadedHost() {
    Fixture f = new Fixture(5);
    f.views.get(3).inFlight = 2;
    // Envoy's ring 0 0 1 1 2 2 3 3 4 4: hashes 6 and 7 both land on host 3.
    assertSame(f.views.get(4), f.pick(6, 3), "order 4 0 2 3 1");
    assertSame(f.views.get(0), f.pick(7, 3), "order 0 1 4 3 2");
  }

  @Test
  void envoyAllHostsOverloadedGoesToTheLeastOverloaded() {
    Fixture f = new Fixture(3);
    f.inFlight(3, 2, 4);
    assertSame(f.views.get(1), f.pick(0));
  }

  @Test
  void spillPrefersAnEndpointBelowItsFairShareOverEnvoysFirstWithinBound() {
    Fixture f = new Fixture(5);
    // host 1 at its one slot: within bound (Envoy would take it), not below fair share
    f.inFlight(0, 1, 2, 0, 0);
    assertSame(f.views.get(0), f.pick(2), "order 2 1 0 4 3: host 0 is idle");
    f.inFlight(1, 1, 2, 1, 1);
    assertSame(f.views.get(1), f.pick(2), "none below fair share: Envoy's first within bound");
  }

  @Test
  void tiesGoToTheHomeHostThenToTheEarlierInOrder() {
    Fixture f = new Fixture(5);
    f.inFlight(2, 2, 2, 2, 2);
    assertSame(f.views.get(2), f.pick(2), "all equally over: the home host");
    f.inFlight(2, 2, 3, 2, 2);
    assertSame(f.views.get(1), f.pick(2), "order 2 1 0 4 3: host 1 is the first of the least overloaded");
  }

  @Test
  void aSaturatedPickReadsEachEndpointOnceAndTheTotalOnce() {
    int n = 64;
    AtomicInteger reads = new AtomicInteger();
    AtomicInteger totals = new AtomicInteger();
    BoundedLoad.Host[] hosts = new BoundedLoad.Host[n];
    for (int i = 0; i < n; i++) {
      Endpoint e = Endpoint.of("10.0.0." + i, 80);
      int load = 100 + i;
      hosts[i] = new BoundedLoad.Host(new EndpointView() {
        @Override
        public Endpoint endpoint() {
          return e;
        }

        @Override
        public int inFlight() {
          reads.incrementAndGet();
          return load;
        }

        @Override
        public double latencyEwmaNanos() {
          return 0;
        }

        @Override
        public int effectiveWeight() {
          return 1;
        }
      }, i, 1.0 / n);
    }
    BoundedLoad bl = new BoundedLoad(hosts, 125, () -> {
      totals.incrementAndGet();
      return 0; // every endpoint is far over its single slot
    }, ThreadLocal.withInitial(BoundedLoad.Scratch::new));
    for (int home = 0; home < n; home += 7) {
      reads.set(0);
      totals.set(0);
      EndpointView chosen = bl.pick(hosts[home], home * 0x9E37_79B9_7F4A_7C15L);
      assertEquals(n, reads.get(), "home " + home + ": reads");
      assertEquals(1, totals.get(), "home " + home + ": total reads");
      assertSame(hosts[0].view, chosen, "the least loaded endpoint");
    }
  }

  @Test
  void weightsGiveHeavierEndpointsMoreSlots() {
    // 10 in flight, factor 1.5: total slots ceil(11 * 1.5) = 17; weight 1/4 gets 5, weight 3/4 gets 13.
    List<LoadView> views = LoadView.of(1, 3);
    BoundedLoad.Host[] hosts = {
        new BoundedLoad.Host(views.get(0), 0, 0.25), new BoundedLoad.Host(views.get(1), 1, 0.75)};
    BoundedLoad bl = new BoundedLoad(hosts, 150, () -> 10, ThreadLocal.withInitial(BoundedLoad.Scratch::new));
    views.get(0).inFlight = 5;
    assertSame(views.get(0), bl.pick(hosts[0], 1), "at its slots: still accepted");
    views.get(0).inFlight = 6;
    assertSame(views.get(1), bl.pick(hosts[0], 1), "over: spills");
    views.get(1).inFlight = 13;
    assertSame(views.get(1), bl.pick(hosts[1], 1));
    views.get(1).inFlight = 14;
    assertSame(views.get(1), bl.pick(hosts[1], 1), "both over: 14/13 is less overloaded than 6/5");
    views.get(0).inFlight = 5;
    assertSame(views.get(0), bl.pick(hosts[1], 1), "the other endpoint is back within its bound");
  }

  private static int[] shuffle(long seed, int n) {
    return shuffle(new BoundedLoad.Scratch(), seed, n);
  }

  private static int[] shuffle(BoundedLoad.Scratch s, long seed, int n) {
    s.begin(seed, n);
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = s.step(i, n);
    }
    return order;
  }

  /** Hosts 127.0.0.1:1..n of equal weight, factor 1 % (as Envoy's tests), no other load. */
  private static final class Fixture {
    final List<LoadView> views;
    final BoundedLoad.Host[] hosts;
    final BoundedLoad bounded;

    Fixture(int n) {
      int[] weights = new int[n];
      java.util.Arrays.fill(weights, 1);
      views = LoadView.of(weights);
      hosts = new BoundedLoad.Host[n];
      for (int i = 0; i < n; i++) {
        hosts[i] = new BoundedLoad.Host(views.get(i), i, 1.0 / n);
      }
      // Envoy's ActualHostOverloaded bumps the cluster's connection gauge, not its request gauge,
      // so the cluster total stays 0 there; 0 here for every case.
      bounded = new BoundedLoad(hosts, 1, () -> 0, ThreadLocal.withInitial(BoundedLoad.Scratch::new));
    }

    /** Sets host i's in-flight count to {@code counts[i]}, for every host. */
    void inFlight(int... counts) {
      assertEquals(views.size(), counts.length, "one count per host");
      for (int i = 0; i < counts.length; i++) {
        views.get(i).inFlight = counts[i];
      }
    }

    /** The identity ring: hash i lands on host i. */
    EndpointView pick(long hash) {
      return pick(hash, (int) hash);
    }

    EndpointView pick(long hash, int home) {
      return bounded.pick(hosts[home], hash);
    }
  }
}
