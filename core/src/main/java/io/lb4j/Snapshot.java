package io.lb4j;

import io.lb4j.policy.Picker;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything a pick and the read-only methods need, swapped as a unit with one volatile write by
 * each rebuild and never mutated after publication.
 *
 * @param picker the policy's picker over {@code chosen}; null when nothing can be picked
 * @param chosen the endpoints the picker was built over (eligible, zone-preferred, or all usable in
 *     panic mode), in list order
 * @param key what the picker was built from, to reuse it when a rebuild changes nothing it reads
 * @param version the registry version the lists below were made at
 * @param endpoints the present endpoints, in insertion order
 * @param byAddress the present endpoints' states by address
 * @param byEndpoint the same states keyed by the exact {@link Endpoint} objects handed out, so that
 *     {@link LoadBalancer#begin} finds them without building an address string
 * @param unavailable why a pick finds nothing, when {@code picker} is null
 * @param panic whether the balancer is in panic mode
 * @param counts present endpoints per status
 */
record Snapshot(
    Picker picker,
    EndpointState[] chosen,
    PickerKey key,
    long version,
    List<Endpoint> endpoints,
    Map<String, EndpointState> byAddress,
    IdentityHashMap<Endpoint, EndpointState> byEndpoint,
    String unavailable,
    boolean panic,
    StatusCounts counts) {

  /** Before the first list: nothing to pick, and why. */
  static Snapshot empty(String unavailable) {
    return new Snapshot(null, new EndpointState[0], PickerKey.NONE, -1, List.of(), Map.of(), new IdentityHashMap<>(),
        unavailable, false, StatusCounts.NONE);
  }

  /** The same lists with no picker: after {@code close()}. */
  Snapshot closed(String why) {
    return new Snapshot(null, new EndpointState[0], PickerKey.NONE, version, endpoints, byAddress, byEndpoint, why,
        false, counts);
  }
}
