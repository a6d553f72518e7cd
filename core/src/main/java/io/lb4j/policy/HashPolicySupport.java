package io.lb4j.policy;

import io.lb4j.Endpoint;
import io.lb4j.PickContext;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import net.openhft.hashing.LongHashFunction;

/**
 * What ring hash and Maglev share: Envoy's hash function, the endpoint hash key, weight
 * normalisation, and the hash a pick uses when the request carries none.
 */
final class HashPolicySupport {

  /** XXH64 with seed 0: Envoy's {@code HashUtil::xxHash64(key)}. Stateless and thread-safe. */
  static final LongHashFunction XXH64 = LongHashFunction.xx(0L);

  /** XXH64 with seed 1: Envoy's Maglev skip hash, {@code HashUtil::xxHash64(key, 1)}. */
  static final LongHashFunction XXH64_SEED_1 = LongHashFunction.xx(1L);

  private HashPolicySupport() {}

  /**
   * The hash to look up: the request's, or a random one when it has none. Like Envoy, a missing
   * hash is replaced by a random 64-bit value that goes through the same ring or table, so the
   * fallback still honours weights. No allocation, no shared state.
   */
  static long requestHash(PickContext ctx) {
    return ctx != null && ctx.hasHash() ? ctx.hash() : ThreadLocalRandom.current().nextLong();
  }

  /**
   * The hash key Envoy uses by default ({@code use_hostname_for_hashing} false, no {@code hash_key}
   * metadata): the address as Envoy prints it, {@code 10.0.0.1:8080} or {@code [::1]:8080}, as
   * UTF-8 bytes.
   */
  static byte[] key(Endpoint endpoint) {
    return endpoint.address().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Endpoints prepared for a hash build: parallel arrays of the caller's items, their key bytes and
   * weights normalised exactly as Envoy does ({@code weight * 1.0 / sum} in double, sum in 64-bit
   * integer), in list order or sorted by key.
   */
  static final class Hosts {
    final Object[] items;
    final byte[][] keys;
    final double[] weights;
    final double minWeight;
    final double maxWeight;

    private Hosts(Object[] items, byte[][] keys, double[] weights) {
      this.items = items;
      this.keys = keys;
      this.weights = weights;
      double min = 1.0;
      double max = 0.0;
      for (double w : weights) {
        min = Math.min(min, w);
        max = Math.max(max, w);
      }
      this.minWeight = min;
      this.maxWeight = max;
    }

    int size() {
      return items.length;
    }

    /** The eligible views, keyed by their endpoints' addresses. */
    static Hosts ofViews(List<? extends EndpointView> eligible, boolean sortByKey) {
      EndpointView[] views = PickerSupport.toArray(eligible);
      Endpoint[] endpoints = new Endpoint[views.length];
      for (int i = 0; i < views.length; i++) {
        endpoints[i] = views[i].endpoint();
        if (endpoints[i] == null) {
          throw new IllegalArgumentException("eligible endpoints must not contain a view without endpoint, index " + i);
        }
      }
      return of(views, endpoints, sortByKey);
    }

    /** Plain endpoints, for {@link MaglevTable#build}. */
    static Hosts ofEndpoints(List<Endpoint> list, boolean sortByKey) {
      if (list == null || list.isEmpty()) {
        throw new IllegalArgumentException("endpoints must not be empty, was " + list);
      }
      Endpoint[] endpoints = list.toArray(new Endpoint[0]);
      for (int i = 0; i < endpoints.length; i++) {
        if (endpoints[i] == null) {
          throw new IllegalArgumentException("endpoints must not contain null, index " + i);
        }
      }
      return of(endpoints, endpoints, sortByKey);
    }

    private static Hosts of(Object[] items, Endpoint[] endpoints, boolean sortByKey) {
      int n = items.length;
      Set<String> seen = new HashSet<>(n * 2);
      long sum = 0;
      for (Endpoint e : endpoints) {
        if (!seen.add(e.address())) {
          throw new IllegalArgumentException("endpoints must have distinct addresses, duplicate " + e.address());
        }
        sum += e.weight();
      }
      Integer[] order = new Integer[n];
      byte[][] unsortedKeys = new byte[n][];
      for (int i = 0; i < n; i++) {
        order[i] = i;
        unsortedKeys[i] = key(endpoints[i]);
      }
      if (sortByKey) {
        // std::sort on the key string_view in Envoy: lexicographic, unsigned bytes.
        Arrays.sort(order, (a, b) -> Arrays.compareUnsigned(unsortedKeys[a], unsortedKeys[b]));
      }
      Object[] sortedItems = new Object[n];
      byte[][] keys = new byte[n][];
      double[] weights = new double[n];
      for (int i = 0; i < n; i++) {
        int from = order[i];
        sortedItems[i] = items[from];
        keys[i] = unsortedKeys[from];
        weights[i] = endpoints[from].weight() * 1.0 / sum;
      }
      return new Hosts(sortedItems, keys, weights);
    }
  }
}
