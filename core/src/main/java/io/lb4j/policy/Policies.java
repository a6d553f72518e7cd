package io.lb4j.policy;

/**
 * The built-in policies. Every returned {@link Policy} is immutable and may be shared by any
 * number of balancers.
 */
public final class Policies {

  private Policies() {}

  /** Uniformly random over the eligible endpoints; see {@link RandomPolicy}. */
  public static Policy random() {
    return RandomPolicy.INSTANCE;
  }

  /** Exact rotation from a random start; see {@link RoundRobinPolicy}. */
  public static Policy roundRobin() {
    return RoundRobinPolicy.INSTANCE;
  }

  /** Smooth weighted round robin: exact proportions, interleaved; see {@link WeightedRoundRobinPolicy}. */
  public static Policy weightedRoundRobin() {
    return WeightedRoundRobinPolicy.INSTANCE;
  }

  /** Fewer in-flight of two distinct random endpoints; see {@link PowerOfTwoChoicesPolicy}. */
  public static Policy powerOfTwoChoices() {
    return PowerOfTwoChoicesPolicy.INSTANCE;
  }

  /**
   * Envoy's least request; see {@link LeastRequestPolicy}.
   *
   * @param choiceCount endpoints sampled per pick when weights are equal, at least 2
   * @param activeRequestBias exponent applied to in-flight+1 when weights differ: a finite number
   *     at least 0 (NaN and infinities are refused); any such value picks, however large
   * @throws IllegalArgumentException naming the bad argument
   */
  public static Policy leastRequest(int choiceCount, double activeRequestBias) {
    return new LeastRequestPolicy(choiceCount, activeRequestBias);
  }

  /**
   * Envoy's ring hash; see {@link RingHashPolicy}.
   *
   * @throws IllegalArgumentException if a size is below 1, min exceeds max, or max exceeds 8,388,608
   */
  public static Policy ringHash(int minRingSize, int maxRingSize) {
    return new RingHashPolicy(minRingSize, maxRingSize);
  }

  /** Ring hash with Envoy's defaults: at least 1,024 and at most 8,388,608 entries. */
  public static Policy ringHash() {
    return new RingHashPolicy(RingHashPolicy.DEFAULT_MIN_RING_SIZE, RingHashPolicy.DEFAULT_MAX_RING_SIZE);
  }

  /**
   * Envoy's Maglev; see {@link MaglevPolicy}.
   *
   * @param tableSize a prime, at most 5,000,011
   * @throws IllegalArgumentException if the size is not prime or too large
   */
  public static Policy maglev(int tableSize) {
    return new MaglevPolicy(tableSize);
  }

  /** Maglev with Envoy's default table size, 65,537. */
  public static Policy maglev() {
    return new MaglevPolicy(MaglevPolicy.DEFAULT_TABLE_SIZE);
  }
}
