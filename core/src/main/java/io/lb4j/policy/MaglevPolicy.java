package io.lb4j.policy;

import java.util.List;

/**
 * Envoy's Maglev consistent hashing: a request with a hash goes to {@code table[hash mod M]}, where
 * the table is built exactly as Envoy builds it (see {@link MaglevTable} for the construction), so
 * lb4j and an Envoy sidecar with the same endpoints pick the same endpoint for the same hash.
 *
 * <p>Keys are endpoint addresses (Envoy's default, {@code use_hostname_for_hashing} off), weights
 * are {@link io.lb4j.Endpoint#weight()} (not the slow-start ramp: Envoy's hash balancers do not ramp
 * either, and a ramp would move keys on every step). The table does not depend on the order of the
 * eligible list. Removing one of N endpoints moves about 1/N of the keys, plus Maglev's small extra
 * churn (about 1 % of keys for one of 500 endpoints, as Envoy measures).
 *
 * <p>A pick without a hash ({@link io.lb4j.PickContext#EMPTY}) uses a random 64-bit hash instead,
 * as Envoy does, so it is random in proportion to table slots, which follow weights.
 *
 * <p>Cost: building a picker is O(M log M) expected plus O(n log n) for sorting keys (1,000
 * endpoints at M = 65,537: a few milliseconds) and holds M references. A pick is one unsigned
 * remainder and one array read: O(1), no lock, no allocation. Immutable and thread-safe.
 */
public final class MaglevPolicy implements HashPolicy {

  /** Envoy's default table size, 65,537 (a prime). */
  public static final int DEFAULT_TABLE_SIZE = MaglevTable.DEFAULT_TABLE_SIZE;

  private final int tableSize;

  /**
   * @throws IllegalArgumentException if {@code tableSize} is not a prime of at most 5,000,011
   */
  MaglevPolicy(int tableSize) {
    this.tableSize = MaglevTable.checkTableSize(tableSize);
  }

  /** Returns {@code "maglev"}. */
  @Override
  public String name() {
    return "maglev";
  }

  /** The table size M, a prime. */
  public int tableSize() {
    return tableSize;
  }

  @Override
  public Picker newPicker(List<? extends EndpointView> eligible) {
    HashPolicySupport.Hosts hosts = HashPolicySupport.Hosts.ofViews(eligible, true);
    if (hosts.size() == 1) {
      EndpointView only = (EndpointView) hosts.items[0];
      return ctx -> only;
    }
    EndpointView[] table = new EndpointView[tableSize];
    MaglevTable.fill(hosts, table);
    int m = tableSize;
    return ctx -> table[(int) Long.remainderUnsigned(HashPolicySupport.requestHash(ctx), m)];
  }

  @Override
  public String toString() {
    return "maglev(tableSize=" + tableSize + ")";
  }
}
