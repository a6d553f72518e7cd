package io.lb4j.policy;

import io.lb4j.Endpoint;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A Maglev lookup table built exactly as Envoy builds it, so that lb4j and an Envoy sidecar with the
 * same endpoints send the same request hash to the same endpoint. Exposed for conformance tests and
 * tooling; {@link MaglevPolicy} builds the same table over its eligible endpoints.
 *
 * <p>The construction is Envoy's ({@code maglev_lb.cc}, Maglev paper section 3.4 with Envoy's
 * weighting):
 *
 * <ol>
 *   <li>Each endpoint's key is its {@link Endpoint#address() address} (Envoy's default: the
 *       address, not the host name). Endpoints are sorted by key in unsigned byte order, so the
 *       table does not depend on list order.
 *   <li>Weights are normalised to sum 1 in double: {@code weight * 1.0 / sum}.
 *   <li>Per endpoint, {@code offset = XXH64(key, seed 0) mod M} and {@code skip = XXH64(key, seed 1)
 *       mod (M - 1) + 1} (unsigned), and its preference list is {@code (offset + skip * next) mod
 *       M}.
 *   <li>In rounds {@code 1, 2, ...} the endpoints take turns in key order; an endpoint claims a
 *       slot in a round only if {@code round * weight >= target}, then {@code target += maxWeight}.
 *       A claim takes the first free slot on its preference list. Rounds repeat until all {@code M}
 *       slots are full.
 * </ol>
 *
 * <p>Lookup is {@code table[hash mod M]} with the hash unsigned. With more endpoints than slots,
 * some endpoints get no slot (as in Envoy).
 *
 * <p>Cost: building is O(M log M) expected probes of a bitmap, with the last {@code sqrt(M)} claims
 * done by a scan of the free slots instead, plus O(n log n) for sorting keys; 1,000 endpoints at
 * M = 65,537 take about 1.5 ms (see BENCHMARKS.md). The table holds M references. Lookup is one
 * unsigned remainder, computed with two multiplications, and one array read.
 *
 * <p>Immutable and thread-safe.
 */
public final class MaglevTable {

  /** Envoy's default table size, the prime the Maglev paper recommends. */
  static final int DEFAULT_TABLE_SIZE = 65_537;

  /** Envoy's upper bound on the table size. */
  static final int MAX_TABLE_SIZE = 5_000_011;

  private final Endpoint[] table;
  private final long reciprocal;

  private MaglevTable(Endpoint[] table) {
    this.table = table;
    this.reciprocal = reciprocal(table.length);
  }

  /**
   * Builds the table.
   *
   * @param endpoints at least one endpoint, distinct addresses; order does not matter
   * @param tableSize a prime, at most 5,000,011 (Envoy's default is 65,537)
   * @throws IllegalArgumentException if {@code endpoints} is null, empty, holds null or a repeated
   *     address, or {@code tableSize} is not a prime in range; the message names the argument
   */
  public static MaglevTable build(List<Endpoint> endpoints, int tableSize) {
    checkTableSize(tableSize);
    HashPolicySupport.Hosts hosts = HashPolicySupport.Hosts.ofEndpoints(endpoints, true);
    Endpoint[] table = new Endpoint[tableSize];
    fill(hosts, table);
    return new MaglevTable(table);
  }

  /** The number of slots, M. */
  public int size() {
    return table.length;
  }

  /**
   * The endpoint at slot {@code index}.
   *
   * @throws IndexOutOfBoundsException unless {@code 0 <= index < size()}
   */
  public Endpoint get(int index) {
    return table[Objects.checkIndex(index, table.length)];
  }

  /** The endpoint for a request hash: {@code get((int) Long.remainderUnsigned(hash, size()))}. */
  public Endpoint lookup(long hash) {
    return table[slot(hash, table.length, reciprocal)];
  }

  /**
   * {@code floor((2^64 - 1) / m)}, the constant {@link #slot} multiplies by in place of dividing by
   * {@code m}.
   */
  static long reciprocal(int m) {
    return Long.divideUnsigned(-1L, m);
  }

