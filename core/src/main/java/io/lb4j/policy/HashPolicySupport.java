package io.lb4j.policy;

import io.lb4j.Endpoint;
import io.lb4j.PickContext;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;
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

  /** The largest balance factor accepted: beyond 10x the average, bounding load does nothing useful. */
  static final double MAX_BALANCE_FACTOR = 10.0;

  private HashPolicySupport() {}

  /**
   * Checks a bounded-load balance factor and returns it in Envoy's unit, whole percent.
   *
   * @throws IllegalArgumentException unless {@code factor} is in 1.0..10.0 and a whole percent
   *     (1.25, not 1.255); the message names {@code hashBalanceFactor} and, for a value that looks
   *     like Envoy's percent form, says so
   */
  static int balancePercent(double factor) {
    if (!(factor >= 1.0 && factor <= MAX_BALANCE_FACTOR)) {
      String hint = factor >= 100 && factor <= 100 * MAX_BALANCE_FACTOR
          ? " (a factor, not Envoy's percent: Envoy's " + (long) factor + " is " + factor / 100 + " here)" : "";
      throw new IllegalArgumentException("hashBalanceFactor must be in 1.0.." + MAX_BALANCE_FACTOR
          + ", e.g. 1.25 for 125 % of the average load" + hint + ", was " + factor);
    }
    double percent = factor * 100;
    long whole = Math.round(percent);
    if (Math.abs(percent - whole) > 1e-6) {
      throw new IllegalArgumentException("hashBalanceFactor must be a whole percent (two decimals, e.g. 1.25), was "
          + factor);
    }
    return (int) whole;
  }

  /**
   * Requires 0 (no bounded load) or a percent in 100..1,000; returns it.
   *
   * @throws IllegalArgumentException naming {@code hashBalanceFactor} and the value
   */
  static int checkBalancePercent(int percent) {
    if (percent != 0 && (percent < 100 || percent > 100 * MAX_BALANCE_FACTOR)) {
      throw new IllegalArgumentException("hashBalanceFactor must be 0 (off) or 100..1000 percent, was " + percent);
    }
    return percent;
  }

  /** Per-thread spill space for a bounded-load policy, or null without bounded load. */
  static ThreadLocal<BoundedLoad.Scratch> spillScratch(int percent) {
    return percent == 0 ? null : ThreadLocal.withInitial(BoundedLoad.Scratch::new);
  }

  /**
   * The balancer-wide in-flight count for a picker built without a balancer: the sum over the
   * eligible views, read at each call (O(n); a balancer supplies an O(1) count instead).
   */
  static LongSupplier sumOfInFlight(List<? extends EndpointView> eligible) {
    EndpointView[] views = PickerSupport.toArray(eligible);
    return () -> {
      long sum = 0;
      for (EndpointView v : views) {
        sum += v.inFlight();
      }
      return sum;
    };
  }

  /**
   * The hash to look up: the request's, or a random one when it has none. Like Envoy, a missing
   * hash is replaced by a random 64-bit value that goes through the same ring or table, so the
   * fallback still honours weights. No allocation, no shared state.
   */
  static long requestHash(PickContext ctx) {
    return ctx != null && ctx.hasHash() ? ctx.hash() : ThreadLocalRandom.current().nextLong();
  }

  /**
   * A hash policy's picker: implements {@link #pickByHash}, and a pick by context looks up the
   * request's hash or, without one, a random hash ({@link #requestHash}).
   */
  abstract static class HashPicker implements Picker {

    /** A picker over one endpoint: every hash maps to it. */
    static HashPicker only(EndpointView only) {
      return new HashPicker() {
        @Override
        public EndpointView pickByHash(long hash) {
          return only;
        }
      };
    }

    @Override
    public final EndpointView pick(PickContext ctx) {
      return pickByHash(requestHash(ctx));
    }

    @Override
    public abstract EndpointView pickByHash(long hash);
  }

  /**
   * Endpoints prepared for a hash build: parallel arrays of the caller's items, their key bytes and
   * weights normalised exactly as Envoy does ({@code weight * 1.0 / sum} in double, sum in 64-bit
   * integer), in list order or sorted by key.
   */
  static final class Hosts {
    final Object[] items;
    final byte[][] keys;
    /** Weights normalised to sum 1, as Envoy computes them. */
    final double[] weights;
    /** The endpoints' own integer weights. */
    final int[] rawWeights;
    /** For each position, the item's index in the list the hosts were made from. */
    final int[] listIndex;
    final double minWeight;
    final double maxWeight;

    private Hosts(Object[] items, byte[][] keys, double[] weights, int[] rawWeights, int[] listIndex) {
      this.items = items;
      this.keys = keys;
      this.weights = weights;
      this.rawWeights = rawWeights;
      this.listIndex = listIndex;
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

    /** The same hosts, in the same order, standing for other items ({@code items[i]} for position i). */
    Hosts withItems(Object[] replacement) {
      return new Hosts(replacement, keys, weights, rawWeights, listIndex);
    }

    /**
     * The same hosts as {@link BoundedLoad.Host}s in this order: each knows its list index and
     * normalised weight.
     */
    BoundedLoad.Host[] boundedHosts() {
      BoundedLoad.Host[] hosts = new BoundedLoad.Host[items.length];
      for (int i = 0; i < hosts.length; i++) {
        hosts[i] = new BoundedLoad.Host((EndpointView) items[i], listIndex[i], weights[i]);
      }
      return hosts;
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

    /**
     * Any items standing for {@code endpoints} (same length, same order), keyed, weighted and
     * optionally sorted by those endpoints.
     */
    static Hosts of(Object[] items, Endpoint[] endpoints, boolean sortByKey) {
      int n = items.length;
      Set<String> seen = new HashSet<>(n * 2);
      long sum = 0;
      byte[][] unsortedKeys = new byte[n][];
      for (int i = 0; i < n; i++) {
        Endpoint e = endpoints[i];
        String address = e.address(); // built on each call: once per endpoint here
        if (!seen.add(address)) {
          throw new IllegalArgumentException("endpoints must have distinct addresses, duplicate " + address);
        }
        // Envoy's default hash key (use_hostname_for_hashing off, no hash_key metadata): the
        // address as Envoy prints it, 10.0.0.1:8080 or [::1]:8080, in UTF-8.
        unsortedKeys[i] = address.getBytes(StandardCharsets.UTF_8);
        sum += e.weight();
      }
      Integer[] order = new Integer[n];
      for (int i = 0; i < n; i++) {
        order[i] = i;
      }
      if (sortByKey) {
        // std::sort on the key string_view in Envoy: lexicographic, unsigned bytes.
        Arrays.sort(order, (a, b) -> Arrays.compareUnsigned(unsortedKeys[a], unsortedKeys[b]));
      }
      Object[] sortedItems = new Object[n];
      byte[][] keys = new byte[n][];
      double[] weights = new double[n];
      int[] rawWeights = new int[n];
      int[] listIndex = new int[n];
      for (int i = 0; i < n; i++) {
        int from = order[i];
        listIndex[i] = from;
        sortedItems[i] = items[from];
        keys[i] = unsortedKeys[from];
        rawWeights[i] = endpoints[from].weight();
        weights[i] = rawWeights[i] * 1.0 / sum;
      }
      return new Hosts(sortedItems, keys, weights, rawWeights, listIndex);
    }
  }
}
