package io.lb4j.policy;

import static io.lb4j.policy.HashFixtures.envoyBenchmarkHosts;
import static io.lb4j.policy.HashFixtures.local;
import static io.lb4j.policy.HashFixtures.locals;
import static io.lb4j.policy.HashFixtures.pick;
import static io.lb4j.policy.HashFixtures.views;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.Endpoint;
import io.lb4j.PickContext;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link RingHashPolicy} against the rings and picks in Envoy's {@code ring_hash_lb_test.cc}. */
class RingHashPolicyTest {

  private static final int MAX = RingHashPolicy.DEFAULT_MAX_RING_SIZE;

  /** A uint64 literal from Envoy's tests. */
  private static long u64(String decimal) {
    return Long.parseUnsignedLong(decimal);
  }

  private static HashRing ring(List<Endpoint> endpoints, int min, int max) {
    return new RingHashPolicy(min, max).buildRing(HashPolicySupport.Hosts.ofViews(views(endpoints), false));
  }

  private static Picker picker(List<Endpoint> endpoints, int min, int max) {
    return Policies.ringHash(min, max).newPicker(views(endpoints));
  }

  private static void assertRing(HashRing ring, String... portAndHash) {
    assertEquals(portAndHash.length, ring.size());
    for (int i = 0; i < portAndHash.length; i++) {
      String[] parts = portAndHash[i].split("\\|");
      int port = ((EndpointView) ring.itemAt(i)).endpoint().port();
      assertEquals(parts[0] + "|" + parts[1], port + "|" + Long.toUnsignedString(ring.hashAt(i)), "entry " + i);
    }
  }

  /** Hits per port for hashes i * (2^64 - 1) / count, as Envoy's large-ring tests sample. */
  private static Map<Integer, Integer> sampleEvenly(Picker picker, int count) {
    long step = Long.divideUnsigned(-1L, count);
    Map<Integer, Integer> hits = new HashMap<>();
    for (int i = 0; i < count; i++) {
      hits.merge(pick(picker, i * step).port(), 1, Integer::sum);
    }
    return hits;
  }

  @Test
  void envoyBasicRingAndPicks() {
    List<Endpoint> hosts = locals(90, 91, 92, 93, 94, 95);
    HashRing ring = ring(hosts, 12, MAX);
    assertEquals(2, ring.minEntriesPerHost());
    assertEquals(2, ring.maxEntriesPerHost());
    assertRing(ring,
        "94|833437586790550860", "92|928266305478181108", "90|1033482794131418490",
        "95|3551244743356806947", "93|3851675632748031481", "91|5583722120771150861",
        "91|6311230543546372928", "93|7700377290971790572", "95|13144177310400110813",
        "92|13444792449719432967", "94|15516499411664133160", "90|16117243373044804889");

    Picker picker = picker(hosts, 12, MAX);
    assertEquals(94, pick(picker, 0).port());
    assertEquals(94, pick(picker, -1L).port()); // 2^64 - 1 wraps to the first entry
    assertEquals(95, pick(picker, u64("3551244743356806947")).port()); // exactly on an entry
    assertEquals(93, pick(picker, u64("3551244743356806948")).port()); // just past it
    assertEquals(90, pick(picker, u64("16117243373044804880")).port()); // Envoy's "random" hash
  }

  @Test
  void envoyUnevenHosts() {
    // Two hosts, minimum ring size 3: scale rounds up to 2 entries per host, ring of 4.
    HashRing ring = ring(locals(80, 81), 3, MAX);
    assertRing(ring,
        "80|5454692015285649509", "81|7859399908942313493",
        "80|13838424394637650569", "81|16064866803292627174");
    assertEquals(80, pick(picker(locals(80, 81), 3, MAX), 0).port());

    HashRing moved = ring(locals(81, 82), 3, MAX);
    assertRing(moved,
        "81|7859399908942313493", "82|8241336090459785962",
        "82|12882406409176325258", "81|16064866803292627174");
    assertEquals(81, pick(picker(locals(81, 82), 3, MAX), 0).port());
  }

