package io.lb4j.policy;

import java.util.List;

/** TODO(core issue): implemented by the hash policies work. */
public final class RingHashPolicy implements Policy {

  static final int DEFAULT_MIN_RING_SIZE = 1024;
  static final int DEFAULT_MAX_RING_SIZE = 8_388_608;

  RingHashPolicy(int minRingSize, int maxRingSize) {}

  @Override
  public String name() {
    throw new UnsupportedOperationException("not implemented yet");
  }

  @Override
  public Picker newPicker(List<? extends EndpointView> eligible) {
    throw new UnsupportedOperationException("not implemented yet");
  }
}
