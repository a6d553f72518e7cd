package io.lb4j;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which endpoint subsets a balancer precomputes and what a request for an empty subset gets
 * (Envoy's subset load balancer). Each {@linkplain Builder#selector selector} is a set of metadata
 * keys; on every rebuild the balancer groups the endpoints by their values for each selector and
 * builds one picker per group, with eligibility, panic mode, priority levels and zone routing
 * applied inside the group, as Envoy runs a child load balancer per subset. A request names its
 * subset with {@link PickContext#withSubset(Subset)} (or a {@link TrafficSplit} names it); its keys
 * must be exactly one selector's keys.
 *
 * <p>When no present endpoint matches the request's subset, the {@link Fallback} decides. When
 * endpoints match but none is eligible, the subset's own panic mode applies and there is no
 * fallback (Envoy: an active subset answers even when it has no healthy endpoint). Immutable.
 */
public final class SubsetConfig {

  /** What a request whose subset has no present endpoint gets (Envoy's {@code fallback_policy}). */
  public enum Fallback {
    /** Fail the pick with {@link NoEndpointAvailableException} naming the subset (Envoy's default). */
    NO_FALLBACK,
    /** Pick among all endpoints, as if the request named no subset. */
    ANY_ENDPOINT,
    /** Pick in the {@linkplain Builder#defaultSubset default subset}; fail if that is empty too. */
    DEFAULT_SUBSET
  }

  private final List<List<String>> selectors;
  private final Fallback fallback;
  private final Subset defaultSubset;

  private SubsetConfig(Builder b) {
    this.selectors = List.copyOf(b.selectors);
    this.fallback = b.fallback;
    this.defaultSubset = b.defaultSubset;
  }

  /** A builder: no selector yet, fallback {@link Fallback#NO_FALLBACK}. */
  public static Builder builder() {
    return new Builder();
  }

  /** The declared key sets, each sorted, in declaration order. */
  public List<List<String>> selectors() {
    return selectors;
  }

  /** What a request for an empty subset gets. */
  public Fallback fallback() {
    return fallback;
  }

  /** The subset {@link Fallback#DEFAULT_SUBSET} uses, or null. */
  public Subset defaultSubset() {
    return defaultSubset;
  }

  /**
   * The selector whose keys are exactly the subset's keys.
   *
   * @throws IllegalArgumentException if no selector declares them, naming both
   */
  List<String> selectorOf(Subset subset) {
    for (List<String> s : selectors) {
      if (subset.hasKeys(s)) {
        return s;
      }
    }
    throw new IllegalArgumentException("subset " + subset + " uses keys " + subset.keyList()
        + ", which no subset selector declares (declared: " + selectors + ")");
  }

  @Override
  public String toString() {
    return "SubsetConfig{selectors=" + selectors + ", fallback=" + fallback
        + (defaultSubset == null ? "" : ", default=" + defaultSubset) + "}";
  }

  /** Builds a {@link SubsetConfig}; setters check their argument at once. Not thread-safe. */
  public static final class Builder {
    private final List<List<String>> selectors = new ArrayList<>();
    private Fallback fallback = Fallback.NO_FALLBACK;
    private Subset defaultSubset;

    private Builder() {}

    /**
     * Declares a key set to precompute subsets for, e.g. {@code selector("version")} or
     * {@code selector("version", "shard")}; the order of keys does not matter.
     *
     * @throws IllegalArgumentException if no key is given, a key is blank or repeated, or the same
     *     key set was declared before
     */
    public Builder selector(String... keys) {
      if (keys == null || keys.length == 0) {
        throw new IllegalArgumentException("selector must name at least one metadata key");
      }
      Set<String> seen = new HashSet<>();
      for (String k : keys) {
        if (k == null || k.isBlank()) {
          throw new IllegalArgumentException("selector key must not be blank, was "
              + (k == null ? "null" : "'" + k + "'"));
        }
        if (!seen.add(k)) {
          throw new IllegalArgumentException("selector names key '" + k + "' twice");
        }
      }
      List<String> sorted = List.copyOf(new TreeSet<>(seen));
      if (selectors.contains(sorted)) {
        throw new IllegalArgumentException("selector " + sorted + " is declared twice");
      }
      selectors.add(sorted);
      return this;
    }

    /** What a request for an empty subset gets; default {@link Fallback#NO_FALLBACK}. */
    public Builder fallback(Fallback fallback) {
      this.fallback = LoadBalancer.Builder.required("fallback", fallback);
      return this;
    }

    /** The subset {@link Fallback#DEFAULT_SUBSET} falls back to (any keys, declared or not). */
    public Builder defaultSubset(Subset subset) {
      this.defaultSubset = LoadBalancer.Builder.required("defaultSubset", subset);
      return this;
    }

    /**
     * Builds the config.
     *
     * @throws IllegalArgumentException if no selector was declared, or the fallback is
     *     {@code DEFAULT_SUBSET} without a default subset
     */
    public SubsetConfig build() {
      if (selectors.isEmpty()) {
        throw new IllegalArgumentException("subsets need at least one selector(...)");
      }
      if (fallback == Fallback.DEFAULT_SUBSET && defaultSubset == null) {
        throw new IllegalArgumentException("fallback DEFAULT_SUBSET needs defaultSubset(...)");
      }
      return new SubsetConfig(this);
    }
  }
}
