package io.lb4j.examples;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * What makes an example exit non-zero: a claim that did not come true throws, and an uncaught
 * exception ends {@code main} with exit status 1. Stateless.
 */
final class Check {

  private Check() {}

  /** Throws {@link IllegalStateException} saying {@code claim} failed unless {@code condition}. */
  static void that(boolean condition, String claim) {
    if (!condition) {
      throw new IllegalStateException("expected: " + claim);
    }
  }

  /**
   * Waits until {@code condition} holds, polling every 50 ms for at most {@code limit}; throws
   * saying {@code claim} did not come true in time. A condition that throws (a call that failed
   * while the channel was still starting, say) counts as not yet; the last such failure is the
   * cause of the exception thrown at the limit.
   */
  static void eventually(Duration limit, String claim, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    RuntimeException last = null;
    while (true) {
      try {
        if (condition.getAsBoolean()) {
          return;
        }
      } catch (RuntimeException e) {
        last = e;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("expected within " + limit.toSeconds() + " s: " + claim, last);
      }
      Thread.sleep(50); // polling interval of a bounded wait
    }
  }
}
