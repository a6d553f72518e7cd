package io.lb4j.policy;

/**
 * A policy whose pickers ignore weights (random, round robin, power of two choices): a slow-start
 * step, which changes only effective weights, keeps their picker.
 */
interface WeightBlindPolicy extends Policy {

  /** {@code false}: this policy ignores weights. */
  @Override
  default boolean usesEffectiveWeight() {
    return false;
  }
}
