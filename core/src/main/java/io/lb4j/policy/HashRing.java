package io.lb4j.policy;

import java.util.Arrays;
import java.util.Objects;

/**
 * Envoy's hash ring ({@code RingHashLoadBalancer::Ring}): entry hashes in ascending unsigned order,
 * the item each entry belongs to, and a bucket index over the hashes that makes a lookup O(1)
 * expected instead of a binary search. Immutable after construction; {@link #lookup} is
 * thread-safe, lock-free and allocation-free.
 *
 * <p><b>Index.</b> The ring's R entry hashes are XXH64 outputs, so they are spread evenly over the
 * 64-bit range. The range is cut into {@code B} equal buckets by the top {@code log2 B} bits of the
 * hash ({@code B} the power of two with {@code R/2 < B <= R}, at least 2), and {@code starts[b]}
 * holds the first entry whose hash is at or above bucket {@code b}'s lower bound. The answer for a
 * hash in bucket {@code b} is then at or after {@code starts[b]}, and at most one past the entries
 * in its bucket: a short forward scan (1 to 2 entries per bucket on average) finds it. A sentinel
 * entry past the last, at hash {@code 2^64 - 1} and standing for the first entry, ends every scan
 * without a bounds test and is the wrap-around. The picks are exactly a binary search's.
 *
 * <p>Hashes are kept with their top bit flipped ({@code hash ^ Long.MIN_VALUE}), so that a signed
 * comparison orders them as unsigned values.
 *
 * <p>If some bucket holds more than {@value #MAX_BUCKET_RUN} entries (hashes that are not spread,
 * which XXH64 does not produce in practice), the ring drops the index and binary-searches, so a
 * lookup is never worse than O(log R).
 */
final class HashRing {

  /** Buckets longer than this make the ring binary-search instead of scanning. */
  static final int MAX_BUCKET_RUN = 32;

  /** Entry hashes ^ Long.MIN_VALUE, ascending (signed), plus a sentinel {@code Long.MAX_VALUE}. */
  private final long[] keys;
  /** Items by entry, plus the sentinel's: the first entry's item. */
  private final Object[] items;
  /** First entry at or above each bucket's lower bound, or null to binary-search. */
  private final int[] starts;
  /** 64 minus the number of bucket bits: {@code hash >>> shift} is the bucket. */
  private final int shift;
  private final int minEntriesPerHost;
  private final int maxEntriesPerHost;

  private HashRing(long[] keys, Object[] items, int[] starts, int shift, int minEntriesPerHost,
      int maxEntriesPerHost) {
    this.keys = keys;
    this.items = items;
    this.starts = starts;
    this.shift = shift;
    this.minEntriesPerHost = minEntriesPerHost;
    this.maxEntriesPerHost = maxEntriesPerHost;
  }

  /**
   * A ring over these entries, in any order: sorted by unsigned hash (stably, so equal hashes keep
   * their order here) and indexed.
   *
   * <p>The sort is the index's own counting pass: entries are counted per bucket, the counts'
   * prefix sums are the bucket starts, entries are scattered to their buckets in order, and an
   * insertion sort orders each bucket's few entries. O(R) for spread hashes; if a bucket holds more
   * than {@value #MAX_BUCKET_RUN} entries, a radix sort instead, and no index.
   *
   * @param hashes entry hashes, at least one; not modified
   * @param owners for each entry, the index of its item in {@code items}
   * @param items the entries' items
   */
  static HashRing of(long[] hashes, int[] owners, Object[] items, int minEntriesPerHost, int maxEntriesPerHost) {
    int size = hashes.length;
    int bits = Math.max(1, 31 - Integer.numberOfLeadingZeros(size));
    int shift = Long.SIZE - bits;
    int[] starts = new int[(1 << bits) + 1];
    for (long h : hashes) {
      starts[(int) (h >>> shift) + 1]++;
    }
    boolean spread = true;
    for (int b = 1; b < starts.length; b++) {
      spread &= starts[b] <= MAX_BUCKET_RUN;
      starts[b] += starts[b - 1];
    }
    long[] keys = new long[size + 1];
    // Entry indices travel with the keys, and the items are written in ring order at the end: a
    // reference stored at a random index of a large array costs the garbage collector's write
    // barrier a card of its own, in-order stores share cards.
    int[] order = new int[size];
    if (spread) {
      int[] next = Arrays.copyOf(starts, starts.length - 1);
      for (int i = 0; i < size; i++) {
        int at = next[(int) (hashes[i] >>> shift)]++;
        keys[at] = hashes[i] ^ Long.MIN_VALUE;
        order[at] = i;
      }
      insertionSort(keys, order, size);
    } else {
      long[] radix = hashes.clone();
      Arrays.setAll(order, i -> i);
      sortByUnsignedHash(radix, order);
      for (int i = 0; i < size; i++) {
        keys[i] = radix[i] ^ Long.MIN_VALUE;
      }
      starts = null;
    }
    Object[] sorted = new Object[size + 1];
    for (int i = 0; i < size; i++) {
      sorted[i] = items[owners[order[i]]];
    }
    keys[size] = Long.MAX_VALUE; // 2^64 - 1 unsigned: at or above every hash
    sorted[size] = sorted[0];
    return new HashRing(keys, sorted, starts, shift, minEntriesPerHost, maxEntriesPerHost);
  }

