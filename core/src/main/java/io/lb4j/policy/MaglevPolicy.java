package io.lb4j.policy;

import java.util.List;

/** TODO(core issue): implemented by the hash policies work. */
public final class MaglevPolicy implements Policy {

  MaglevPolicy(int tableSize) {}

  @Override
  public String name() {
    throw new UnsupportedOperationException("not implemented yet");
  }

  @Override
  public Picker newPicker(List<? extends EndpointView> eligible) {
    throw new UnsupportedOperationException("not implemented yet");
  }
}
