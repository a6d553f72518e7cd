package io.lb4j.policy;

import io.lb4j.PickContext;
import java.util.IdentityHashMap;
import java.util.Map;

/** Counts a picker's picks per view. */
final class PickCounts {

  private PickCounts() {}

  /** How often each view was picked in {@code picks} picks with no hash. */
  static Map<EndpointView, Integer> count(Picker picker, int picks) {
    Map<EndpointView, Integer> counts = new IdentityHashMap<>();
    for (int i = 0; i < picks; i++) {
      counts.merge(picker.pick(PickContext.EMPTY), 1, Integer::sum);
    }
    return counts;
  }
}
