package io.lb4j;

/**
 * A monotonic time source in nanoseconds, for ejection times, slow-start ramps and everything else
 * the balancer times. Only differences between two readings mean anything; the origin is
 * arbitrary. The default is {@link #system()}; tests and simulations pass a fake one (with a
 * matching {@link Scheduler}) to {@link LoadBalancer.Builder#ticker} so that time moves only when
 * they say so. Implementations must be thread-safe.
 */
@FunctionalInterface
public interface Ticker {

  /** The current reading in nanoseconds; never goes backwards. */
  long read();

  /** {@link System#nanoTime()}: monotonic, unaffected by wall-clock changes. */
  static Ticker system() {
    return System::nanoTime;
  }
}
