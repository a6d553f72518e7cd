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
 * <p>Cost: building is O(M log M) expected for equal weights (each claim probes until it finds a
 * free slot) plus O(n log n) for sorting; 1,000 endpoints at M = 65,537 take a few milliseconds.
 * The table holds M references. Lookup is one unsigned remainder and one array read.
 *
 * <p>Immutable and thread-safe.
 */
public final class MaglevTable {

  /** Envoy's default table size, the prime the Maglev paper recommends. */
  static final int DEFAULT_TABLE_SIZE = 65_537;

  /** Envoy's upper bound on the table size. */
  static final int MAX_TABLE_SIZE = 5_000_011;

  private final Endpoint[] table;

  private MaglevTable(Endpoint[] table) {
    this.table = table;
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
    return table[(int) Long.remainderUnsigned(hash, table.length)];
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
    // subtracting M once is the same value without a multiply or a division per probe.
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
    int filled = 0;
    // Envoy's round counter is a uint32 and the product is taken in double; a long counter
    // converts to the same doubles (rounds never exceed M).
    for (long round = 1; filled < m; round++) {
      for (int i = 0; i < n && filled < m; i++) {
        if (round * weight[i] < target[i]) {
          continue;
        }
        target[i] += maxWeight;
        int c = position[i];
        int s = skip[i];
        while (table[c] != null) {
          c += s;
          if (c >= m) {
            c -= m;
          }
        }
        table[c] = items[i];
        c += s;
        if (c >= m) {
          c -= m;
        }
        position[i] = c;
        filled++;
      }
    }
  }
}
