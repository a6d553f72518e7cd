package io.lb4j.okhttp;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.lb4j.Endpoint;
import io.lb4j.LoadBalancer;
import io.lb4j.PickContext;
import java.time.Duration;
import okhttp3.Request;

/**
 * Session affinity made by {@link HashKeys#sticky}: remembers key → endpoint per balancer in a
 * bounded Caffeine cache that forgets a key after an idle time. Thread-safe.
 */
public final class StickyHashKey implements HashKeyExtractor {

  static final long DEFAULT_MAXIMUM_SIZE = 100_000;

  private final HashKeyExtractor extractor;
  private final Duration idle;
  private final long maximumSize;
  private final Cache<Pin, Endpoint> pins;

  StickyHashKey(HashKeyExtractor extractor, Duration idle, long maximumSize) {
    if (extractor == null) {
      throw new IllegalArgumentException("extractor must not be null");
    }
    if (idle == null || idle.isNegative() || idle.isZero()) {
      throw new IllegalArgumentException("idle must be positive, got " + idle);
    }
    if (maximumSize < 1) {
      throw new IllegalArgumentException("maximumSize must be >= 1, got " + maximumSize);
    }
    this.extractor = extractor;
    this.idle = idle;
    this.maximumSize = maximumSize;
    this.pins = Caffeine.newBuilder().expireAfterAccess(idle).maximumSize(maximumSize).build();
  }

  /** A copy that remembers at most {@code maximumSize} keys (default 100 000); starts empty. */
  public StickyHashKey maximumSize(long maximumSize) {
    return new StickyHashKey(extractor, idle, maximumSize);
  }

  @Override
  public String key(Request request) {
    return extractor.key(request);
  }

  /** How many keys are pinned now (approximate, for tests and metrics). */
  public long pinnedKeys() {
    pins.cleanUp();
    return pins.estimatedSize();
  }

  /**
   * The endpoint for {@code key} on {@code lb}: the pinned one while the balancer may pick it
   * ({@link LoadBalancer#isPickable}: eligible, or usable in panic mode, in the preferred zone),
   * else a new choice by the key's hash, which is then pinned. Nothing is counted; the caller
   * begins it.
   */
  Endpoint choose(LoadBalancer lb, String key) {
    Pin pin = new Pin(lb, key);
    Endpoint pinned = pins.getIfPresent(pin);
    if (pinned != null && lb.isPickable(pinned)) {
      return pinned;
    }
    Endpoint chosen = lb.choose(PickContext.ofKey(key));
    pins.put(pin, chosen);
    return chosen;
  }

  // Balancer by identity: one extractor may serve several services with overlapping keys.
  private record Pin(LoadBalancer lb, String key) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Pin p && p.lb == lb && p.key.equals(key);
    }

    @Override
    public int hashCode() {
      return System.identityHashCode(lb) * 31 + key.hashCode();
    }
  }
}
