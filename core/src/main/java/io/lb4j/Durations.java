package io.lb4j;

import java.time.Duration;

/** Duration helpers shared by the balancer's timers. */
final class Durations {

  private Durations() {}

  /** The duration in nanoseconds, saturating at {@link Long#MAX_VALUE} (about 292 years). */
  static long nanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }

  /** {@code a * b}, saturating at {@link Long#MAX_VALUE}; both non-negative. */
  static long times(long a, long b) {
    long r = a * b;
    return a != 0 && (r / a != b || r < 0) ? Long.MAX_VALUE : r;
  }

  /** A duration for log lines and reasons: {@code "30s"} when whole seconds, else {@code "250ms"}. */
  static String format(long nanos) {
    long millis = nanos / 1_000_000L;
    return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
  }
}
