package io.lb4j.policy;

import java.util.List;
import java.util.function.LongSupplier;

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
 * <p><b>Bounded load</b> (a {@code hashBalanceFactor} f, e.g. 1.25, Envoy's {@code
 * hash_balance_factor} of 100 f; shared with {@link RingHashPolicy}). With {@code T} requests in
 * flight across the balancer, the request being placed may use {@code ceil((T + 1) * f)} slots in
 * all and an endpoint of normalised weight {@code w} gets {@code max(1, ceil(slots * w))} of them.
 * The key's home endpoint (the plain pick) is taken while its in-flight count is at most its slots;
 * otherwise the other endpoints are tried in Envoy's order for the request hash ({@code
 * std::mt19937} seeded with the hash's low 32 bits, Fisher-Yates over the eligible list in its
 * order). The order depends only on the hash and the eligible list, so the same key always spills
 * the same way, here and in Envoy given the same endpoints in the same order. In that order, the
 * first endpoint below its fair share {@code ceil((T + 1) * w)} takes the request; if none is, the
 * first within its bound (Envoy's choice); if every endpoint is over, the least overloaded (home
 * first on a tie). Preferring endpoints below their fair share is lb4j's own: it keeps a hot key's
 * overflow from filling its first spill target to the bound and pushing that endpoint's keys out in
 * turn. So a pick reads at most every endpoint once and always returns, and while no endpoint is
 * over its bound, every pick is exactly the plain pick. Other divergences from Envoy: counts are
 * this balancer's (Envoy's are the cluster's, per process), and there is no retry {@code attempt}
 * that changes the home slot.
 *
 * <p><b>Skipping unavailable endpoints</b> ({@link #skippingUnavailable()}, what the gRPC adapter
 * uses): the table is built over every usable endpoint, and a key whose endpoint is not available
 * (ejected, unhealthy, not connected, outside the preferred zone) goes to the endpoint of the next
 * slot that is available. Maglev fills slots from the endpoints' permutations in turn, so the next
 * slot belongs to an unrelated endpoint and the unavailable endpoint's keys spread over the others
 * in proportion to their slots, as a rebuilt table would spread them; unlike a rebuild, no key of an
 * available endpoint moves and no table is built. Envoy rebuilds its table over the healthy
 * endpoints instead, so the two agree only while every endpoint is available.
 *
 * <p>Cost: building a picker is that of {@link MaglevTable} (1,000 endpoints at M = 65,537: about
 * 1.5 ms) and holds M references. A pick is one unsigned remainder (two multiplications, no
 * division) and one array read: O(1), no lock, no allocation. Bounded load adds one in-flight read
 * per pick, one total read when the home endpoint has 2 or more in flight, and, when the home
 * endpoint is over its bound, a spill: seeding the generator (about 400 steps) and one in-flight
 * read per endpoint tried, allocation-free after the thread's first spill. Immutable and
 * thread-safe.
 */
public final class MaglevPolicy implements HashPolicy {

  /** Envoy's default table size, 65,537 (a prime). */
  public static final int DEFAULT_TABLE_SIZE = MaglevTable.DEFAULT_TABLE_SIZE;

  private final int tableSize;
  /** 0 for no bounded load, else the balance factor in percent. */
  private final int balancePercent;
  private final ThreadLocal<BoundedLoad.Scratch> scratch;
  /** Whether pickers are built over all usable endpoints and walk past unavailable ones. */
  private final boolean skipUnavailable;

  /**
   * @throws IllegalArgumentException if {@code tableSize} is not a prime of at most 5,000,011
   */
  MaglevPolicy(int tableSize) {
    this(tableSize, 0);
  }

  /**
   * @param balancePercent 0 for no bounded load, else the factor in percent (100..1,000)
   * @throws IllegalArgumentException if {@code tableSize} is not a prime of at most 5,000,011 or
   *     the percent is out of range
   */
  MaglevPolicy(int tableSize, int balancePercent) {
    this(tableSize, balancePercent, false);
  }

  private MaglevPolicy(int tableSize, int balancePercent, boolean skipUnavailable) {
    this.tableSize = MaglevTable.checkTableSize(tableSize);
    this.balancePercent = HashPolicySupport.checkBalancePercent(balancePercent);
    this.scratch = HashPolicySupport.spillScratch(balancePercent);
    this.skipUnavailable = skipUnavailable;
  }

  /**
   * This policy, except that its tables are built over every usable endpoint and a key whose
   * endpoint is unavailable goes to the next slot whose endpoint is available (see the class
   * comment).
   */
  public MaglevPolicy skippingUnavailable() {
    return new MaglevPolicy(tableSize, balancePercent, true);
  }

  /** Whether this policy skips unavailable endpoints ({@link #skippingUnavailable()}). */
  @Override
  public boolean skipsUnavailable() {
    return skipUnavailable;
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

  /** The bounded-load balance factor (e.g. 1.25), or 0 when load is not bounded. */
  public double hashBalanceFactor() {
    return balancePercent / 100.0;
  }

  /** True with bounded load: pickers compare each endpoint with the balancer's total in flight. */
  @Override
  public boolean usesTotalInFlight() {
    return balancePercent != 0;
  }

  /**
   * Builds the table. With bounded load and no balancer, the total in flight is the sum over
   * {@code eligible}, read at every pick that needs it.
   */
  @Override
  public Picker newPicker(List<? extends EndpointView> eligible) {
    return newPicker(eligible, balancePercent == 0 ? null : HashPolicySupport.sumOfInFlight(eligible));
  }

  /** Builds the table; with bounded load, picks read {@code totalInFlight}. */
  @Override
  public Picker newPicker(List<? extends EndpointView> eligible, LongSupplier totalInFlight) {
    HashPolicySupport.Hosts hosts = HashPolicySupport.Hosts.ofViews(eligible, true);
    if (hosts.size() == 1) { // with bounded load too: every spill falls back to it
      return HashPolicySupport.HashPicker.only((EndpointView) hosts.items[0]);
    }
    return balancePercent == 0 ? plainPicker(hosts) : boundedPicker(hosts, totalInFlight);
  }

  private Picker plainPicker(HashPolicySupport.Hosts hosts) {
    EndpointView[] table = new EndpointView[tableSize];
    MaglevTable.fill(hosts, table);
    int m = tableSize;
    long reciprocal = MaglevTable.reciprocal(m);
    if (skipUnavailable) {
      return new HashPolicySupport.HashPicker() {
        @Override
        public EndpointView pickByHash(long hash) {
          int slot = MaglevTable.slot(hash, m, reciprocal);
          EndpointView home = table[slot];
          return home.available() ? home : (EndpointView) HashFallback.nextInTable(table, slot);
        }
      };
    }
    return new HashPolicySupport.HashPicker() {
      @Override
      public EndpointView pickByHash(long hash) {
        return table[MaglevTable.slot(hash, m, reciprocal)];
      }
    };
  }

  private Picker boundedPicker(HashPolicySupport.Hosts hosts, LongSupplier totalInFlight) {
    BoundedLoad.Host[] placed = hosts.boundedHosts();
    BoundedLoad.Host[] table = new BoundedLoad.Host[tableSize];
    MaglevTable.fill(hosts.withItems(placed), table);
    BoundedLoad bounded = new BoundedLoad(placed, balancePercent, totalInFlight, scratch);
    int m = tableSize;
    long reciprocal = MaglevTable.reciprocal(m);
    return new HashPolicySupport.HashPicker() {
      @Override
      public EndpointView pickByHash(long hash) {
        int slot = MaglevTable.slot(hash, m, reciprocal);
        BoundedLoad.Host home = table[slot];
        if (skipUnavailable && !home.view.available()) {
          home = (BoundedLoad.Host) HashFallback.nextInTable(table, slot);
        }
        return bounded.pick(home, hash);
      }
    };
  }

  @Override
  public String toString() {
    return "maglev(tableSize=" + tableSize + (balancePercent == 0 ? "" : ", hashBalanceFactor=" + hashBalanceFactor())
        + (skipUnavailable ? ", skippingUnavailable" : "") + ")";
  }
}
