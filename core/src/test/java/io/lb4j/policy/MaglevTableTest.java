package io.lb4j.policy;

import static io.lb4j.policy.HashFixtures.envoyBenchmarkHosts;
import static io.lb4j.policy.HashFixtures.local;
import static io.lb4j.policy.HashFixtures.locals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.Endpoint;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link MaglevTable} against the tables in Envoy's {@code maglev_lb_test.cc}. */
class MaglevTableTest {

  /** Slot i holds the port listed at i. */
  private static void assertTable(MaglevTable table, int... ports) {
    assertEquals(ports.length, table.size());
    int[] actual = new int[table.size()];
    for (int i = 0; i < actual.length; i++) {
      actual[i] = table.get(i).port();
    }
    assertEquals(Arrays.toString(ports), Arrays.toString(actual));
  }

  private static Map<Endpoint, Integer> slotCounts(MaglevTable table) {
    Map<Endpoint, Integer> counts = new HashMap<>();
    for (int i = 0; i < table.size(); i++) {
      counts.merge(table.get(i), 1, Integer::sum);
    }
    return counts;
  }

  @Test
  void envoyBasicTable() {
    // MaglevLoadBalancerTest.Basic: 127.0.0.1:90..95, table size 7.
    MaglevTable table = MaglevTable.build(locals(90, 91, 92, 93, 94, 95), 7);
    assertTable(table, 92, 94, 90, 91, 95, 90, 93);
    // Envoy picks hosts[expected[i % 7]] for hashes 0..20.
    int[] expected = {92, 94, 90, 91, 95, 90, 93};
    for (int i = 0; i < 3 * expected.length; i++) {
      assertEquals(expected[i % expected.length], table.lookup(i).port(), "hash " + i);
    }
    // BasicWithRetryHostPredicate: hash 10 selects slot 3, :91.
    assertEquals(91, table.lookup(10).port());
  }

  @Test
  void envoyBasicStabilityListOrderDoesNotMatter() {
    List<Endpoint> endpoints = new ArrayList<>(locals(90, 91, 92, 93, 94, 95));
    Random random = new Random(42);
    for (int round = 0; round < 10; round++) {
      Collections.shuffle(endpoints, random);
      assertTable(MaglevTable.build(endpoints, 7), 92, 94, 90, 91, 95, 90, 93);
    }
  }

  @Test
  void envoyWeightedTable() {
    // MaglevLoadBalancerTest.Weighted: :90 weight 1, :91 weight 2, table size 17; 6 and 11 entries.
    MaglevTable table = MaglevTable.build(List.of(local(90), local(91).withWeight(2)), 17);
    assertTable(table, 91, 90, 90, 91, 90, 91, 91, 90, 91, 91, 91, 91, 91, 90, 91, 90, 91);
    Map<Endpoint, Integer> counts = slotCounts(table);
    assertEquals(6, counts.get(local(90)));
    assertEquals(11, counts.get(local(91).withWeight(2)));
  }

  @Test
  void envoyEqualLocalityWeightsTable() {
    // LocalityWeightedSameLocalityWeights normalises :90 and :91 to 0.5 each, as equal host weights do.
    MaglevTable table = MaglevTable.build(locals(90, 91), 17);
    assertTable(table, 91, 90, 90, 91, 90, 91, 91, 90, 90, 91, 90, 91, 90, 90, 91, 90, 91);
  }

  @Test
  void envoyDifferentLocalityWeightsTable() {
    // LocalityWeightedDifferentLocalityWeights normalises :90 to 0.8 and :91 to 0.2 (the third
    // host's locality has weight 0); host weights 4 and 1 give the same doubles.
    MaglevTable table = MaglevTable.build(List.of(local(90).withWeight(4), local(91)), 17);
    assertTable(table, 91, 90, 90, 90, 90, 90, 91, 90, 90, 91, 90, 91, 90, 90, 90, 90, 90);
  }

  @Test
  void envoyWeightedSingleHostFillsTable() {
    MaglevTable table = MaglevTable.build(List.of(local(90).withWeight(7)), 17);
    for (int i = 0; i < 17; i++) {
      assertEquals(90, table.get(i).port());
    }
  }

  @Test
  void weightsOneAndTwoAtDefaultSize() {
    MaglevTable table = MaglevTable.build(List.of(local(90), local(91).withWeight(2)), 65_537);
    Map<Endpoint, Integer> counts = slotCounts(table);
    assertEquals(21_846, counts.get(local(90)));
    assertEquals(43_691, counts.get(local(91).withWeight(2)));
  }

  @Test
  void lopsidedWeightsGiveLightHostsOneSlotEach() {
    // Envoy's LocalityWeightedLopsided (localities 127:1, one heavy host, 1,023 light ones) as host
    // weights. Envoy's heavy host is 127.0.0.1:0, a port lb4j rejects, so ports are shifted by one:
    // the slot counts are structural and stay the same.
    List<Endpoint> endpoints = new ArrayList<>();
    endpoints.add(local(1).withWeight(127 * 1023));
    for (int port = 2; port <= 1024; port++) {
      endpoints.add(local(port));
    }
    MaglevTable table = MaglevTable.build(endpoints, 65_537);
    Map<Endpoint, Integer> counts = slotCounts(table);
    assertEquals(65_537 - 1023, counts.get(endpoints.get(0)));
    for (int i = 1; i < endpoints.size(); i++) {
      assertEquals(1, counts.get(endpoints.get(i)), endpoints.get(i).toString());
    }
  }