  /**
   * Sorts {@code keys[0..size)} (signed order) carrying {@code order} along, stably. Cheap only
   * when every key is already near its place, as after the bucket scatter.
   */
  private static void insertionSort(long[] keys, int[] order, int size) {
    for (int j = 1; j < size; j++) {
      long key = keys[j];
      if (keys[j - 1] <= key) {
        continue;
      }
      int entry = order[j];
      int k = j;
      do {
        keys[k] = keys[k - 1];
        order[k] = order[k - 1];
        k--;
      } while (k > 0 && keys[k - 1] > key);
      keys[k] = key;
      order[k] = entry;
    }
  }

  /**
   * Builds the ring exactly as Envoy does.
   *
   * <p>{@code scale = min(ceil(minWeight * minRingSize) / minWeight, maxRingSize)}, so the lightest
   * host gets a whole number of entries and the ring stays within bounds. Walking the hosts in
   * order, {@code target += scale * weight} and the host gets entries while the running count is
   * below the target: fractional shares carry over to the next host, as in Envoy. Entry {@code i}
   * of a host hashes {@code key + "_" + i} (decimal {@code i}) with XXH64, seed 0.
   */
  static HashRing build(HashPolicySupport.Hosts hosts, int minRingSize, int maxRingSize) {
    int n = hosts.size();
    double minWeight = hosts.minWeight;
    double scale = Math.min(Math.ceil(minWeight * minRingSize) / minWeight, (double) maxRingSize);
    // Envoy's running sums.
    long[] counts = new long[n];
    double current = 0.0;
    double target = 0.0;
    for (int h = 0; h < n; h++) {
      target += scale * hosts.weights[h];
      long count = 0;
      while (current < target) {
        count++;
        current++;
      }
      counts[h] = count;
    }
    return place(hosts, counts);
  }

  /**
   * Builds a stable ring: host {@code h} gets {@code entriesPerWeight * weight(h)} entries, the same
   * whatever the other hosts, placed as Envoy places entries ({@code key + "_" + i}, XXH64). Adding
   * a host therefore only adds its entries (keys move only to it), removing one only removes its
   * entries (only its keys move), and changing a weight only adds or removes that host's top
   * entries. If the entries would exceed {@code maxRingSize}, every count is scaled down in
   * proportion (at least 1 each), which gives up that stability for this build.
   */
  static HashRing buildStable(HashPolicySupport.Hosts hosts, int entriesPerWeight, int maxRingSize) {
    int n = hosts.size();
    long[] counts = new long[n];
    long total = 0;
    for (int h = 0; h < n; h++) {
      counts[h] = (long) entriesPerWeight * hosts.rawWeights[h];
      total += counts[h];
    }
    if (total > maxRingSize) {
      for (int h = 0; h < n; h++) {
        counts[h] = Math.max(1L, (long) Math.floor((double) counts[h] * maxRingSize / total));
      }
    }
    return place(hosts, counts);
  }

  /** Hashes {@code counts[h]} entries for each host, sorts them and builds the ring. */
  private static HashRing place(HashPolicySupport.Hosts hosts, long[] counts) {
    int n = hosts.size();
    long total = 0;
    for (long c : counts) {
      total += c;
    }
    if (total > Integer.MAX_VALUE - 8) {
      throw new IllegalStateException("ring hash: ring of " + total + " entries is too large");
    }
    int size = (int) total;
    long[] hashes = new long[size];
    int[] owners = new int[size];
    int min = Integer.MAX_VALUE;
    int max = 0;
    int at = 0;
    byte[] buf = new byte[64];
    for (int h = 0; h < n; h++) {
      byte[] key = hosts.keys[h];
      if (buf.length < key.length + 12) {
        buf = new byte[key.length + 12];
      }
      System.arraycopy(key, 0, buf, 0, key.length);
      buf[key.length] = '_';
      int prefix = key.length + 1;
      for (int i = 0; i < counts[h]; i++) {
        int len = prefix + writeDecimal(i, buf, prefix);
        hashes[at] = HashPolicySupport.XXH64.hashBytes(buf, 0, len);
        owners[at] = h;
        at++;
      }
      min = Math.min(min, (int) counts[h]);
      max = Math.max(max, (int) counts[h]);
    }
    return of(hashes, owners, hosts.items, min, max);
  }