  @Test
  void envoyHostWeightedTinyRing() {
    List<Endpoint> hosts = List.of(local(90), local(91).withWeight(2), local(92).withWeight(3));
    HashRing ring = ring(hosts, 6, 6);
    assertEquals(6, ring.size());
    assertEquals(1, ring.minEntriesPerHost());
    assertEquals(3, ring.maxEntriesPerHost());
    Picker picker = picker(hosts, 6, 6);
    Map<String, Integer> expected = Map.of(
        "928266305478181108", 92, "4443673547860492590", 92, "5583722120771150861", 91,
        "6311230543546372928", 91, "13444792449719432967", 92, "16117243373044804889", 90);
    expected.forEach((hash, port) -> assertEquals(port, pick(picker, u64(hash)).port(), hash));
  }

  @Test
  void envoyHostWeightedLargeRing() {
    List<Endpoint> hosts = List.of(local(90), local(91).withWeight(2), local(92).withWeight(3));
    HashRing ring = ring(hosts, 6144, MAX);
    assertEquals(6144, ring.size());
    assertEquals(1024, ring.minEntriesPerHost());
    assertEquals(3072, ring.maxEntriesPerHost());
    Map<Integer, Integer> hits = sampleEvenly(picker(hosts, 6144, MAX), 6000);
    assertEquals(Map.of(90, 987, 91, 1932, 92, 3081), hits);
  }

  @Test
  void envoyHostAndLocalityWeightedTinyRingAsHostWeights() {
    // Envoy's HostAndLocalityWeightedTinyRing normalises to 1/9, 2/9, 2/9, 4/9; host weights 1, 2,
    // 2, 4 give a ring of the same shape.
    List<Endpoint> hosts = List.of(local(90), local(91).withWeight(2), local(92).withWeight(2), local(93).withWeight(4));
    HashRing ring = ring(hosts, 9, 9);
    assertEquals(9, ring.size());
    assertEquals(1, ring.minEntriesPerHost());
    assertEquals(4, ring.maxEntriesPerHost());
    Picker picker = picker(hosts, 9, 9);
    Map<String, Integer> expected = Map.of(
        "928266305478181108", 92, "3851675632748031481", 93, "5583722120771150861", 91,
        "6311230543546372928", 91, "7700377290971790572", 93, "12559126875973811811", 93,
        "13444792449719432967", 92, "13784988426630141778", 93, "16117243373044804889", 90);
    expected.forEach((hash, port) -> assertEquals(port, pick(picker, u64(hash)).port(), hash));
  }

  @Test
  void envoySmallFractionalScale() {
    // Four hosts, ring of exactly 2: two hosts get an entry, two get none.
    HashRing ring = ring(locals(90, 91, 92, 93), 2, 2);
    assertEquals(2, ring.size());
    assertEquals(0, ring.minEntriesPerHost());
    assertEquals(1, ring.maxEntriesPerHost());
    Map<Integer, Integer> hits = sampleEvenly(picker(locals(90, 91, 92, 93), 2, 2), 1024);
    assertEquals(2, hits.size());
    assertEquals(1024, hits.values().stream().mapToInt(Integer::intValue).sum());
  }

  @Test
  void envoyLargeFractionalScale() {
    HashRing ring = ring(locals(90, 91), 1023, 1023);
    assertEquals(1023, ring.size());
    assertEquals(511, ring.minEntriesPerHost());
    assertEquals(512, ring.maxEntriesPerHost());
    assertEquals(Map.of(90, 526, 91, 497), sampleEvenly(picker(locals(90, 91), 1023, 1023), 1023));
  }

