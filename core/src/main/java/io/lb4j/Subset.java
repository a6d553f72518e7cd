package io.lb4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * A request for a subset of the endpoints: those whose {@link Endpoint#metadata() metadata} has
 * every one of these key/value pairs (Envoy's subset load balancer {@code metadata_match}), such as
 * {@code version=v2} or {@code version=v2, shard=7}. The balancer precomputes one picker per subset
 * for the key sets a {@link SubsetConfig} declares; a request names its subset with
 * {@link PickContext#withSubset(Subset)}.
 *
 * <p>Make the subsets a service uses once and reuse them: equality, hashing and the balancer's
 * lookup read the precomputed arrays, so a pick with a subset allocates nothing. Immutable and
 * thread-safe.
 */
public final class Subset {

  private final String[] keys; // sorted
  private final String[] values; // values[i] belongs to keys[i]
  private final int hash;
  private final String label;

  private Subset(TreeMap<String, String> criteria) {
    this.keys = criteria.keySet().toArray(new String[0]);
    this.values = criteria.values().toArray(new String[0]);
    this.hash = 31 * Arrays.hashCode(keys) + Arrays.hashCode(values);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < keys.length; i++) {
      sb.append(i == 0 ? "" : ",").append(keys[i]).append('=').append(values[i]);
    }
    this.label = sb.toString();
  }

  /**
   * The endpoints whose metadata maps {@code key} to {@code value}.
   *
   * @throws IllegalArgumentException if the key is blank or either is null
   */
  public static Subset of(String key, String value) {
    TreeMap<String, String> m = new TreeMap<>();
    m.put(checkKey(key), checkValue(key, value));
    return new Subset(m);
  }

  /**
   * The endpoints whose metadata has every pair of {@code criteria}.
   *
   * @throws IllegalArgumentException if the map is null or empty, or holds a blank key or a null value
   */
  public static Subset of(Map<String, String> criteria) {
    if (criteria == null || criteria.isEmpty()) {
      throw new IllegalArgumentException("subset criteria must name at least one metadata key, was " + criteria);
    }
    TreeMap<String, String> m = new TreeMap<>();
    for (Map.Entry<String, String> e : criteria.entrySet()) {
      m.put(checkKey(e.getKey()), checkValue(e.getKey(), e.getValue()));
    }
    return new Subset(m);
  }

  /**
   * The subsets of one key by value, for adapters that read the value from each request (a header):
   * {@code forKey("version").apply("v2")} is {@code Subset.of("version", "v2")}, and the subsets of
   * the first {@value #CACHED_VALUES} values are kept, so a request with a known value allocates no
   * subset. Thread-safe.
   *
   * @throws IllegalArgumentException if the key is blank
   */
  public static Function<String, Subset> forKey(String key) {
    checkKey(key);
    Map<String, Subset> cache = new ConcurrentHashMap<>();
    return value -> {
      Subset s = cache.get(checkValue(key, value));
      if (s == null) {
        s = of(key, value);
        if (cache.size() < CACHED_VALUES) {
          cache.putIfAbsent(value, s);
        }
      }
      return s;
    };
  }

  /** How many values {@link #forKey} keeps the subsets of. */
  public static final int CACHED_VALUES = 1024;

  private static String checkKey(String key) {
    if (key == null || key.isBlank()) {
      throw new IllegalArgumentException("subset key must not be blank, was " + (key == null ? "null" : "'" + key + "'"));
    }
    return key;
  }

  private static String checkValue(String key, String value) {
    if (value == null) {
      throw new IllegalArgumentException("subset value of key '" + key + "' must not be null");
    }
    return value;
  }

  /** The metadata pairs, sorted by key. */
  public Map<String, String> criteria() {
    TreeMap<String, String> m = new TreeMap<>();
    for (int i = 0; i < keys.length; i++) {
      m.put(keys[i], values[i]);
    }
    return Collections.unmodifiableMap(m);
  }

  /** The metadata keys, sorted. */
  public List<String> keys() {
    return List.of(keys);
  }

  /** Whether the endpoint's metadata has every pair. */
  public boolean matches(Endpoint endpoint) {
    Map<String, String> m = endpoint.metadata();
    for (int i = 0; i < keys.length; i++) {
      if (!values[i].equals(m.get(keys[i]))) {
        return false;
      }
    }
    return true;
  }

  /**
   * The subset of the endpoint for these sorted keys, or null when its metadata lacks one of them
   * (Envoy: an endpoint without a selector's key is in no subset of that selector).
   */
  static Subset of(Endpoint endpoint, List<String> sortedKeys) {
    TreeMap<String, String> m = new TreeMap<>();
    for (String k : sortedKeys) {
      String v = endpoint.metadata().get(k);
      if (v == null) {
        return null;
      }
      m.put(k, v);
    }
    return new Subset(m);
  }

  /** Whether this subset's keys are exactly {@code sortedKeys}. */
  boolean hasKeys(List<String> sortedKeys) {
    if (sortedKeys.size() != keys.length) {
      return false;
    }
    for (int i = 0; i < keys.length; i++) {
      if (!keys[i].equals(sortedKeys.get(i))) {
        return false;
      }
    }
    return true;
  }

  /** The sorted keys as a new list (for messages and declarations). */
  List<String> keyList() {
    return new ArrayList<>(Arrays.asList(keys));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Subset s && s.hash == hash && Arrays.equals(s.keys, keys) && Arrays.equals(s.values, values);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  /** {@code {version=v2,shard=7}}. */
  @Override
  public String toString() {
    return "{" + label + "}";
  }
}
