package io.lb4j.policy;

import static io.lb4j.policy.HashFixtures.envoyBenchmarkHosts;
import static io.lb4j.policy.HashFixtures.hashInt;
import static io.lb4j.policy.HashFixtures.local;
import static io.lb4j.policy.HashFixtures.locals;
import static io.lb4j.policy.HashFixtures.pick;
import static io.lb4j.policy.HashFixtures.views;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.Endpoint;
import io.lb4j.PickContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link MaglevPolicy}, and what both hash pickers promise: stickiness, random fallback, no allocation. */
class MaglevPolicyTest {

  @Test
  void envoyBasicPicks() {
    List<Endpoint> hosts = locals(90, 91, 92, 93, 94, 95);
    Picker picker = Policies.maglev(7).newPicker(views(hosts));
    int[] expected = {92, 94, 90, 91, 95, 90, 93};
    for (int i = 0; i < 3 * expected.length; i++) {
      assertEquals(expected[i % expected.length], pick(picker, i).port(), "hash " + i);
    }
  }

  @Test
  void pickerAgreesWithTableWhateverTheListOrder() {
    List<Endpoint> hosts = new ArrayList<>(envoyBenchmarkHosts(300));
    hosts.set(7, hosts.get(7).withWeight(5));
    MaglevTable table = MaglevTable.build(hosts, 65_537);
    Collections.shuffle(hosts, new Random(11));
    Picker picker = Policies.maglev().newPicker(views(hosts));
    for (int i = 0; i < 20_000; i++) {
      long h = hashInt(i);
      assertEquals(table.lookup(h), pick(picker, h), "key " + i);
    }
  }

  @Test
  void sticky() {
    HashFixtures.assertSticky(Policies.maglev());
  }

  @Test
  void noHashPicksAtRandomByTableShare() {
    HashFixtures.assertRandomFallbackFollowsWeights(Policies.maglev());
  }

  @Test
  void singleEndpoint() {
    EndpointView only = views(locals(90)).get(0);
    Picker picker = Policies.maglev().newPicker(List.of(only));
    assertSame(only, picker.pick(PickContext.ofHash(123)));
    assertSame(only, picker.pick(PickContext.EMPTY));
  }

  @Test
  void pickReturnsTheCallersViews() {
    List<EndpointView> eligible = views(envoyBenchmarkHosts(10));
    Set<EndpointView> identities = Collections.newSetFromMap(new IdentityHashMap<>());
    identities.addAll(eligible);
    Picker maglev = Policies.maglev().newPicker(eligible);
    Picker ring = Policies.ringHash().newPicker(eligible);
    for (int i = 0; i < 1_000; i++) {
      PickContext ctx = PickContext.ofHash(hashInt(i));
      assertTrue(identities.contains(maglev.pick(ctx)));
      assertTrue(identities.contains(ring.pick(ctx)));
    }
  }

  @Test
  void picksAllocateNothing() {
    List<EndpointView> eligible = views(envoyBenchmarkHosts(512));
    Picker[] pickers = {Policies.maglev().newPicker(eligible), Policies.ringHash().newPicker(eligible)};
    PickContext[] contexts = new PickContext[256];
    for (int i = 0; i < contexts.length; i++) {
      contexts[i] = i % 4 == 0 ? PickContext.EMPTY : PickContext.ofHash(hashInt(i));
    }
    for (Picker picker : pickers) {
      assertEquals(0, HashFixtures.assertPicksAllocateNothing(picker, picker, contexts));
    }
  }

  @Test
  void validation() {
    Policy policy = Policies.maglev();
    assertEquals("maglev", policy.name());
    assertEquals(65_537, ((MaglevPolicy) policy).tableSize());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Policies.maglev(65_536));
    assertEquals("tableSize must be a prime number, was 65536", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Policies.maglev(0));
    assertEquals("tableSize must be a prime number, was 0", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Policies.maglev(Integer.MAX_VALUE));
    assertEquals("tableSize must be at most 5000011, was 2147483647", e.getMessage());
    assertEquals(5_000_011, ((MaglevPolicy) Policies.maglev(5_000_011)).tableSize());

    e = assertThrows(IllegalArgumentException.class, () -> policy.newPicker(List.of()));
    assertTrue(e.getMessage().contains("must not be empty"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> policy.newPicker(views(List.of(local(90), local(90).withWeight(2)))));
    assertEquals("endpoints must have distinct addresses, duplicate 127.0.0.1:90", e.getMessage());
  }
}
