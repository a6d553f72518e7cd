package io.lb4j.policy;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Uniformly random choice among the eligible endpoints, ignoring weights and load.
 *
 * <p>Cost: one {@link ThreadLocalRandom} draw and one array read per pick; no shared mutable state,
 * so it scales with threads. Building is O(n).
 */
public final class RandomPolicy implements WeightBlindPolicy {

  static final RandomPolicy INSTANCE = new RandomPolicy();

  private RandomPolicy() {}

  @Override
  public String name() {
    return "random";
  }

  /** {@code false}: ignores load. */
  @Override
  public boolean usesInFlight() {
    return false;
  }

  @Override
  public Picker newPicker(List<? extends EndpointView> eligible) {
    EndpointView[] views = PickerSupport.toArray(eligible);
    if (views.length == 1) {
      EndpointView only = views[0];
      return ctx -> only;
    }
    return ctx -> views[ThreadLocalRandom.current().nextInt(views.length)];
  }

  @Override
  public String toString() {
    return "random";
  }
}
