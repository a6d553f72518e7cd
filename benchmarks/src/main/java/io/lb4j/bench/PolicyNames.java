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
      List.of("random", "round_robin", "weighted_round_robin", "p2c", "least_request", "ring_hash", "maglev");

  private PolicyNames() {}

  /**
   * Returns the policy for a short name with its default settings (least request: 2 choices, bias 1.0).
   *
   * @throws IllegalArgumentException if the name is not one of {@link #ALL}
   */
  public static Policy of(String name) {
    switch (name) {
      case "random": return Policies.random();
      case "round_robin": return Policies.roundRobin();
      case "weighted_round_robin": return Policies.weightedRoundRobin();
      case "p2c": return Policies.powerOfTwoChoices();
      case "least_request": return Policies.leastRequest(2, 1.0);
      case "ring_hash": return Policies.ringHash();
      case "maglev": return Policies.maglev();
      default: throw new IllegalArgumentException("policy must be one of " + ALL + ", was: " + name);
    }
  }

  /** True for the policies that pick by request hash (ring hash, Maglev). */
  public static boolean isHash(String name) {
    return name.equals("ring_hash") || name.equals("maglev");
  }
}