  @Test
  void lookupTakesTheHashUnsigned() {
    MaglevTable table = MaglevTable.build(envoyBenchmarkHosts(20), 65_537);
    for (long h : new long[] {-1L, Long.MIN_VALUE, -65_537L, 0x9e3779b97f4a7c15L, 12345L}) {
      assertSame(table.get((int) Long.remainderUnsigned(h, 65_537)), table.lookup(h), Long.toUnsignedString(h));
    }
    // 2^64 - 1 = 65,537 * 281,470,681,808,895 exactly, so its remainder is 0, not (-1 % 65,537).
    assertSame(table.get(0), table.lookup(-1L));
  }

  /**
   * Envoy's construction written as plainly as possible: preference {@code j} of endpoint
   * {@code i} is {@code (offset + skip * j) mod M}, computed afresh, and every claim walks it.
   */
  private static Endpoint[] plainEnvoyTable(List<Endpoint> endpoints, int m) {
    HashPolicySupport.Hosts hosts = HashPolicySupport.Hosts.ofEndpoints(endpoints, true);
    int n = hosts.size();
    long[] offset = new long[n];
    long[] skip = new long[n];
    long[] next = new long[n];
    double[] target = new double[n];
    for (int i = 0; i < n; i++) {
      offset[i] = Long.remainderUnsigned(HashPolicySupport.XXH64.hashBytes(hosts.keys[i]), m);
      skip[i] = Long.remainderUnsigned(HashPolicySupport.XXH64_SEED_1.hashBytes(hosts.keys[i]), m - 1) + 1;
    }
    Endpoint[] table = new Endpoint[m];
    int filled = 0;
    for (long round = 1; filled < m; round++) {
      for (int i = 0; i < n && filled < m; i++) {
        if (round * hosts.weights[i] < target[i]) {
          continue;
        }
        target[i] += hosts.maxWeight;
        int c;
        do {
          c = (int) ((offset[i] + skip[i] * next[i]++) % m);
        } while (table[c] != null);
        table[c] = (Endpoint) hosts.items[i];
        filled++;
      }
    }
    return table;
  }