  @Test
  void lopsidedWeightsSmallScale() {
    // Envoy's LopsidedWeightSmallScale (localities 127:1, one heavy host and 1,023 light ones, ring
    // of exactly 1,024) as host weights. Envoy's heavy host is 127.0.0.1:0, a port lb4j rejects, so
    // ports are shifted by one: which hosts get entries is structural and stays the same.
    List<Endpoint> hosts = new ArrayList<>();
    hosts.add(local(1).withWeight(127 * 1023));
    for (int port = 2; port <= 1024; port++) {
      hosts.add(local(port));
    }
    HashRing ring = ring(hosts, 1024, 1024);
    assertEquals(1024, ring.size());
    assertEquals(0, ring.minEntriesPerHost());
    assertEquals(1016, ring.maxEntriesPerHost());
    Map<Integer, Integer> entries = new HashMap<>();
    for (int i = 0; i < ring.size(); i++) {
      entries.merge(((EndpointView) ring.itemAt(i)).endpoint().port() - 1, 1, Integer::sum);
    }
    // Envoy: hosts 1, 128, 256, ..., 896 (indices into the list) get one entry each.
    Map<Integer, Integer> expected = new HashMap<>(Map.of(0, 1016));
    for (int index : new int[] {1, 128, 256, 384, 512, 640, 768, 896}) {
      expected.put(index, 1);
    }
    assertEquals(expected, entries);
  }

  @Test
  void defaultRingIsAtLeastMinimumAndHashesAddressUnderscoreIndex() {
    Endpoint v6 = Endpoint.parse("[2001:db8::1]:8080");
    Endpoint v4 = Endpoint.of("10.1.2.3", 443);
    HashRing ring = ring(List.of(v6, v4), 1024, MAX);
    assertEquals(1024, ring.size());
    Set<Long> expected = new HashSet<>();
    for (int i = 0; i < 512; i++) {
      expected.add(HashPolicySupport.XXH64.hashBytes(("[2001:db8::1]:8080_" + i).getBytes(StandardCharsets.UTF_8)));
      expected.add(HashPolicySupport.XXH64.hashBytes(("10.1.2.3:443_" + i).getBytes(StandardCharsets.UTF_8)));
    }
    Set<Long> actual = new HashSet<>();
    for (int i = 0; i < ring.size(); i++) {
      actual.add(ring.hashAt(i));
      if (i > 0) {
        assertTrue(Long.compareUnsigned(ring.hashAt(i - 1), ring.hashAt(i)) <= 0, "sorted at " + i);
      }
    }
    assertEquals(expected, actual);
  }

  @Test
  void ringIsCappedAtMaximum() {
    // 1,000 equal hosts with min 1,024 would want 2,000 entries; the maximum caps it.
    HashRing ring = ring(envoyBenchmarkHosts(1000), 1024, 1500);
    assertEquals(1500, ring.size());
    assertEquals(1, ring.minEntriesPerHost());
    assertEquals(2, ring.maxEntriesPerHost());
  }

  @Test
  void lookupIsFirstEntryAtOrAboveWrapping() {
    HashRing ring = ring(envoyBenchmarkHosts(50), 1024, MAX);
    Random random = new Random(7);
    for (int k = 0; k < 2_000; k++) {
      long h = random.nextLong();
      int expectedIndex = 0;
      for (int i = 0; i < ring.size(); i++) {
        if (Long.compareUnsigned(ring.hashAt(i), h) >= 0) {
          expectedIndex = i;
          break;
        }
      }
      assertSame(ring.itemAt(expectedIndex), ring.lookup(h), Long.toUnsignedString(h));
    }
    long last = ring.hashAt(ring.size() - 1);
    assertSame(ring.itemAt(0), ring.lookup(last + 1));
    assertSame(ring.itemAt(ring.size() - 1), ring.lookup(last));
  }

