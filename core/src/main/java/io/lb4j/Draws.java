package io.lb4j;

import java.util.concurrent.ThreadLocalRandom;

/**
 * The value a weighted choice draws for one request: from the request's hash when it has one (so a
 * key always lands in the same place), else at random. Salted hashes are mixed first, so that two
 * choices that read one hash (a traffic split and a zone choice, say) are independent of each
 * other. Stateless; allocation-free.
 */
final class Draws {

  /** Salt of a traffic split's draw. */
  static final long SPLIT = 0x5bd1e9955bd1e995L;
  /** Salt of a zone choice's draw. */
  static final long ZONE = 0x9e3779b97f4a7c15L;

  private Draws() {}

  /**
   * A value in {@code [0, bound)}: the request hash itself modulo {@code bound} when {@code salt}
   * is 0 (Envoy's priority choice: {@code hash % 100}), the salted, mixed hash otherwise, or a
   * random value without a hash.
   */
  static long draw(PickContext ctx, long salt, long bound) {
    if (!ctx.hasHash()) {
      return ThreadLocalRandom.current().nextLong(bound);
    }
    return draw(ctx.hash(), salt, bound);
  }

  /** {@link #draw(PickContext, long, long)} for a request whose hash is {@code hash}. */
  static long draw(long hash, long salt, long bound) {
    long h = salt == 0 ? hash : mix(hash ^ salt);
    return Long.remainderUnsigned(h, bound);
  }

  /** The SplitMix64 finalizer: every input bit reaches every output bit. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
