package io.lb4j;

import java.util.Arrays;

/**
 * What a policy's picker is built from, so that a rebuild which changes none of it keeps the
 * picker (as gRPC's {@code ReadyPicker.equals} skips no-op updates): the chosen endpoint states in
 * order (by identity; they carry the live load), their {@link Endpoint}s (weight, zone, metadata),
 * and their effective weights when the policy reads them at build time
 * ({@code Policy.usesEffectiveWeight()}). A Maglev table is thus not rebuilt on a slow-start step
 * or on a health flip that leaves the chosen set alone.
 */
final class PickerKey {

  static final PickerKey NONE = new PickerKey(new EndpointState[0], new Endpoint[0], null);

  private final EndpointState[] states;
  private final Endpoint[] endpoints;
  private final int[] weights; // null when the policy does not read effective weights

  private PickerKey(EndpointState[] states, Endpoint[] endpoints, int[] weights) {
    this.states = states;
    this.endpoints = endpoints;
    this.weights = weights;
  }

  /** The key of a picker over {@code chosen}, read after their effective weights were set. */
  static PickerKey of(EndpointState[] chosen, boolean withWeights) {
    Endpoint[] endpoints = new Endpoint[chosen.length];
    int[] weights = withWeights ? new int[chosen.length] : null;
    for (int i = 0; i < chosen.length; i++) {
      endpoints[i] = chosen[i].endpoint();
      if (weights != null) {
        weights[i] = chosen[i].effectiveWeight();
      }
    }
    return new PickerKey(chosen, endpoints, weights);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof PickerKey k) || k.states.length != states.length) {
      return false;
    }
    for (int i = 0; i < states.length; i++) {
      if (k.states[i] != states[i]) {
        return false;
      }
    }
    return Arrays.equals(endpoints, k.endpoints) && Arrays.equals(weights, k.weights);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(endpoints);
  }

  @Override
  public String toString() {
    return "PickerKey" + Arrays.toString(endpoints) + (weights == null ? "" : Arrays.toString(weights));
  }
}
