package io.lb4j;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Subsetting: each client talks to a slice of the endpoints instead of all of them, so that a
 * thousand clients of a thousand backends do not hold a million connections. Give it to
 * {@link LoadBalancer.Builder#aperture}; the configured policy then picks within the slice.
 *
 * <ul>
 *   <li>{@link #deterministic(int)}: Finagle's deterministic aperture. The endpoints sit on a ring
 *       in an order every client computes alike (by a hash of their address); client {@code i} of
 *       {@code n} ({@link Peers}) takes the arc that starts at {@code i/n} and is wide enough to hold
 *       {@code size} endpoints, rounded up to whole client arcs so that every point of the ring is
 *       covered by the same number of clients. Every backend then gets the same share of clients
 *       and of requests; an endpoint cut by the arc's edge takes the part of a share the arc covers.
 *   <li>{@link #random(int)}: gRPC's A68 {@code random_subsetting}: the {@code size} endpoints with
 *       the lowest hash of their address under a seed drawn per balancer. Simple, but backends get
 *       a binomial number of clients.
 * </ul>
 *
 * <p>The slice widens when its endpoints are ejected or unhealthy: the deterministic arc is sized
 * by the eligible endpoints (so it holds about {@code size} eligible ones, and every client widens
 * alike while all see the same failures), and either kind extends past its end while fewer than
 * half of {@code size} of its endpoints are eligible, so no client loses all its endpoints while
 * any is eligible. Without a known position, the deterministic aperture uses the random one.
 * Immutable.
 */
public final class Aperture {

  /** Finagle's default minimum deterministic aperture. */
  public static final int DEFAULT_SIZE = 12;

  private final int size;
  private final boolean deterministic;
  private final long seed;

  private Aperture(int size, boolean deterministic, long seed) {
    if (size < 1) {
      throw new IllegalArgumentException("aperture size must be >= 1, was " + size);
    }
    this.size = size;
    this.deterministic = deterministic;
    this.seed = seed;
  }

  /** Deterministic aperture of at least {@code size} endpoints per client. */
  public static Aperture deterministic(int size) {
    return new Aperture(size, true, ThreadLocalRandom.current().nextLong());
  }

  /** Random subsetting of {@code size} endpoints, with a random seed (gRPC A68). */
  public static Aperture random(int size) {
    return random(size, ThreadLocalRandom.current().nextLong());
  }

  /** Random subsetting of {@code size} endpoints with this seed (for reproducible runs). */
  public static Aperture random(int size, long seed) {
    return new Aperture(size, false, seed);
  }

  /** The number of endpoints a client aims to talk to. */
  public int size() {
    return size;
  }

  /** Whether this is the deterministic aperture. */
  public boolean isDeterministic() {
    return deterministic;
  }

  /** The random subsetting's seed (also the deterministic aperture's, until its position is known). */
  public long seed() {
    return seed;
  }

  @Override
  public String toString() {
    return (deterministic ? "Aperture.deterministic(" : "Aperture.random(") + size + ")";
  }
}
