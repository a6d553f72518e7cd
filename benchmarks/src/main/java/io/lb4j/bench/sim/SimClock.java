package io.lb4j.bench.sim;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * The simulation's clock: time moves only when the event loop {@link #advanceTo advances} it. Handed
 * to {@code LoadBalancer.Builder.clock} and {@code RetryBudget.Builder.clock} so lb4j's outlier
 * detection and retry budget run on simulated time. Not thread-safe: one simulation, one thread.
 */
public final class SimClock extends Clock {

  /** Simulated time zero, as epoch milliseconds (an arbitrary fixed date). */
  static final long EPOCH_MILLIS = 1_700_000_000_000L;

  private long nanos;

  /** Simulated nanoseconds since the start of the run. */
  public long nanos() {
    return nanos;
  }

  /** Moves time forward to {@code t} nanoseconds since the start; never backwards. */
  public void advanceTo(long t) {
    if (t < nanos) {
      throw new IllegalArgumentException("time must not go backwards: " + t + " < " + nanos);
    }
    nanos = t;
  }

  @Override
  public long millis() {
    return EPOCH_MILLIS + nanos / 1_000_000L;
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(EPOCH_MILLIS).plusNanos(nanos);
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException("the simulated clock is UTC only");
  }
}
