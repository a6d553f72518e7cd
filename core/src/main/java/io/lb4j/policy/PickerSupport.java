package io.lb4j.policy;

import java.util.List;

/** Small helpers shared by the built-in policies. */
final class PickerSupport {

  private PickerSupport() {}

  /** Copies the eligible list into an array, rejecting an empty or null list with a clear message. */
  static EndpointView[] toArray(List<? extends EndpointView> eligible) {
    if (eligible == null || eligible.isEmpty()) {
      throw new IllegalArgumentException("eligible endpoints must not be empty, was " + eligible);
    }
    EndpointView[] views = eligible.toArray(new EndpointView[0]);
    for (int i = 0; i < views.length; i++) {
      if (views[i] == null) {
        throw new IllegalArgumentException("eligible endpoints must not contain null, index " + i);
      }
    }
    return views;
  }

  /**
   * The views' effective weights, each at least 1 (a custom {@link EndpointView} reporting 0 or
   * less still gets a share rather than breaking a schedule).
   */
  static long[] effectiveWeights(EndpointView[] views) {
    long[] weights = new long[views.length];
    for (int i = 0; i < views.length; i++) {
      weights[i] = Math.max(1, views[i].effectiveWeight());
    }
    return weights;
  }

  /** Whether every view has the same effective weight. */
  static boolean equalWeights(EndpointView[] views) {
    int w = views[0].effectiveWeight();
    for (EndpointView v : views) {
      if (v.effectiveWeight() != w) {
        return false;
      }
    }
    return true;
  }
}
