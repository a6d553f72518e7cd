package io.lb4j.policy;

import static io.lb4j.policy.HashFixtures.envoyBenchmarkHosts;
import static io.lb4j.policy.HashFixtures.hashInt;
import static io.lb4j.policy.HashFixtures.pick;
import static io.lb4j.policy.HashFixtures.views;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.Endpoint;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link Policies#stableRingHash()}: a fixed number of entries per weight, so only the keys that must move do. */
class StableRingTest {

  private static final int KEYS = 200_000;

  @Test
  void addingAnEndpointMovesKeysOnlyToIt() {
    for (int n : new int[] {3, 10, 100}) {
      List<Endpoint> before = envoyBenchmarkHosts(n);
      List<Endpoint> after = envoyBenchmarkHosts(n + 1);
      Endpoint added = after.get(n);
      Picker a = Policies.stableRingHash().newPicker(views(before));
      Picker b = Policies.stableRingHash().newPicker(views(after));
      int moved = movedOnlyTo(a, b, added, n + " endpoints");
      double share = (double) moved / KEYS;
      // 160 entries: the newcomer's share is within about 3 spreads (1/sqrt(160) ~ 8 %) of 1/(n+1).
      assertTrue(Math.abs(share * (n + 1) - 1) < 0.3, n + " -> " + (n + 1) + ": moved " + share);
    }
  }

  @Test
  void removingAnEndpointMovesOnlyItsKeys() {
    List<Endpoint> before = envoyBenchmarkHosts(50);
    List<Endpoint> after = new ArrayList<>(before);
    Endpoint removed = after.remove(17);
    Picker a = Policies.stableRingHash().newPicker(views(before));
    Picker b = Policies.stableRingHash().newPicker(views(after));
    int[] moved = HashFixtures.movedKeys(h -> pick(a, h), h -> pick(b, h), removed, KEYS);
    assertTrue(moved[0] > 0, "the removed endpoint owned keys");
    assertEquals(moved[1], moved[0], "keys moved off endpoints that stayed");
  }

  @Test
  void aWeightChangeMovesOnlyKeysToOrFromThatEndpoint() {
    List<Endpoint> before = envoyBenchmarkHosts(20);
    List<Endpoint> after = new ArrayList<>(before);
    Endpoint changed = before.get(4).withWeight(3);
    after.set(4, changed);
    Picker a = Policies.stableRingHash().newPicker(views(before));
    Picker b = Policies.stableRingHash().newPicker(views(after));
    int gained = movedOnlyTo(a, b, changed, "weight 1 -> 3");
    // Its share grows from 1/20 to 3/22 of the keys: about 8.6 % of them move to it.
    assertTrue(gained > KEYS / 20, "weight 1 -> 3 of 20 endpoints: gained " + gained);
  }

  /**
   * Counts the keys {@code hashInt(0..KEYS-1)} that {@code after} maps to another address than
   * {@code before}, asserting each moved to {@code target}'s address and not between the others.
   */
  private static int movedOnlyTo(Picker before, Picker after, Endpoint target, String label) {
    int moved = 0;
    for (int i = 0; i < KEYS; i++) {
      Endpoint was = pick(before, hashInt(i));
      Endpoint now = pick(after, hashInt(i));
      if (!was.address().equals(now.address())) { // by address: a changed weight is the same endpoint
        assertEquals(target.address(), now.address(), label + ", key " + i + " moved between endpoints that stayed");
        moved++;
      }
    }
    return moved;
  }

  @Test
  void isEnvoysRingWhenEnvoyGivesEveryEndpointTheSameEntries() {
    // 8 equal endpoints on a 1,280-entry Envoy ring get 160 entries each: the same ring.
    List<Endpoint> hosts = envoyBenchmarkHosts(8);
    Picker stable = Policies.stableRingHash().newPicker(views(hosts));
    Picker envoy = Policies.ringHash(1280, RingHashPolicy.DEFAULT_MAX_RING_SIZE).newPicker(views(hosts));
    for (int i = 0; i < KEYS; i++) {
      assertEquals(pick(envoy, hashInt(i)), pick(stable, hashInt(i)), "key " + i);
    }
  }

  @Test
  void listOrderDoesNotMatter() {
    List<Endpoint> hosts = new ArrayList<>(envoyBenchmarkHosts(64));
    hosts.set(9, hosts.get(9).withWeight(4));
    Picker a = Policies.stableRingHash().newPicker(views(hosts));
    Collections.shuffle(hosts, new Random(3));
    Picker b = Policies.stableRingHash().newPicker(views(hosts));
    for (int i = 0; i < KEYS; i++) {
      assertEquals(pick(a, hashInt(i)), pick(b, hashInt(i)), "key " + i);
    }
  }

  @Test
  void spreadsKeysWithinAboutThreeSpreadsAtAnySize() {
    // Each endpoint's share is a sum of 160 arcs: relative spread about 1/sqrt(160) = 7.9 %.
    for (int n : new int[] {8, 64, 512}) {
      List<Endpoint> hosts = envoyBenchmarkHosts(n);
      Picker picker = Policies.stableRingHash().newPicker(views(hosts));
      Map<Endpoint, Integer> load = new HashMap<>();
      int keys = 2_000 * n;
      for (int i = 0; i < keys; i++) {
        load.merge(pick(picker, hashInt(i)), 1, Integer::sum);
      }
      int max = Collections.max(load.values());
      double maxOverMean = max / (keys / (double) n);
      assertEquals(n, load.size());
      assertTrue(maxOverMean < 1.35, n + " endpoints: max/mean " + maxOverMean);
    }
  }

  @Test
  void ringBeyondTheMaximumIsScaledDown() {
    List<Endpoint> hosts = new ArrayList<>();
    for (Endpoint e : envoyBenchmarkHosts(4)) {
      hosts.add(e.withWeight(100_000)); // 4 * 100,000 * 160 entries would be 64 million
    }
    hosts.add(Endpoint.of("10.1.0.0", 6379)); // weight 1: 160 entries, scaled to at least 1
    RingHashPolicy policy = (RingHashPolicy) Policies.stableRingHash();
    HashRing ring = policy.buildRing(HashPolicySupport.Hosts.ofViews(views(hosts), false));
    assertTrue(ring.size() <= RingHashPolicy.DEFAULT_MAX_RING_SIZE, "size " + ring.size());
    assertEquals(20, ring.minEntriesPerHost()); // floor(160 * 8,388,608 / 64,000,160)
    assertEquals(2_097_146, ring.maxEntriesPerHost()); // floor(16,000,000 * 8,388,608 / 64,000,160)
  }

  @Test
  void validation() {
    RingHashPolicy policy = (RingHashPolicy) Policies.stableRingHash();
    assertTrue(policy.stable());
    assertEquals(160, policy.entriesPerWeight());
    assertEquals("ring_hash", policy.name());
    assertEquals("ring_hash(stable, entriesPerWeight=160, maxRingSize=8388608)", policy.toString());
    assertTrue(!((RingHashPolicy) Policies.ringHash()).stable());
    assertEquals(0, ((RingHashPolicy) Policies.ringHash()).entriesPerWeight());
    for (int bad : new int[] {0, -1, 10_001}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Policies.stableRingHash(bad));
      assertEquals("entriesPerWeight must be in 1..10000, was " + bad, e.getMessage());
    }
    assertEquals(10_000, ((RingHashPolicy) Policies.stableRingHash(10_000)).entriesPerWeight());
  }
}