  @Test
  void sameTableAsThePlainConstruction() {
    SplittableRandom random = new SplittableRandom(1009);
    int[] sizes = {2, 3, 7, 17, 101, 1009, 10_007, 65_537};
    for (int trial = 0; trial < 60; trial++) {
      int m = sizes[trial % sizes.length];
      int n = 2 + random.nextInt(trial % 3 == 0 ? 8 : 400);
      List<Endpoint> endpoints = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        endpoints.add(Endpoint.of("10.1." + i / 256 + "." + i % 256, 1000 + random.nextInt(60_000))
            .withWeight(trial % 2 == 0 ? 1 : 1 + random.nextInt(10)));
      }
      Endpoint[] expected = plainEnvoyTable(endpoints, m);
      MaglevTable table = MaglevTable.build(endpoints, m);
      for (int slot = 0; slot < m; slot++) {
        assertSame(expected[slot], table.get(slot), "trial " + trial + ", M " + m + ", n " + n + ", slot " + slot);
      }
    }
  }

  @Test
  void modInverseInvertsEverySkip() {
    for (int m : new int[] {2, 3, 7, 65_537, 5_000_011}) {
      for (int a = 1; a < Math.min(m, 5000); a++) {
        assertEquals(1, MaglevTable.modInverse(a, m) * a % m, a + " mod " + m);
      }
      assertEquals(1, MaglevTable.modInverse(m - 1, m) * (m - 1) % m);
    }
  }

  @Test
  void slotIsTheUnsignedRemainderWithoutDividing() {
    SplittableRandom random = new SplittableRandom(65_537);
    List<Integer> sizes = new ArrayList<>(List.of(2, 3, 5, 7, 65_537, 655_373, 5_000_011, Integer.MAX_VALUE));
    for (int i = 0; i < 40; i++) {
      sizes.add(2 + random.nextInt(Integer.MAX_VALUE - 2));
    }
    for (int m : sizes) {
      long reciprocal = MaglevTable.reciprocal(m);
      List<Long> hashes = new ArrayList<>(List.of(0L, 1L, -1L, -2L, Long.MIN_VALUE, Long.MAX_VALUE,
          Long.MIN_VALUE + 1, (long) m, m - 1L, m + 1L, -(long) m, Long.divideUnsigned(-1L, m) * m,
          Long.divideUnsigned(-1L, m) * m - 1));
      for (int i = 0; i < 20_000; i++) {
        long h = random.nextLong();
        hashes.add(h);
        hashes.add(h - Long.remainderUnsigned(h, m)); // a multiple of m
        hashes.add(h - Long.remainderUnsigned(h, m) - 1); // just below one
      }
      for (long h : hashes) {
        assertEquals(Long.remainderUnsigned(h, m), MaglevTable.slot(h, m, reciprocal),
            () -> Long.toUnsignedString(h) + " mod " + m);
      }
    }
  }

  @Test
  void balanceAtThousandEndpoints() {
    MaglevTable table = MaglevTable.build(envoyBenchmarkHosts(1000), 65_537);
    Map<Endpoint, Integer> counts = slotCounts(table);
    assertEquals(1000, counts.size());
    int max = Collections.max(counts.values());
    int min = Collections.min(counts.values());
    double mean = 65_537 / 1000.0;
    double ratio = max / mean;
    System.out.printf("maglev balance N=1000 M=65537: min=%d max=%d mean=%.3f max/mean=%.4f%n", min, max, mean, ratio);
    assertTrue(ratio <= 1.02, "max/mean " + ratio);
  }

  @Test
  void removingOneOfFiveHundredMovesAboutOnePercent() {
    // Envoy's benchmarkMaglevLoadBalancerHostLoss(500, 1, 10000): hosts 10.0.x.y:6379, the last
    // one removed, keys hashInt(0..9999).
    List<Endpoint> hosts = envoyBenchmarkHosts(500);
    MaglevTable before = MaglevTable.build(hosts, 65_537);
    MaglevTable after = MaglevTable.build(hosts.subList(0, 499), 65_537);
    int keys = 10_000;
    int[] moved = HashFixtures.movedKeys(before::lookup, after::lookup, hosts.get(499), keys);
    double percent = 100.0 * moved[0] / keys;
    System.out.printf(
        "maglev host loss 500->499, %d keys: %.2f %% moved (%d of them from the removed host; ideal 0.20 %%, Envoy 0.98 %%)%n",
        keys, percent, moved[1]);
    assertTrue(percent >= 0.2 && percent <= 1.5, "moved " + percent + " %");
    // Slot-level: every slot of the removed host moved; the rest should mostly stay.
    int slotsMoved = 0;
    for (int i = 0; i < 65_537; i++) {
      if (!before.get(i).equals(after.get(i))) {
        slotsMoved++;
      }
    }
    double slotPercent = 100.0 * slotsMoved / 65_537;
    System.out.printf("maglev host loss 500->499: %.2f %% of slots changed%n", slotPercent);
    assertTrue(slotPercent <= 1.5, "slots moved " + slotPercent + " %");
  }

  @Test
  void buildOfThousandEndpointsIsFast() {
    List<Endpoint> hosts = envoyBenchmarkHosts(1000);
    long best = Long.MAX_VALUE;
    for (int i = 0; i < 15; i++) {
      long start = System.nanoTime();
      MaglevTable.build(hosts, 65_537);
      best = Math.min(best, System.nanoTime() - start);
    }
    System.out.printf("maglev build N=1000 M=65537: best of 15 = %.2f ms%n", best / 1e6);
    // The goal is 10 ms; the bound here is loose because CI machines are shared.
    assertTrue(best < 200_000_000L, "build took " + best / 1e6 + " ms");
  }

  @Test
  void validation() {
    List<Endpoint> one = locals(90);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MaglevTable.build(one, 8));
    assertEquals("tableSize must be a prime number, was 8", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> MaglevTable.build(one, 1));
    assertEquals("tableSize must be a prime number, was 1", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> MaglevTable.build(one, -7));
    assertEquals("tableSize must be a prime number, was -7", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> MaglevTable.build(one, 5_000_077));
    assertEquals("tableSize must be at most 5000011, was 5000077", e.getMessage());
    assertTrue(MaglevTable.isPrime(5_000_011));
    assertTrue(MaglevTable.isPrime(65_537));
    assertTrue(MaglevTable.isPrime(2));

    e = assertThrows(IllegalArgumentException.class, () -> MaglevTable.build(List.of(), 7));
    assertTrue(e.getMessage().startsWith("endpoints must not be empty"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> MaglevTable.build(null, 7));
    assertTrue(e.getMessage().startsWith("endpoints must not be empty"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> MaglevTable.build(Arrays.asList(local(90), null), 7));
    assertEquals("endpoints must not contain null, index 1", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> MaglevTable.build(List.of(local(90), local(90).withWeight(3)), 7));
    assertEquals("endpoints must have distinct addresses, duplicate 127.0.0.1:90", e.getMessage());

    MaglevTable table = MaglevTable.build(one, 7);
    assertThrows(IndexOutOfBoundsException.class, () -> table.get(7));
    assertThrows(IndexOutOfBoundsException.class, () -> table.get(-1));
  }

  @Test
  void smallestPrimeTableWorks() {
    MaglevTable table = MaglevTable.build(locals(90, 91, 92), 2);
    assertEquals(2, table.size());
    assertTrue(table.get(0) != null && table.get(1) != null);
  }
}