  /**
   * {@code Long.remainderUnsigned(hash, m)} for {@code 2 <= m < 2^31}, by Barrett reduction: two
   * multiplications instead of a 64-bit division (JDK 17 has no intrinsic for unsigned division,
   * and a 64-bit divide takes tens of cycles). With {@code r = reciprocal(m)}, the quotient estimate
   * {@code q = floor(hash * r / 2^64)} (hash unsigned) is short of {@code floor(hash / m)} by at most
   * one, because {@code m * r = 2^64 - 1 - e} with {@code e < m} makes {@code hash * r / 2^64} fall
   * short of {@code hash / m} by {@code hash * (1 + e) / (m * 2^64) < 1}; so {@code hash - q * m} is
   * below {@code 2m} and one conditional subtraction finishes. Slot for slot the same as Envoy's
   * {@code hash % table_size}.
   */
  static int slot(long hash, int m, long reciprocal) {
    // Unsigned high product: the signed one plus reciprocal when hash's top bit is set (reciprocal
    // itself is below 2^63 for m >= 2, so no second correction).
    long q = Math.multiplyHigh(hash, reciprocal) + ((hash >> 63) & reciprocal);
    long r = hash - q * m;
    return (int) (r >= m ? r - m : r);
  }

  @Override
  public String toString() {
    return "MaglevTable{size=" + table.length + "}";
  }

  /**
   * Requires a prime table size of at most {@link #MAX_TABLE_SIZE}.
   *
   * @throws IllegalArgumentException naming {@code tableSize} and its value
   */
  static int checkTableSize(int tableSize) {
    if (tableSize > MAX_TABLE_SIZE) {
      throw new IllegalArgumentException("tableSize must be at most " + MAX_TABLE_SIZE + ", was " + tableSize);
    }
    if (!isPrime(tableSize)) {
      throw new IllegalArgumentException("tableSize must be a prime number, was " + tableSize);
    }
    return tableSize;
  }

