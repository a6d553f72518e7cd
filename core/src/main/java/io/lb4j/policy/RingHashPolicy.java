package io.lb4j.policy;

import io.lb4j.internal.ConfigChecks;
import java.util.List;

/**
 * Envoy's ring hash (ketama) consistent hashing, built exactly as Envoy builds its ring so that lb4j
 * and an Envoy sidecar with the same endpoints pick the same endpoint for the same request hash.
 *
 * <p>The construction is Envoy's ({@code ring_hash_lb.cc}, hash function XXH64):
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
 * <p>Weights are {@link io.lb4j.Endpoint#weight()} (not the slow-start ramp, which Envoy's hash
 * balancers do not apply either). Removing an endpoint moves only the keys that were on its
 * entries, as long as the other endpoints keep their entry counts; when the scale changes with the
 * endpoint count (at the default minimum of 1,024, 40 equal endpoints get 26 entries each and 39
 * get 27), the new entries take over keys too, exactly as in Envoy. A larger {@code minRingSize}
 * makes such steps rarer and smaller. gRPC-java's ring hash hashes a different key string and so
 * builds a different ring.
 *
 * <p>A pick without a hash ({@link io.lb4j.PickContext#EMPTY}) uses a random 64-bit hash instead,
 * as Envoy does, so it is random in proportion to ring share, which follows weights.
 *
 * <p>Cost: building a picker is O(R) hashing plus an O(R) radix sort for a ring of R entries (R is
 * about {@code max(minRingSize, n)} for equal weights) and holds R longs and R references. A pick
 * is a binary search: O(log R), no lock, no allocation. Immutable and thread-safe.
 */
public final class RingHashPolicy implements HashPolicy {

  /** Envoy's default {@code minimum_ring_size}. */
  public static final int DEFAULT_MIN_RING_SIZE = 1024;
  /** Envoy's default (and upper bound of) {@code maximum_ring_size}. */
  public static final int DEFAULT_MAX_RING_SIZE = 8_388_608;

  private final int minRingSize;
  private final int maxRingSize;

  /**
   * @throws IllegalArgumentException if {@code minRingSize < 1}, {@code maxRingSize > 8,388,608}
   *     or {@code minRingSize > maxRingSize}
   */
  RingHashPolicy(int minRingSize, int maxRingSize) {
    ConfigChecks.inRange("minRingSize", minRingSize, 1, DEFAULT_MAX_RING_SIZE);
    ConfigChecks.inRange("maxRingSize", maxRingSize, 1, DEFAULT_MAX_RING_SIZE);
    if (minRingSize > maxRingSize) {
      throw new IllegalArgumentException(
          "minRingSize (" + minRingSize + ") must be <= maxRingSize (" + maxRingSize + ")");
    }
    this.minRingSize = minRingSize;
    this.maxRingSize = maxRingSize;
  }

  /** Returns {@code "ring_hash"}. */
  @Override
  public String name() {
    return "ring_hash";
  }

  /** The minimum number of ring entries. */
  public int minRingSize() {
    return minRingSize;
  }

  /** The maximum number of ring entries. */
  public int maxRingSize() {
    return maxRingSize;
  }

  @Override
  public Picker newPicker(List<? extends EndpointView> eligible) {
    HashPolicySupport.Hosts hosts = HashPolicySupport.Hosts.ofViews(eligible, false);
    if (hosts.size() == 1) {
      EndpointView only = (EndpointView) hosts.items[0];
      return ctx -> only;
    }
    HashRing ring = buildRing(hosts);
    return ctx -> (EndpointView) ring.lookup(HashPolicySupport.requestHash(ctx));
  }

  HashRing buildRing(HashPolicySupport.Hosts hosts) {
    return HashRing.build(hosts, minRingSize, maxRingSize);
  }

  @Override
  public String toString() {
    return "ring_hash(minRingSize=" + minRingSize + ", maxRingSize=" + maxRingSize + ")";
  }
}
