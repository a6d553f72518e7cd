package io.lb4j.policy;

import static io.lb4j.policy.HashFixtures.envoyBenchmarkHosts;
import static io.lb4j.policy.HashFixtures.hashInt;
import static io.lb4j.policy.HashFixtures.locals;
import static io.lb4j.policy.HashFixtures.pick;
import static io.lb4j.policy.HashFixtures.views;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.Endpoint;
import io.lb4j.LoadBalancer;
import io.lb4j.Outcome;
import io.lb4j.PickContext;
import io.lb4j.Selection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Ring hash and Maglev with a {@code hashBalanceFactor}: plain picks while within bounds, spills past them. */
class BoundedLoadPolicyTest {

  private static final int MAX_RING = RingHashPolicy.DEFAULT_MAX_RING_SIZE;

  /** Each bounded policy with the plain policy it must agree with while no endpoint is over. */
  private static Policy[][] pairs() {
    return new Policy[][] {
        {Policies.maglev(65_537, 1.25), Policies.maglev()},
        {Policies.ringHash(1024, MAX_RING, 1.25), Policies.ringHash()},
        {Policies.stableRingHash(160, 1.25), Policies.stableRingHash()}};
  }

  @Test
  void envoyBasicVectorsWithBoundedLoadAndNoLoad() {
    // Envoy's BasicWithBoundedLoad cases (factor 200, nothing in flight) pick as the plain tables.
    List<Endpoint> hosts = locals(90, 91, 92, 93, 94, 95);
    Picker maglev = Policies.maglev(7, 2.0).newPicker(views(hosts));
    int[] expected = {92, 94, 90, 91, 95, 90, 93};
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], pick(maglev, i).port(), "maglev hash " + i);
    }
    Picker ring = Policies.ringHash(12, MAX_RING, 2.0).newPicker(views(hosts));
    assertEquals(94, pick(ring, 0).port());
    assertEquals(95, pick(ring, Long.parseUnsignedLong("3551244743356806947")).port());
    assertEquals(93, pick(ring, Long.parseUnsignedLong("3551244743356806948")).port());
    assertEquals(90, pick(ring, Long.parseUnsignedLong("16117243373044804880")).port());
  }

  @Test
  void withoutAnEndpointOverItsBoundEveryPickIsThePlainPick() {
    List<Endpoint> hosts = new ArrayList<>(envoyBenchmarkHosts(512));
    for (int i = 0; i < hosts.size(); i += 5) {
      hosts.set(i, hosts.get(i).withWeight(3));
    }
    List<LoadView> loaded = new ArrayList<>();
    for (Endpoint e : hosts) {
      LoadView v = new LoadView(e);
      // 3 in flight on each (9 on weight 3): every endpoint is under factor 1.25 of its share.
      v.inFlight = 3 * e.weight();
      loaded.add(v);
    }
    for (Policy[] pair : pairs()) {
      Picker bounded = pair[0].newPicker(loaded);
      Picker plain = pair[1].newPicker(loaded);
      for (int i = 0; i < 100_000; i++) {
        PickContext ctx = PickContext.ofHash(hashInt(i));
        assertSame(plain.pick(ctx), bounded.pick(ctx), pair[0] + " key " + i);
      }
    }
  }

  @Test
  void hotKeyFillsItsHomeToTheBoundThenSpillsInItsFixedOrder() {
    List<Endpoint> hosts = envoyBenchmarkHosts(8);
    PickContext hot = PickContext.ofKey("hot-user");
    // Envoy's shuffle for this hash over the 8 endpoints in list order.
    BoundedLoad.Scratch shuffle = new BoundedLoad.Scratch();
    shuffle.begin(hot.hash(), 8);
    List<Endpoint> shuffled = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      shuffled.add(hosts.get(shuffle.step(i, 8)));
    }
    for (Policy[] pair : pairs()) {
      List<Endpoint> sequence = hotKeySequence(pair[0], hosts, hot, 80);
      assertEquals(sequence, hotKeySequence(pair[0], hosts, hot, 80), pair[0] + ": same spill on a second balancer");
      List<Endpoint> plain = hotKeySequence(pair[1], hosts, hot, 80);
      Endpoint home = plain.get(0);
      assertTrue(plain.stream().allMatch(home::equals), "plain hashing sends every request home");
      Map<Endpoint, Integer> load = new HashMap<>();
      for (Endpoint e : sequence) {
        load.merge(e, 1, Integer::sum);
      }
      // Placing the 80th: ceil(80 * 1.25) = 100 slots in all, ceil(100 / 8) = 13 each; an endpoint
      // at 13 still takes one, so none ends above 14, and 80 requests need at least 6 endpoints.
      for (Map.Entry<Endpoint, Integer> e : load.entrySet()) {
        assertTrue(e.getValue() <= 14, pair[0] + ": " + e);
      }
      assertTrue(load.size() >= 6, pair[0] + ": " + load);
      // Endpoints join in Envoy's order: home first, then the shuffle without home.
      List<Endpoint> expectedOrder = new ArrayList<>(List.of(home));
      shuffled.stream().filter(e -> !e.equals(home)).forEach(expectedOrder::add);
      assertEquals(expectedOrder.subList(0, load.size()), new ArrayList<>(new LinkedHashSet<>(sequence)), pair[0].toString());
    }
  }

  @Test
  void chooseThenBeginCountsAsPickDoes() {
    // gRPC's picker chooses first and begins the request once the stream exists.
    List<Endpoint> hosts = envoyBenchmarkHosts(8);
    PickContext hot = PickContext.ofKey("hot-user");
    List<Endpoint> picked = hotKeySequence(Policies.maglev(65_537, 1.25), hosts, hot, 40);
    try (LoadBalancer lb = LoadBalancer.builder().name("hot").policy(Policies.maglev(65_537, 1.25)).endpoints(hosts).build()) {
      List<Selection> held = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        Endpoint chosen = lb.choose(hot);
        assertEquals(picked.get(i), chosen, "request " + i);
        held.add(lb.begin(chosen));
      }
      held.forEach(s -> s.release(Outcome.SUCCESS, 1_000));
    }
  }

  @Test
  void otherKeysSpillOnlyFromEndpointsOverTheirBound() {
    List<Endpoint> hosts = envoyBenchmarkHosts(8);
    try (LoadBalancer lb = LoadBalancer.builder().name("bounded").policy(Policies.maglev(65_537, 1.25))
        .endpoints(hosts).build()) {
      MaglevTable table = MaglevTable.build(hosts, 65_537);
      List<Selection> held = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        held.add(lb.pick(PickContext.ofKey("hot-user")));
      }
      // 20 in flight while each other key is picked: ceil(21 * 1.25) = 27 slots, 4 per endpoint.
      int over = 0;
      for (Endpoint e : hosts) {
        over += lb.inFlight(e) > 4 ? 1 : 0;
      }
      assertTrue(over >= 1 && over < 8, "the hot key filled some endpoints past their bound: " + over);
      int spilled = 0;
      for (int k = 0; k < 2_000; k++) {
        PickContext ctx = PickContext.ofKey("user-" + k);
        Endpoint home = table.lookup(ctx.hash());
        Selection s = lb.pick(ctx);
        if (lb.inFlight(home) - (s.endpoint().equals(home) ? 1 : 0) > 4) {
          assertNotEquals(home, s.endpoint(), "user-" + k + " went to its full home");
          spilled++;
        } else {
          assertEquals(home, s.endpoint(), "user-" + k + " left a home within its bound");
        }
        s.release(Outcome.SUCCESS, 1_000);
      }
      assertTrue(spilled > 0 && spilled < 2_000, "spilled " + spilled);
      held.forEach(s -> s.release(Outcome.SUCCESS, 1_000));
      for (Endpoint e : hosts) {
        assertEquals(0, lb.inFlight(e), e.toString());
      }
    }
  }

  @Test
  void everyEndpointSaturatedStillPicksTheLeastOverloaded() {
    List<LoadView> views = new ArrayList<>();
    for (Endpoint e : envoyBenchmarkHosts(200)) {
      LoadView v = new LoadView(e);
      v.inFlight = 1_000 + views.size() % 97;
      views.add(v);
    }
    LoadView least = views.get(96);
    least.inFlight = 900;
    for (Policy[] pair : pairs()) {
      Picker picker = pair[0].newPicker(views, () -> 0); // the total claims nothing is in flight: all over
      for (int i = 0; i < 1_000; i++) {
        assertSame(least, picker.pick(PickContext.ofHash(hashInt(i))), pair[0] + " key " + i);
      }
      assertSame(least, picker.pick(PickContext.EMPTY));
    }
  }

  @Test
  void withoutABalancerTheTotalIsTheSumOfTheViews() {
    List<LoadView> views = new ArrayList<>();
    for (Endpoint e : envoyBenchmarkHosts(4)) {
      views.add(new LoadView(e));
    }
    Picker picker = Policies.maglev(65_537, 1.5).newPicker(views);
    PickContext ctx = PickContext.ofKey("k");
    LoadView home = (LoadView) picker.pick(ctx);
    home.inFlight = 3; // total 3: ceil(4 * 1.5) = 6 slots in all, 2 each; 3 > 2
    assertNotEquals(home, picker.pick(ctx));
    views.forEach(v -> v.inFlight = 2);
    home.inFlight = 3; // total 9: ceil(10 * 1.5) = 15, 4 each; 3 <= 4
    assertSame(home, picker.pick(ctx));
  }

  @Test
  void picksAndSpillsAllocateNothing() {
    List<LoadView> views = new ArrayList<>();
    for (Endpoint e : envoyBenchmarkHosts(64)) {
      LoadView v = new LoadView(e);
      v.inFlight = views.size() % 3 == 0 ? 50 : 2; // a third far over: many picks spill
      views.add(v);
    }
    PickContext[] contexts = new PickContext[256];
    for (int i = 0; i < contexts.length; i++) {
      contexts[i] = i % 4 == 0 ? PickContext.EMPTY : PickContext.ofHash(hashInt(i));
    }
    for (Policy[] pair : pairs()) {
      Picker picker = pair[0].newPicker(views, () -> 64 * 18);
      long sink = HashFixtures.assertPicksAllocateNothing(pair[0], picker, contexts);
      assertEquals(2L * 200_000, sink, pair[0] + ": every pick avoided the overloaded third");
    }
  }

  @Test
  void balanceFactorValidation() {
    for (double bad : new double[] {0.99, 0, -1, 10.01, Double.NaN, Double.POSITIVE_INFINITY}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Policies.maglev(65_537, bad));
      assertTrue(e.getMessage().startsWith("hashBalanceFactor must be in 1.0..10.0"), e.getMessage());
      assertTrue(e.getMessage().endsWith("was " + bad), e.getMessage());
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Policies.ringHash(1024, MAX_RING, 150));
    assertTrue(e.getMessage().contains("not Envoy's percent: Envoy's 150 is 1.5 here"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Policies.stableRingHash(160, 1.255));
    assertEquals("hashBalanceFactor must be a whole percent (two decimals, e.g. 1.25), was 1.255", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Policies.maglev(65_536, 1.25));
    assertEquals("tableSize must be a prime number, was 65536", e.getMessage());

    assertEquals(1.1, ((MaglevPolicy) Policies.maglev(7, 1.1)).hashBalanceFactor());
    assertEquals(10.0, ((RingHashPolicy) Policies.ringHash(1024, MAX_RING, 10.0)).hashBalanceFactor());
    assertEquals(0.0, ((MaglevPolicy) Policies.maglev()).hashBalanceFactor());
    assertTrue(Policies.maglev(7, 1.0).usesTotalInFlight());
    assertTrue(!Policies.maglev().usesTotalInFlight() && !Policies.ringHash().usesTotalInFlight());
    assertEquals("maglev(tableSize=7, hashBalanceFactor=1.25)", Policies.maglev(7, 1.25).toString());
    assertEquals("ring_hash(stable, entriesPerWeight=160, maxRingSize=8388608, hashBalanceFactor=1.5)",
        Policies.stableRingHash(160, 1.5).toString());
  }

  /** Picks {@code n} requests for one key through a fresh balancer, holding all, in pick order. */
  private static List<Endpoint> hotKeySequence(Policy policy, List<Endpoint> hosts, PickContext key, int n) {
    try (LoadBalancer lb = LoadBalancer.builder().name("hot").policy(policy).endpoints(hosts).build()) {
      List<Selection> held = new ArrayList<>();
      List<Endpoint> sequence = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        Selection s = lb.pick(key);
        held.add(s);
        sequence.add(s.endpoint());
      }
      held.forEach(s -> s.release(Outcome.SUCCESS, 1_000));
      return sequence;
    }
  }
}
