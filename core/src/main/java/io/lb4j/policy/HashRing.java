package io.lb4j.policy;

import java.util.Arrays;

/**
 * Envoy's hash ring ({@code RingHashLoadBalancer::Ring}) as two parallel arrays: entry hashes in
 * ascending unsigned order and the item each entry belongs to. Immutable after construction;
 * {@link #lookup} is thread-safe, lock-free and allocation-free.
 */
final class HashRing {

  private final long[] hashes;
  private final Object[] items;
  private final int minEntriesPerHost;
  private final int maxEntriesPerHost;

  private HashRing(long[] hashes, Object[] items, int minEntriesPerHost, int maxEntriesPerHost) {
    this.hashes = hashes;
    this.items = items;
    this.minEntriesPerHost = minEntriesPerHost;
    this.maxEntriesPerHost = maxEntriesPerHost;
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
    sortByUnsignedHash(hashes, owners);
    Object[] items = new Object[size];
    for (int i = 0; i < size; i++) {
      items[i] = hosts.items[owners[i]];
    }
    return new HashRing(hashes, items, min, max);
  }

  /**
   * The item of the first entry whose hash is {@code >= hash} (unsigned), wrapping to the first
   * entry past the last: what Envoy's ketama search returns. Never null for a non-empty ring.
   */
  Object lookup(long hash) {
    long[] hs = hashes;
    int lo = 0;
    int hi = hs.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (Long.compareUnsigned(hs[mid], hash) < 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return items[lo == hs.length ? 0 : lo];
  }

  /** Number of entries on the ring. */
  int size() {
    return hashes.length;
  }

  /** Hash of entry {@code i}, in ascending unsigned order. */
  long hashAt(int i) {
    return hashes[i];
  }

  /** Item of entry {@code i}. */
  Object itemAt(int i) {
    return items[i];
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
