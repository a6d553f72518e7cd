package io.lb4j.policy;

import io.lb4j.Endpoint;
import java.util.List;

/** TODO(core issue): implemented by the hash policies work. */
public final class MaglevTable {

  static final int DEFAULT_TABLE_SIZE = 65_537;

  private MaglevTable() {}

  public static MaglevTable build(List<Endpoint> endpoints, int tableSize) {
    throw new UnsupportedOperationException("not implemented yet");
  }

  public int size() {
    throw new UnsupportedOperationException("not implemented yet");
  }

  public Endpoint get(int index) {
    throw new UnsupportedOperationException("not implemented yet");
  }

  public Endpoint lookup(long hash) {
    throw new UnsupportedOperationException("not implemented yet");
  }
}
