package io.lb4j.bench;

import io.lb4j.policy.Policies;
import io.lb4j.policy.Policy;
import java.util.List;

/**
 * The built-in policies under stable short names, so benchmarks, the report, the simulator and the
 * demo name them the same way (and a JMH {@code @Param} can select one). Stateless; thread-safe.
 */
public final class PolicyNames {

  /** Every built-in policy name, in the order tables print them. */
  public static final List<String> ALL =
      List.of("random", "round_robin", "weighted_round_robin", "p2c", "least_request", "peak_ewma", "ring_hash",
          "ring_hash_bounded", "ring_hash_stable", "ring_hash_stable_bounded", "maglev", "maglev_bounded");

  /**
   * Variants only the benchmarks measure, kept out of {@link #ALL} (the simulator and the demo stay
   * at the defaults): {@code ring_hash_64k} is Envoy's ring with a minimum of 65,536 entries.
   */
  public static final List<String> BENCHMARK_ONLY = List.of("ring_hash_64k");

  /** The balance factor of the {@code *_bounded} variants: Vimeo's and HAProxy's usual 1.25. */
  public static final double BALANCE_FACTOR = 1.25;

  private PolicyNames() {}

  /**
   * Returns the policy for a short name with its default settings (least request: 2 choices, bias
   * 1.0; peak EWMA: decay 10 s; {@code *_bounded}: hash balance factor {@value #BALANCE_FACTOR}; {@code ring_hash_stable}:
   * 160 entries per weight).
   *
   * @throws IllegalArgumentException if the name is not one of {@link #ALL} or {@link #BENCHMARK_ONLY}
   */
  public static Policy of(String name) {
    switch (name) {
      case "random": return Policies.random();
      case "round_robin": return Policies.roundRobin();
      case "weighted_round_robin": return Policies.weightedRoundRobin();
      case "p2c": return Policies.powerOfTwoChoices();
      case "least_request": return Policies.leastRequest(2, 1.0);
      case "peak_ewma": return Policies.peakEwma();
      case "ring_hash": return Policies.ringHash();
      case "ring_hash_bounded": return Policies.ringHash(1024, 8_388_608, BALANCE_FACTOR);
      case "ring_hash_stable": return Policies.stableRingHash();
      case "ring_hash_stable_bounded": return Policies.stableRingHash(160, BALANCE_FACTOR);
      case "ring_hash_64k": return Policies.ringHash(65_536, 8_388_608);
      case "maglev": return Policies.maglev();
      case "maglev_bounded": return Policies.maglev(65_537, BALANCE_FACTOR);
      default: throw new IllegalArgumentException("policy must be one of " + ALL + " or " + BENCHMARK_ONLY
          + ", was: " + name);
    }
  }

  /** True for the policies that pick by request hash (ring hash and Maglev, in every variant). */
  public static boolean isHash(String name) {
    return name.startsWith("ring_hash") || name.startsWith("maglev");
  }
}
