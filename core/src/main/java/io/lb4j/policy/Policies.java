package io.lb4j.policy;

import io.lb4j.internal.ConfigChecks;
import java.time.Duration;

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
   * Latency-aware power of two choices with Finagle's default time constant, 10 s: the lower
   * {@code peakEwmaLatency * (inFlight + 1)} of two distinct random endpoints; see
   * {@link PeakEwmaPolicy}.
   */
  public static Policy peakEwma() {
    return new PeakEwmaPolicy(PeakEwmaPolicy.DEFAULT_DECAY);
  }

  /**
   * Latency-aware power of two choices; see {@link PeakEwmaPolicy}.
   *
   * @param decay the time constant of the latency estimate: a response slower than the estimate
   *     replaces it at once, faster ones bring it down over about this long; at least 1 ms (longer
   *     than 10,000 days is clamped)
   * @throws IllegalArgumentException naming {@code decay} if it is null, negative or below 1 ms
   */
  public static Policy peakEwma(Duration decay) {
    return new PeakEwmaPolicy(decay);
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
   * Envoy's ring hash with bounded load (Envoy's {@code hash_balance_factor}); see
   * {@link RingHashPolicy} and, for the bounded-load rule, {@link MaglevPolicy}.
   *
   * @param hashBalanceFactor the most an endpoint may hold as a multiple of the average in-flight
   *     load, in 1.0..10.0 and a whole percent: 1.25 is Envoy's {@code hash_balance_factor: 125}
   * @throws IllegalArgumentException naming the bad argument
   */
  public static Policy ringHash(int minRingSize, int maxRingSize, double hashBalanceFactor) {
    return new RingHashPolicy(minRingSize, maxRingSize, 0, HashPolicySupport.balancePercent(hashBalanceFactor));
  }

  /**
   * A stable ring: 160 entries per unit of endpoint weight, so that adding an endpoint moves only
   * keys to it and removing one moves only its keys; not Envoy's ring. See {@link RingHashPolicy}.
   */
  public static Policy stableRingHash() {
    return stableRingHash(RingHashPolicy.DEFAULT_ENTRIES_PER_WEIGHT);
  }

  /**
   * A stable ring with {@code entriesPerWeight} entries per unit of endpoint weight; more entries
   * spread keys more evenly (spread about {@code 1/sqrt(entries)}) at the cost of a bigger ring.
   *
   * @param entriesPerWeight 1..10,000
   * @throws IllegalArgumentException naming the bad argument
   */
  public static Policy stableRingHash(int entriesPerWeight) {
    return new RingHashPolicy(RingHashPolicy.DEFAULT_MIN_RING_SIZE, RingHashPolicy.DEFAULT_MAX_RING_SIZE,
        checkEntriesPerWeight(entriesPerWeight), 0);
  }

  /**
   * A stable ring with bounded load.
   *
   * @param entriesPerWeight 1..10,000 (160 is the default of {@link #stableRingHash()})
   * @param hashBalanceFactor in 1.0..10.0, a whole percent (1.25)
   * @throws IllegalArgumentException naming the bad argument
   */
  public static Policy stableRingHash(int entriesPerWeight, double hashBalanceFactor) {
    return new RingHashPolicy(RingHashPolicy.DEFAULT_MIN_RING_SIZE, RingHashPolicy.DEFAULT_MAX_RING_SIZE,
        checkEntriesPerWeight(entriesPerWeight), HashPolicySupport.balancePercent(hashBalanceFactor));
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

  /**
   * Envoy's Maglev with bounded load (Envoy's {@code hash_balance_factor}); see {@link MaglevPolicy}.
   *
   * @param tableSize a prime, at most 5,000,011 (Envoy's default: 65,537)
   * @param hashBalanceFactor the most an endpoint may hold as a multiple of the average in-flight
   *     load, in 1.0..10.0 and a whole percent: 1.25 is Envoy's {@code hash_balance_factor: 125}
   * @throws IllegalArgumentException naming the bad argument
   */
  public static Policy maglev(int tableSize, double hashBalanceFactor) {
    return new MaglevPolicy(tableSize, HashPolicySupport.balancePercent(hashBalanceFactor));
  }

  private static int checkEntriesPerWeight(int entriesPerWeight) {
    // 0 would mean Envoy's construction to the constructor: refuse it here.
    return ConfigChecks.inRange("entriesPerWeight", entriesPerWeight, 1, RingHashPolicy.MAX_ENTRIES_PER_WEIGHT);
  }
}