  static boolean isPrime(int n) {
    if (n < 2) {
      return false;
    }
    if (n % 2 == 0) {
      return n == 2;
    }
    for (int d = 3; (long) d * d <= n; d += 2) {
      if (n % d == 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * Fills every slot of {@code table} (length M, all null) with one of {@code hosts.items}, which
   * must already be sorted by key: Envoy's {@code OriginalMaglevTable} construction.
   *
   * <p>Each claim walks the endpoint's preference list to its first free slot. While many slots
   * are free that takes few probes, which read a bitmap of taken slots (8 KB at M = 65,537, cache
   * resident) rather than the table. With {@code k} slots free a claim takes about {@code M / k}
   * probes, so the last claims would take most of the build (probing all the way costs about
   * {@code M ln M} probes, over half of them in the last 1 % of claims). Once at most
   * {@link #tailSize} slots are free, a claim instead looks at every free slot and takes the one
   * fewest steps ahead on the endpoint's list: slot {@code s} is {@code (s - position) / skip}
   * steps ahead, mod M. That is the slot the walk would reach first, so the table is the same.
   */
  static void fill(HashPolicySupport.Hosts hosts, Object[] table) {
    int m = table.length;
    int n = hosts.size();
    Object[] items = hosts.items;
    if (n == 1) {
      // One endpoint owns every slot whatever its permutation; skip the probing.
      Arrays.fill(table, items[0]);
      return;
    }
    // (offset + skip * next) mod M, kept as a running position: adding skip (< M) and
    // subtracting M when past the end is the same value without a multiply or a division per probe.
    int[] position = new int[n];
    int[] skip = new int[n];
    double[] weight = hosts.weights;
    double[] target = new double[n];
    double maxWeight = hosts.maxWeight;
    for (int i = 0; i < n; i++) {
      byte[] key = hosts.keys[i];
      position[i] = (int) Long.remainderUnsigned(HashPolicySupport.XXH64.hashBytes(key), m);
      skip[i] = (int) Long.remainderUnsigned(HashPolicySupport.XXH64_SEED_1.hashBytes(key), m - 1) + 1;
    }
    long[] taken = new long[(m + 63) >>> 6];
    // Claims record the endpoint's index here and the table is written in slot order at the end:
    // a reference store at a random slot costs the garbage collector's write barrier a card of its
    // own (at M = 655,373 that made up most of the build), stores in order share cards.
    int[] owners = new int[m];
    int tail = tailSize(m);
    Tail free = null;
    int filled = 0;
    int[] claimants = new int[n];
    // Envoy's round counter is a uint32 and the product is taken in double; a long counter
    // converts to the same doubles (rounds never exceed M).
    for (long round = 1; filled < m; round++) {
      // Who claims this round depends only on each endpoint's own target, so the round's claimants
      // (in key order) are listed first, without a branch per endpoint: with mixed weights an
      // endpoint claims in only some rounds, and a branch would mispredict on a good share of them.
      int count = 0;
      for (int i = 0; i < n; i++) {
        claimants[count] = i;
        count += round * weight[i] >= target[i] ? 1 : 0;
      }
      for (int k = 0; k < count && filled < m; k++) {
        int i = claimants[k];
        target[i] += maxWeight;
        int c = position[i];
        int s = skip[i];
        if (free == null) {
          while ((taken[c >>> 6] & 1L << c) != 0) { // the shift takes c mod 64
            c = nextPosition(c, s, m);
          }
          taken[c >>> 6] |= 1L << c;
        } else {
          c = free.claimNearest(i, c, s);
        }
        owners[c] = i;
        position[i] = nextPosition(c, s, m);
        filled++;
        if (free == null && m - filled <= tail && filled < m) {
          free = new Tail(taken, m, n);
        }
      }
    }
    for (int slot = 0; slot < m; slot++) {
      table[slot] = items[owners[slot]];
    }
  }

  /**
   * {@code (position + skip) mod m} for positions and skips below {@code m}, without a branch: the
   * wrap happens on about half the probes at random (skips are spread over 1..M-1), which a branch
   * would mispredict.
   */
  private static int nextPosition(int position, int skip, int m) {
    int t = position + skip - m;
    return t + (m & (t >> 31));
  }

  /**
   * How few free slots make scanning them cheaper than probing: about {@code sqrt(M)}, where a
   * claim's {@code M / k} probes and its {@code k} distance computations cost about the same.
   */
  static int tailSize(int m) {
    return (int) Math.sqrt(m);
  }

  /** The free slots of a nearly full table, and each endpoint's inverse skip (mod M) once needed. */
  private static final class Tail {
    private final int m;
    private final long reciprocal;
    private final int[] slots;
    private int count;
    /** skip^-1 mod M per endpoint; 0 until computed (an inverse is never 0). */
    private final long[] inverse;

    Tail(long[] taken, int m, int n) {
      this.m = m;
      this.reciprocal = reciprocal(m);
      int[] found = new int[tailSize(m) + 1];
      for (int w = 0; w < taken.length; w++) {
        long bits = ~taken[w];
        while (bits != 0) {
          int slot = (w << 6) + Long.numberOfTrailingZeros(bits);
          if (slot >= m) {
            break;
          }
          found[count++] = slot;
          bits &= bits - 1;
        }
      }
      this.slots = found;
      this.inverse = new long[n];
    }

    /**
     * Takes the free slot that endpoint {@code i}, at {@code position} with step {@code skip},
     * reaches first; returns it.
     */
    int claimNearest(int i, int position, int skip) {
      long inv = inverse[i];
      if (inv == 0) {
        inv = inverse[i] = modInverse(skip, m);
      }
      int best = 0;
      int bestSteps = Integer.MAX_VALUE;
      for (int k = 0; k < count; k++) {
        int ahead = slots[k] - position;
        if (ahead < 0) {
          ahead += m;
        }
        int steps = slot(ahead * inv, m, reciprocal); // ahead / skip mod M, below 2^46
        if (steps < bestSteps) {
          bestSteps = steps;
          best = k;
        }
      }
      int slot = slots[best];
      slots[best] = slots[--count];
      return slot;
    }
  }

  /** {@code a^-1 mod m} for {@code 0 < a < m}, {@code m} prime (extended Euclid). */
  static long modInverse(int a, int m) {
    long oldR = a;
    long r = m;
    long oldS = 1;
    long s = 0;
    while (r != 0) {
      long q = oldR / r;
      long t = oldR - q * r;
      oldR = r;
      r = t;
      t = oldS - q * s;
      oldS = s;
      s = t;
    }
    return oldS < 0 ? oldS + m : oldS;
  }
}
