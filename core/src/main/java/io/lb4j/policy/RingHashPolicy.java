package io.lb4j.policy;

import io.lb4j.internal.ConfigChecks;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Ring hash (ketama) consistent hashing, by default built exactly as Envoy builds its ring so that
 * lb4j and an Envoy sidecar with the same endpoints pick the same endpoint for the same request
 * hash; optionally a stable ring that moves only the keys it must, and optionally bounded load.
 *
 * <p><b>Envoy's construction</b> (the default; {@code ring_hash_lb.cc}, hash function XXH64):
 *
 * <ol>
 *   <li>Weights are normalised to sum 1 in double ({@code weight * 1.0 / sum}).
 *   <li>{@code scale = min(ceil(minWeight * minRingSize) / minWeight, maxRingSize)}: the lightest
 *       endpoint gets a whole number of entries, and the ring holds at least {@code minRingSize}
 *       and at most {@code maxRingSize} entries.
 *   <li>Walking the eligible endpoints in list order with running sums, an endpoint gets entries
 *       while the running entry count is below the running target {@code sum(scale * weight)};
 *       fractional shares carry over to the next endpoint, so with a tight maximum which endpoint
 *       gets the odd entry depends on list order, as in Envoy.
 *   <li>Entry {@code i} of an endpoint sits at {@code XXH64(address + "_" + i)}, seed 0, over the
 *       UTF-8 bytes; the address is Envoy's default key ({@code use_hostname_for_hashing} off),
 *       e.g. {@code 10.0.0.1:8080_0}, {@code [::1]:8080_3}.
 *   <li>Entries are sorted by unsigned hash. A request hash goes to the first entry whose hash is
 *       {@code >=} it, wrapping to the first entry past the last.
 * </ol>
 *
 * <p>Because the entries per endpoint are {@code minRingSize / n}, they change with the endpoint
 * count: at the default minimum of 1,024, 40 equal endpoints get 26 entries each and 39 get 27, so
 * when one joins the others lose entries and keys move between endpoints that did not change
 * (exactly as in Envoy). And at many endpoints each has few entries (2 at 512), which balances
 * poorly. A larger {@code minRingSize} makes both smaller.
 *
 * <p><b>Stable ring</b> ({@link Policies#stableRingHash()}): every endpoint gets
 * {@code entriesPerWeight * weight} entries (default {@value #DEFAULT_ENTRIES_PER_WEIGHT}, ketama's
 * count), placed and looked up as above, whatever the other endpoints. Adding an endpoint moves
 * only keys to it, removing one moves only its keys, and a weight change moves only keys to or from
 * that endpoint. It is the ring Envoy would build if it gave each endpoint that many entries, but
 * not Envoy's ring for Envoy's settings, so an Envoy sidecar does not agree with it. If
 * {@code entriesPerWeight * sum(weights)} exceeds {@code maxRingSize} (8,388,608), every count is
 * scaled down in proportion, which gives up the stability for that endpoint set.
 *
 * <p><b>Bounded load</b> (a {@code hashBalanceFactor}, e.g. 1.25): Envoy's
 * {@code hash_balance_factor}; an endpoint already holding more than its share of
 * {@code factor x average} in-flight requests is skipped and the key tries the other endpoints in
 * an order fixed by its hash. See {@link MaglevPolicy} for the exact rule, which both policies share.
 *
 * <p>Weights are {@link io.lb4j.Endpoint#weight()} (not the slow-start ramp, which Envoy's hash
 * balancers do not apply either). gRPC-java's ring hash hashes a different key string and so builds
 * a different ring. A pick without a hash ({@link io.lb4j.PickContext#EMPTY}) uses a random 64-bit
 * hash instead, as Envoy does, so it is random in proportion to ring share, which follows weights.
 *
 * <p><b>Skipping unavailable endpoints</b> ({@link #skippingUnavailable()}, what the gRPC adapter
 * uses): the ring is built over every usable endpoint, and a key whose endpoint is not available
 * (ejected, unhealthy, not connected, outside the preferred zone) goes to the next entry clockwise
 * whose endpoint is, as gRPC's {@code ring_hash} does (A42/A61). Keys of available endpoints never
 * move, and the ring is not rebuilt when availability changes. Envoy instead rebuilds its ring over
 * the healthy endpoints, so the two agree only while every endpoint is available.
 *
 * <p>Cost: building a picker is O(R) hashing plus an O(R) radix sort for a ring of R entries (Envoy
 * construction: about {@code max(minRingSize, n)} for equal weights; stable: {@code entriesPerWeight
 * * sum(weights)}) and holds R longs, R references and an index of R/2 to R ints. A pick reads the
 * index bucket of the hash's top bits and scans forward from there, one or two entries on average
 * (XXH64 spreads the entries evenly): O(1) expected, the same entry a binary search finds, no lock,
 * no allocation; bounded load adds one in-flight read, and when the home endpoint is over its bound
 * a spill (see {@link MaglevPolicy}). Immutable and thread-safe.
 */
public final class RingHashPolicy implements HashPolicy {

  /** Envoy's default {@code minimum_ring_size}. */
  public static final int DEFAULT_MIN_RING_SIZE = 1024;
  /** Envoy's default (and upper bound of) {@code maximum_ring_size}. */
  public static final int DEFAULT_MAX_RING_SIZE = 8_388_608;
  /** Entries per unit of weight in a stable ring: ketama's 160 (about 8 % spread in key share). */
  public static final int DEFAULT_ENTRIES_PER_WEIGHT = 160;
  /** The most entries per unit of weight a stable ring takes. */
  static final int MAX_ENTRIES_PER_WEIGHT = 10_000;

  private final int minRingSize;
  private final int maxRingSize;
  /** 0 for Envoy's construction, else the stable ring's entries per unit of weight. */
  private final int entriesPerWeight;
  /** 0 for no bounded load, else the balance factor in percent. */
  private final int balancePercent;
  private final ThreadLocal<BoundedLoad.Scratch> scratch;
  /** Whether pickers are built over all usable endpoints and walk past unavailable ones. */
  private final boolean skipUnavailable;

  /**
   * Envoy's construction without bounded load.
   *
   * @throws IllegalArgumentException if {@code minRingSize < 1}, {@code maxRingSize > 8,388,608}
   *     or {@code minRingSize > maxRingSize}
   */
  RingHashPolicy(int minRingSize, int maxRingSize) {
    this(minRingSize, maxRingSize, 0, 0);
  }

  /**
   * @param entriesPerWeight 0 for Envoy's construction, else a stable ring (1..10,000 per weight)
   * @param balancePercent 0 for no bounded load, else the factor in percent (100..1,000)
   * @throws IllegalArgumentException naming the bad argument
   */
  RingHashPolicy(int minRingSize, int maxRingSize, int entriesPerWeight, int balancePercent) {
    this(minRingSize, maxRingSize, entriesPerWeight, balancePercent, false);
  }

  private RingHashPolicy(int minRingSize, int maxRingSize, int entriesPerWeight, int balancePercent,
      boolean skipUnavailable) {
    ConfigChecks.inRange("minRingSize", minRingSize, 1, DEFAULT_MAX_RING_SIZE);
    ConfigChecks.inRange("maxRingSize", maxRingSize, 1, DEFAULT_MAX_RING_SIZE);
    if (minRingSize > maxRingSize) {
      throw new IllegalArgumentException(
          "minRingSize (" + minRingSize + ") must be <= maxRingSize (" + maxRingSize + ")");
    }
    if (entriesPerWeight != 0) {
      ConfigChecks.inRange("entriesPerWeight", entriesPerWeight, 1, MAX_ENTRIES_PER_WEIGHT);
    }
    this.minRingSize = minRingSize;
    this.maxRingSize = maxRingSize;
    this.entriesPerWeight = entriesPerWeight;
    this.balancePercent = HashPolicySupport.checkBalancePercent(balancePercent);
    this.scratch = HashPolicySupport.spillScratch(balancePercent);
    this.skipUnavailable = skipUnavailable;
  }

  /**
   * This policy, except that its rings are built over every usable endpoint and a key whose
   * endpoint is unavailable walks on to the next entry clockwise whose endpoint is available (see
   * the class comment): gRPC's {@code ring_hash} behaviour.
   */
  public RingHashPolicy skippingUnavailable() {
    return new RingHashPolicy(minRingSize, maxRingSize, entriesPerWeight, balancePercent, true);
  }

  /** Whether this policy skips unavailable endpoints ({@link #skippingUnavailable()}). */
  @Override
  public boolean skipsUnavailable() {
    return skipUnavailable;
  }

  /** Returns {@code "ring_hash"}. */
  @Override
  public String name() {
    return "ring_hash";
  }

  /** The minimum number of ring entries (Envoy's construction only). */
  public int minRingSize() {
    return minRingSize;
  }

  /** The maximum number of ring entries. */
  public int maxRingSize() {
    return maxRingSize;
  }

  /** Whether this is a stable ring rather than Envoy's construction. */
  public boolean stable() {
    return entriesPerWeight != 0;
  }

  /** Ring entries per unit of endpoint weight in a stable ring; 0 for Envoy's construction. */
  public int entriesPerWeight() {
    return entriesPerWeight;
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
   * Builds the ring. With bounded load and no balancer, the total in flight is the sum over
   * {@code eligible}, read at every pick that needs it.
   */
  @Override
  public Picker newPicker(List<? extends EndpointView> eligible) {
    return newPicker(eligible, balancePercent == 0 ? null : HashPolicySupport.sumOfInFlight(eligible));
  }

  /** Builds the ring; with bounded load, picks read {@code totalInFlight}. */
  @Override
  public Picker newPicker(List<? extends EndpointView> eligible, LongSupplier totalInFlight) {
    HashPolicySupport.Hosts hosts = HashPolicySupport.Hosts.ofViews(eligible, false);
    if (hosts.size() == 1) { // with bounded load too: every spill falls back to it
      return HashPolicySupport.HashPicker.only((EndpointView) hosts.items[0]);
    }
    return balancePercent == 0 ? plainPicker(hosts) : boundedPicker(hosts, totalInFlight);
  }

  private Picker plainPicker(HashPolicySupport.Hosts hosts) {
    HashRing ring = buildRing(hosts);
    if (skipUnavailable) {
      return new HashPolicySupport.HashPicker() {
        @Override
        public EndpointView pickByHash(long hash) {
          EndpointView home = (EndpointView) ring.lookup(hash);
          return home.available() ? home : (EndpointView) HashFallback.nextOnRing(ring, hash);
        }
      };
    }
    return new HashPolicySupport.HashPicker() {
      @Override
      public EndpointView pickByHash(long hash) {
        return (EndpointView) ring.lookup(hash);
      }
    };
  }

  private Picker boundedPicker(HashPolicySupport.Hosts hosts, LongSupplier totalInFlight) {
    BoundedLoad.Host[] placed = hosts.boundedHosts();
    HashRing ring = buildRing(hosts.withItems(placed));
    BoundedLoad bounded = new BoundedLoad(placed, balancePercent, totalInFlight, scratch);
    return new HashPolicySupport.HashPicker() {
      @Override
      public EndpointView pickByHash(long hash) {
        BoundedLoad.Host home = (BoundedLoad.Host) ring.lookup(hash);
        if (skipUnavailable && !home.view.available()) {
          home = (BoundedLoad.Host) HashFallback.nextOnRing(ring, hash);
        }
        return bounded.pick(home, hash);
      }
    };
  }

  HashRing buildRing(HashPolicySupport.Hosts hosts) {
    return entriesPerWeight == 0
        ? HashRing.build(hosts, minRingSize, maxRingSize)
        : HashRing.buildStable(hosts, entriesPerWeight, maxRingSize);
  }

  @Override
  public String toString() {
    String bounded = (balancePercent == 0 ? "" : ", hashBalanceFactor=" + hashBalanceFactor())
        + (skipUnavailable ? ", skippingUnavailable" : "");
    return entriesPerWeight == 0
        ? "ring_hash(minRingSize=" + minRingSize + ", maxRingSize=" + maxRingSize + bounded + ")"
        : "ring_hash(stable, entriesPerWeight=" + entriesPerWeight + ", maxRingSize=" + maxRingSize + bounded + ")";
  }
}
