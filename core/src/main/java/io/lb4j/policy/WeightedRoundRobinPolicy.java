package io.lb4j.policy;

import java.util.List;

/** TODO(core issue): implemented by the policies work. */
public final class WeightedRoundRobinPolicy implements Policy {

  static final WeightedRoundRobinPolicy INSTANCE = new WeightedRoundRobinPolicy();

  private WeightedRoundRobinPolicy() {}

  @Override
  public String name() {
    throw new UnsupportedOperationException("not implemented yet");
  }

  @Override
  public Picker newPicker(List<? extends EndpointView> eligible) {
    throw new UnsupportedOperationException("not implemented yet");
  }
}
