package io.lb4j;

import io.lb4j.policy.Picker;

/**
 * One route of a {@link Snapshot}, ready to pick: the picker a request for all endpoints or for
 * one subset uses (policy pickers under the priority, zone and aperture choices), the endpoints it
 * can return, and why it has none. Immutable.
 *
 * @param picker null when nothing can be picked
 * @param chosen the endpoints the picker can return, in list order (retries scan them)
 * @param unavailable why nothing can be picked, when {@code picker} is null
 */
record PickRoute(Picker picker, EndpointState[] chosen, String unavailable) {

  /** A route that picks nothing, for this reason. */
  static PickRoute none(String unavailable) {
    return new PickRoute(null, new EndpointState[0], unavailable);
  }
}
