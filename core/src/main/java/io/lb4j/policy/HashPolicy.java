package io.lb4j.policy;

/**
 * What ring hash and Maglev declare alike: they pick by the request hash, and their tables weigh
 * endpoints by {@code Endpoint.weight()}, not by the slow-start ramp (Envoy's hash balancers do not
 * ramp either; a ramp would move keys on every step), so a slow-start step keeps their picker.
 */
interface HashPolicy extends Policy {

  /** {@code true}: picks by the request hash. */
  @Override
  default boolean usesHash() {
    return true;
  }

  /** Only with bounded load, which compares an endpoint's in-flight count with its bound. */
  @Override
  default boolean usesInFlight() {
    return usesTotalInFlight();
  }

  /** {@code false}: weights are {@code Endpoint.weight()}, not the slow-start ramp. */
  @Override
  default boolean usesEffectiveWeight() {
    return false;
  }
}
