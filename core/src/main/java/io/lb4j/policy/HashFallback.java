package io.lb4j.policy;

/**
 * Where a key goes when its endpoint is not {@linkplain EndpointView#available() available}, for
 * hash policies that {@linkplain Policy#skipsUnavailable() skip unavailable endpoints}: on a ring,
 * the next entry clockwise whose endpoint is available (gRPC's ring hash, A42/A61); in a Maglev
 * table, the next slot whose endpoint is available. Either way the choice depends only on the key
 * and on which endpoints are available, so a key moves only while its own endpoint is unavailable and
 * every key of an available endpoint stays put. Table slots are filled from the endpoints'
 * permutations in turn, so neighbouring slots belong to unrelated endpoints and an unavailable
 * endpoint's keys spread over the others roughly in proportion to their slots. Stateless; read-only
 * walks, no allocation.
 */
final class HashFallback {

  private HashFallback() {}

  /** The view behind a ring or table item: an {@link EndpointView}, or a bounded-load host. */
  static EndpointView view(Object item) {
    return item instanceof BoundedLoad.Host h ? h.view : (EndpointView) item;
  }

  /**
   * The item of the first entry after the hash's own entry (the first entry at or above
   * {@code hash}, unsigned, wrapping) whose endpoint is available; the hash's own item if none is.
   */
  static Object nextOnRing(HashRing ring, long hash) {
    int size = ring.size();
    int at = ring.lowerBound(hash); // size when no entry is at or above: wraps to the first
    int home = at == size ? 0 : at;
    for (int k = 1; k < size; k++) {
      Object item = ring.itemAt((home + k) % size);
      if (view(item).available()) {
        return item;
      }
    }
    return ring.itemAt(home);
  }

  /** The item of the first slot after {@code slot} (wrapping) whose endpoint is available; {@code table[slot]} if none is. */
  static Object nextInTable(Object[] table, int slot) {
    int m = table.length;
    for (int k = 1; k < m; k++) {
      int i = slot + k;
      Object item = table[i >= m ? i - m : i];
      if (view(item).available()) {
        return item;
      }
    }
    return table[slot];
  }
}
