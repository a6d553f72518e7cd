package io.lb4j.okhttp;

import okhttp3.Request;

/**
 * Finds the key a request is hashed by (for ring hash and Maglev), see {@link HashKeys}. The key
 * is hashed once into {@code PickContext.ofKey}. Implementations must be thread-safe.
 */
@FunctionalInterface
public interface HashKeyExtractor {

  /** The request's key, or null when it has none (then the policy's non-hash behaviour applies). */
  String key(Request request);
}
