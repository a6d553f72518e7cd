package io.lb4j.policy;

import static io.lb4j.policy.HashFixtures.envoyBenchmarkHosts;
import static io.lb4j.policy.HashFixtures.views;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.Endpoint;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link HashRing#lookup}'s bucket index against a plain binary search over the sorted entry hashes:
 * the same entry for every hash, on real rings (Envoy's construction, stable rings, weighted) and
 * on made-up hash sets that stress the index (clusters, duplicates, the ends of the range).
 */
class HashRingTest {

  private static final SplittableRandom RANDOM = new SplittableRandom(20_261_201L);

  /**
   * The reference: the first entry whose hash is {@code >= hash} (unsigned), by an ordinary binary
   * search over the ring's own hashes, wrapping to entry 0 past the last.
   */
  private static int firstAtOrAbove(long[] sortedUnsigned, long hash) {
    int lo = 0;
    int hi = sortedUnsigned.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (Long.compareUnsigned(sortedUnsigned[mid], hash) < 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo == sortedUnsigned.length ? 0 : lo;
  }

  /**
   * Every probe hash, random hashes, and for each entry its hash and its neighbours, and every
   * bucket boundary, give the reference's item; so does the binary-search fallback.
   */
  private static void assertMatchesBinarySearch(String label, HashRing ring, int randomProbes) {
    long[] hashes = new long[ring.size()];
    for (int i = 0; i < hashes.length; i++) {
      hashes[i] = ring.hashAt(i);
      if (i > 0) {
        assertTrue(Long.compareUnsigned(hashes[i - 1], hashes[i]) <= 0, label + ": entries out of order at " + i);
      }
    }
    List<Long> probes = new ArrayList<>(List.of(0L, 1L, -1L, -2L, Long.MIN_VALUE, Long.MAX_VALUE,
        Long.MIN_VALUE + 1, Long.MAX_VALUE - 1));
    for (long h : hashes) {
      probes.add(h);
      probes.add(h - 1);
      probes.add(h + 1);
    }
    // Bucket lower bounds for every power-of-two bucket count up to 2^24 (the index's and its
    // neighbours'; the first 1,024 of each), and one below each.
    for (int bits = 1; bits <= 24; bits++) {
      for (int b = 0; b < Math.min(1 << bits, 1024); b++) {
        long lower = (long) b << (64 - bits);
        probes.add(lower);
        probes.add(lower - 1);
      }
    }
    for (int i = 0; i < randomProbes; i++) {
      probes.add(RANDOM.nextLong());
    }
    for (long h : probes) {
      Object expected = ring.itemAt(firstAtOrAbove(hashes, h));
      assertSame(expected, ring.lookup(h), () -> label + ": hash " + Long.toUnsignedString(h));
      int viaSearch = ring.lowerBound(h);
      assertSame(expected, viaSearch == ring.size() ? ring.itemAt(0) : ring.itemAt(viaSearch),
          () -> label + ": binary search, hash " + Long.toUnsignedString(h));
    }
  }

  /** A ring over exactly these hashes (any order, repeats kept), entry i's item being "e" + i. */
  private static HashRing ringOf(long... hashes) {
    int[] owners = new int[hashes.length];
    Object[] items = new Object[hashes.length];
    for (int i = 0; i < hashes.length; i++) {
      owners[i] = hashes.length - 1 - i; // owners need not be in entry order
      items[owners[i]] = "e" + i;
    }
    return HashRing.of(hashes, owners, items, 1, 1);
  }

  /** The ring's entries are its input stably sorted by unsigned hash, index or not. */
  private static void assertStablySorted(String label, long[] hashes) {
    HashRing ring = ringOf(hashes);
    Integer[] order = new Integer[hashes.length];
    Arrays.setAll(order, i -> i);
    Arrays.sort(order, (a, b) -> Long.compareUnsigned(hashes[a], hashes[b])); // a stable merge sort
    assertEquals(hashes.length, ring.size());
    for (int i = 0; i < hashes.length; i++) {
      assertEquals(hashes[order[i]], ring.hashAt(i), label + ": hash at " + i);
      assertEquals("e" + order[i], ring.itemAt(i), label + ": item at " + i);
    }
  }

  @Test
  void entriesAreStablySorted() {
    for (int trial = 0; trial < 40; trial++) {
      int n = 1 + RANDOM.nextInt(2000);
      long[] hashes = new long[n];
      for (int i = 0; i < n; i++) {
        // Some repeats (equal hashes keep input order) among spread hashes.
        hashes[i] = i > 0 && RANDOM.nextInt(10) == 0 ? hashes[RANDOM.nextInt(i)] : RANDOM.nextLong();
      }
      assertStablySorted("spread, trial " + trial, hashes);
      for (int i = 0; i < n; i++) {
        hashes[i] = 0x7000_0000_0000_0000L + RANDOM.nextLong(1L << 40) * (RANDOM.nextInt(3) == 0 ? 0 : 1);
      }
      assertStablySorted("clustered, trial " + trial, hashes);
    }
  }

  @Test
  void envoyRingsMatchBinarySearch() {
    int[][] hostsAndMin = {{2, 1}, {3, 1024}, {8, 1024}, {64, 65_536}, {512, 1024}, {1000, 1024}, {1000, 4096}};
    for (int[] c : hostsAndMin) {
      List<Endpoint> endpoints = envoyBenchmarkHosts(c[0]);
      HashRing ring = new RingHashPolicy(c[1], RingHashPolicy.DEFAULT_MAX_RING_SIZE)
          .buildRing(HashPolicySupport.Hosts.ofViews(views(endpoints), false));
      assertTrue(ring.indexed(), c[0] + " hosts, min " + c[1] + ": XXH64 entries should be indexed");
      assertMatchesBinarySearch(c[0] + " hosts, min " + c[1], ring, 20_000);
    }
  }

  @Test
  void weightedAndStableRingsMatchBinarySearch() {
    List<Endpoint> weighted = new ArrayList<>();
    for (Endpoint e : envoyBenchmarkHosts(200)) {
      weighted.add(e.withWeight(1 + weighted.size() % 7));
    }
    HashRing envoy = new RingHashPolicy(1024, RingHashPolicy.DEFAULT_MAX_RING_SIZE)
        .buildRing(HashPolicySupport.Hosts.ofViews(views(weighted), false));
    assertMatchesBinarySearch("weighted", envoy, 20_000);
    HashRing stable = new RingHashPolicy(1, RingHashPolicy.DEFAULT_MAX_RING_SIZE, 160, 0)
        .buildRing(HashPolicySupport.Hosts.ofViews(views(weighted), false));
    assertMatchesBinarySearch("stable", stable, 20_000);
  }

  @Test
  void tinyRingsMatchBinarySearch() {
    assertMatchesBinarySearch("one entry", ringOf(RANDOM.nextLong()), 1000);
    assertMatchesBinarySearch("one entry at 0", ringOf(0L), 1000);
    assertMatchesBinarySearch("one entry at max", ringOf(-1L), 1000);
    assertMatchesBinarySearch("two entries", ringOf(5L, -5L), 1000);
    assertMatchesBinarySearch("three entries", ringOf(Long.MIN_VALUE, Long.MAX_VALUE, 0L), 1000);
  }

  @Test
  void endsOfTheRangeAndRepeatsMatchBinarySearch() {
    for (int trial = 0; trial < 100; trial++) {
      int n = 1 + RANDOM.nextInt(300);
      long[] hashes = new long[n];
      for (int i = 0; i < n; i++) {
        switch (RANDOM.nextInt(6)) {
          case 0 -> hashes[i] = 0L;
          case 1 -> hashes[i] = -1L;
          case 2 -> hashes[i] = i > 0 ? hashes[i - 1] : 7L; // a repeat
          case 3 -> hashes[i] = Long.MIN_VALUE + RANDOM.nextInt(3) - 1;
          default -> hashes[i] = RANDOM.nextLong();
        }
      }
      assertMatchesBinarySearch("trial " + trial, ringOf(hashes), 500);
    }
  }

  @Test
  void clusteredHashesFallBackToBinarySearch() {
    // 1,000 entries inside one 2^-20 slice of the range: one bucket would hold them all.
    long[] hashes = new long[1000];
    long base = 0x1234_5000_0000_0000L;
    for (int i = 0; i < hashes.length; i++) {
      hashes[i] = base + RANDOM.nextLong(1L << 44);
    }
    HashRing ring = ringOf(hashes);
    assertFalse(ring.indexed());
    assertMatchesBinarySearch("clustered", ring, 20_000);
  }

  @Test
  void aBucketJustAtTheLimitKeepsTheIndex() {
    // 64 entries make 64 buckets of 2^58: 32 entries in bucket 0 (the run limit) and one in each
    // of buckets 1..32 keep the index; a 33rd in bucket 0 does not.
    long[] hashes = new long[64];
    for (int i = 0; i < 32; i++) {
      hashes[i] = i; // bucket 0
    }
    for (int i = 32; i < 64; i++) {
      hashes[i] = (long) (i - 31) << 58 | 12345L; // buckets 1..32, one each
    }
    HashRing ring = ringOf(hashes);
    assertEquals(64, ring.size());
    assertTrue(ring.indexed());
    assertMatchesBinarySearch("run of 32 + spread", ring, 5000);
    hashes[32] = 40; // bucket 0 now holds 33
    HashRing over = ringOf(hashes);
    assertFalse(over.indexed());
    assertMatchesBinarySearch("run of 33 + spread", over, 5000);
  }
}