  /**
   * The item of the first entry whose hash is {@code >= hash} (unsigned), wrapping to the first
   * entry past the last: what Envoy's ketama search returns. Never null for a non-empty ring.
   */
  Object lookup(long hash) {
    int[] st = starts;
    if (st == null) {
      return items[lowerBound(hash)];
    }
    long key = hash ^ Long.MIN_VALUE;
    long[] ks = keys;
    int i = st[(int) (hash >>> shift)];
    while (ks[i] < key) { // ends at the sentinel at the latest
      i++;
    }
    return items[i];
  }

  /**
   * The first entry whose hash is {@code >= hash} (unsigned), by binary search; the sentinel's
   * index ({@link #size()}) when there is none. The reference {@link #lookup} must agree with.
   */
  int lowerBound(long hash) {
    long key = hash ^ Long.MIN_VALUE;
    long[] ks = keys;
    int lo = 0;
    int hi = ks.length - 1;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (ks[mid] < key) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** Whether lookups use the bucket index (false: binary search, for badly spread hashes). */
  boolean indexed() {
    return starts != null;
  }

  /** Number of entries on the ring (the sentinel not counted). */
  int size() {
    return keys.length - 1;
  }

  /** Hash of entry {@code i}, in ascending unsigned order. */
  long hashAt(int i) {
    return keys[Objects.checkIndex(i, size())] ^ Long.MIN_VALUE;
  }

  /** Item of entry {@code i}. */
  Object itemAt(int i) {
    return items[Objects.checkIndex(i, size())];
  }

  /** Fewest entries any host got (Envoy's {@code min_hashes_per_host}). */
  int minEntriesPerHost() {
    return minEntriesPerHost;
  }

  /** Most entries any host got (Envoy's {@code max_hashes_per_host}). */
  int maxEntriesPerHost() {
    return maxEntriesPerHost;
  }

  /** Writes {@code value >= 0} in decimal at {@code buf[off..]}, returns the digit count. */
  private static int writeDecimal(int value, byte[] buf, int off) {
    int digits = 1;
    for (int v = value; v >= 10; v /= 10) {
      digits++;
    }
    int pos = off + digits;
    int v = value;
    do {
      buf[--pos] = (byte) ('0' + v % 10);
      v /= 10;
    } while (v != 0);
    return digits;
  }

  /**
   * Stable LSD radix sort of {@code hashes} (unsigned) carrying {@code owners} along: O(n), no
   * boxing. Stability makes equal hashes (practically never seen) keep host order, so the ring is
   * deterministic; Envoy's {@code std::sort} leaves their order unspecified.
   */
  static void sortByUnsignedHash(long[] hashes, int[] owners) {
    int n = hashes.length;
    if (n < 2) {
      return;
    }
    long[] srcH = hashes;
    int[] srcO = owners;
    long[] dstH = new long[n];
    int[] dstO = new int[n];
    int[] starts = new int[257];
    for (int shift = 0; shift < 64; shift += 8) {
      Arrays.fill(starts, 0);
      for (long h : srcH) {
        starts[digit(h, shift) + 1]++;
      }
      if (starts[digit(srcH[0], shift) + 1] == n) {
        continue; // every hash has the same digit here: the pass would move nothing
      }
      for (int b = 0; b < 256; b++) {
        starts[b + 1] += starts[b];
      }
      for (int i = 0; i < n; i++) {
        int dst = starts[digit(srcH[i], shift)]++;
        dstH[dst] = srcH[i];
        dstO[dst] = srcO[i];
      }
      long[] th = srcH;
      srcH = dstH;
      dstH = th;
      int[] to = srcO;
      srcO = dstO;
      dstO = to;
    }
    if (srcH != hashes) {
      System.arraycopy(srcH, 0, hashes, 0, n);
      System.arraycopy(srcO, 0, owners, 0, n);
    }
  }

  private static int digit(long h, int shift) {
    return (int) (h >>> shift) & 0xff;
  }
}
