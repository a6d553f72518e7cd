package io.lb4j;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A weighted split of requests between the values of one metadata key, such as "5 % to
 * {@code version=v2}, the rest to {@code version=v1}" (Envoy's weighted clusters, applied to
 * subsets). Give it to {@link LoadBalancer.Builder#trafficSplit}: every request that names no
 * subset itself goes to the subset the split draws. {@link #weights(Map)} changes the weights at
 * run time, without rebuilding the balancer.
 *
 * <p>The draw: the values in sorted order cover consecutive ranges of {@code [0, total)}, each as
 * wide as its weight; a request lands at a random point, or, for a {@linkplain #byHash sticky}
 * split, at a point its {@link PickContext#hash()} decides (mixed first, so the split is
 * independent of the priority level and endpoint the same hash picks). A sticky split keeps a user
 * on one side; while the total stays the same, moving weight from one value to its neighbour moves
 * users only into the growing side. Requests without a hash are drawn at random. The draw reads
 * one volatile field and allocates nothing. Thread-safe.
 */
public final class TrafficSplit {

  /** The weights as the draw reads them, replaced as a unit. */
  private record State(String[] values, Subset[] subsets, long[] cumulative, Map<String, Integer> weights) {}

  private final String key;
  private final boolean sticky;
  private volatile State state;

  private TrafficSplit(String key, boolean sticky, Map<String, Integer> weights) {
    if (key == null || key.isBlank()) {
      throw new IllegalArgumentException("split key must not be blank, was " + (key == null ? "null" : "'" + key + "'"));
    }
    this.key = key;
    this.sticky = sticky;
    this.state = state(weights);
  }

  /**
   * A split of requests by share: each request is drawn at random.
   *
   * @param key the metadata key, e.g. {@code "version"}
   * @param weights value to weight, e.g. {@code {v1=95, v2=5}}; at least one value, weights
   *     {@code >= 0} with a positive total
   * @throws IllegalArgumentException naming the value for a bad weight
   */
  public static TrafficSplit byRequest(String key, Map<String, Integer> weights) {
    return new TrafficSplit(key, false, weights);
  }

  /**
   * A split of users: the request's hash ({@link PickContext#ofKey}, e.g. of a user id) decides the
   * side, so a user stays on one side; a request without a hash is drawn at random.
   *
   * @see #byRequest
   */
  public static TrafficSplit byHash(String key, Map<String, Integer> weights) {
    return new TrafficSplit(key, true, weights);
  }

  private State state(Map<String, Integer> weights) {
    if (weights == null || weights.isEmpty()) {
      throw new IllegalArgumentException("split on '" + key + "' needs at least one value and weight, was " + weights);
    }
    TreeMap<String, Integer> sorted = new TreeMap<>();
    for (Map.Entry<String, Integer> e : weights.entrySet()) {
      if (e.getKey() == null) {
        throw new IllegalArgumentException("split on '" + key + "' has a null value");
      }
      Integer w = e.getValue();
      if (w == null || w < 0) {
        throw new IllegalArgumentException("split weight of " + key + "=" + e.getKey() + " must be >= 0, was " + w);
      }
      sorted.put(e.getKey(), w);
    }
    String[] values = sorted.keySet().toArray(new String[0]);
    Subset[] subsets = new Subset[values.length];
    long[] cumulative = new long[values.length];
    long total = 0;
    for (int i = 0; i < values.length; i++) {
      subsets[i] = Subset.of(key, values[i]);
      total += sorted.get(values[i]);
      cumulative[i] = total;
    }
    if (total <= 0) {
      throw new IllegalArgumentException("split on '" + key + "' needs a positive total weight, was " + sorted);
    }
    return new State(values, subsets, cumulative, java.util.Collections.unmodifiableMap(new LinkedHashMap<>(sorted)));
  }

  /** The metadata key the split chooses a value of. */
  public String key() {
    return key;
  }

  /** Whether the request hash decides the side ({@link #byHash}). */
  public boolean sticky() {
    return sticky;
  }

  /** The current weights, by value in sorted order. */
  public Map<String, Integer> weights() {
    return state.weights();
  }

  /**
   * Replaces the weights; requests drawn from now on use them. The values may change too.
   *
   * @throws IllegalArgumentException as {@link #byRequest}; the old weights then stay
   */
  public void weights(Map<String, Integer> weights) {
    this.state = state(weights);
  }

  /** The subset this request goes to. Allocation-free. */
  public Subset choose(PickContext ctx) {
    State s = state;
    long[] cum = s.cumulative();
    long v = sticky ? Draws.draw(ctx, Draws.SPLIT, cum[cum.length - 1])
        : Draws.draw(PickContext.EMPTY, 0, cum[cum.length - 1]);
    for (int i = 0; i < cum.length; i++) {
      if (v < cum[i]) {
        return s.subsets()[i];
      }
    }
    return s.subsets()[cum.length - 1]; // unreachable: v < total
  }

  @Override
  public String toString() {
    return "TrafficSplit{" + key + (sticky ? " by hash" : " by request") + ", " + state.weights() + "}";
  }
}