  @Test
  void radixSortOrdersUnsignedAndIsStable() {
    Random random = new Random(3);
    int n = 5_000;
    long[] hashes = new long[n];
    int[] owners = new int[n];
    for (int i = 0; i < n; i++) {
      hashes[i] = i % 10 == 0 ? hashes[random.nextInt(Math.max(1, i))] : random.nextLong(); // some repeats
      owners[i] = i;
    }
    Long[] boxed = new Long[n];
    for (int i = 0; i < n; i++) {
      boxed[i] = hashes[i];
    }
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Long.compareUnsigned(boxed[a], boxed[b])); // stable merge sort
    HashRing.sortByUnsignedHash(hashes, owners);
    int[] expectedOwners = Arrays.stream(order).mapToInt(Integer::intValue).toArray();
    assertArrayEquals(expectedOwners, owners);
    for (int i = 0; i < n; i++) {
      assertEquals(boxed[order[i]].longValue(), hashes[i]);
    }
  }

  @Test
  void removingAnEndpointMovesOnlyItsKeys() {
    // 500 and 499 equal endpoints both get 3 entries each at the default minimum of 1,024.
    List<Endpoint> hosts = envoyBenchmarkHosts(500);
    Picker before = Policies.ringHash().newPicker(views(hosts));
    Endpoint removed = hosts.get(137);
    List<Endpoint> fewer = new ArrayList<>(hosts);
    fewer.remove(removed);
    Picker after = Policies.ringHash().newPicker(views(fewer));
    int keys = 10_000;
    int[] moved = HashFixtures.movedKeys(h -> pick(before, h), h -> pick(after, h), removed, keys);
    System.out.printf("ring hash host loss 500->499, %d keys: %.2f %% moved, %.2f %% from the removed host%n",
        keys, 100.0 * moved[0] / keys, 100.0 * moved[1] / keys);
    assertTrue(moved[0] > 0, "the removed host owned some keys");
    assertEquals(moved[1], moved[0], "keys moved off endpoints that stayed");
  }

  @Test
  void removalThatChangesTheScaleAlsoMovesKeysToNewEntries() {
    // At minRingSize 1,024, 40 equal endpoints get 26 entries each and 39 get 27: every remaining
    // endpoint gains an entry ("_26"), which takes keys from its ring neighbours. Envoy does the same.
    List<Endpoint> hosts = envoyBenchmarkHosts(40);
    HashRing big = ring(hosts, 1024, MAX);
    HashRing small = ring(hosts.subList(0, 39), 1024, MAX);
    assertEquals(26, big.maxEntriesPerHost());
    assertEquals(27, small.minEntriesPerHost());
    int keys = 10_000;
    int[] moved = HashFixtures.movedKeys(
        h -> ((EndpointView) big.lookup(h)).endpoint(), h -> ((EndpointView) small.lookup(h)).endpoint(), hosts.get(39), keys);
    System.out.printf("ring hash 40->39 (26->27 entries each), %d keys: %.2f %% moved, %.2f %% from the removed host%n",
        keys, 100.0 * moved[0] / keys, 100.0 * moved[1] / keys);
    assertTrue(moved[0] > moved[1], "new entries took keys from remaining endpoints");
  }

  @Test
  void sticky() {
    HashFixtures.assertSticky(Policies.ringHash());
  }

  @Test
  void noHashPicksAtRandomByRingShare() {
    HashFixtures.assertRandomFallbackFollowsWeights(Policies.ringHash());
  }

  @Test
  void singleEndpointAlwaysPicked() {
    Picker picker = Policies.ringHash().newPicker(views(locals(90)));
    assertEquals(90, pick(picker, 0).port());
    assertEquals(90, pick(picker, -1L).port());
    assertEquals(90, picker.pick(PickContext.EMPTY).endpoint().port());
  }

  @Test
  void validation() {
    Policy policy = Policies.ringHash();
    assertEquals("ring_hash", policy.name());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Policies.ringHash(0, 10));
    assertEquals("minRingSize must be in 1..8388608, was 0", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Policies.ringHash(1, 8_388_609));
    assertEquals("maxRingSize must be in 1..8388608, was 8388609", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Policies.ringHash(20, 10));
    assertEquals("minRingSize (20) must be <= maxRingSize (10)", e.getMessage());
    Policies.ringHash(8_388_608, 8_388_608); // Envoy's bounds are inclusive

    e = assertThrows(IllegalArgumentException.class, () -> policy.newPicker(List.of()));
    assertTrue(e.getMessage().contains("must not be empty"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> policy.newPicker(views(List.of(local(90), local(90).withWeight(2)))));
    assertEquals("endpoints must have distinct addresses, duplicate 127.0.0.1:90", e.getMessage());
  }
}
