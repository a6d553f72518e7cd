package io.lb4j.policy;

/**
 * A policy whose pickers ignore weights (random, round robin, peak EWMA): a slow-start step, which changes
 * only effective weights, keeps their picker, and unequal weights get the balancer's WARN.
 */
interface WeightBlindPolicy extends Policy {

  /** {@code false}: this policy ignores weights. */
  @Override
  default boolean usesEffectiveWeight() {
    return false;
  }

  /** {@code false}: this policy ignores weights. */
  @Override
  default boolean usesWeights() {
    return false;
  }
}
