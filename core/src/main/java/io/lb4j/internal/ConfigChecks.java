package io.lb4j.internal;

import io.lb4j.Endpoint;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Argument checks shared by the config builders: each throws {@link IllegalArgumentException}
 * naming the field and the rejected value. Internal: not part of the public API, may change without notice.
 */
public final class ConfigChecks {

  /**
   * The longest duration lb4j keeps: 10,000 days (about 27 years). A longer one means "never" as
   * well as this does, and keeps every conversion to milliseconds or nanoseconds and every sum with
   * a clock reading far from overflow.
   */
  public static final Duration MAX_DURATION = Duration.ofDays(10_000);

  /** The shortest timer lb4j accepts: 1 ms, the resolution of its clock and schedules. */
  public static final Duration MIN_TIMER = Duration.ofMillis(1);

  private ConfigChecks() {}

  /**
   * Requires a timer duration of at least {@link #MIN_TIMER} and returns it, clamped to
   * {@link #MAX_DURATION}. Null, negative, zero and sub-millisecond durations are refused: the
   * timers tick in milliseconds, so they could not be honoured (a zero-delay schedule, a window
   * that silently turns off).
   */
  public static Duration timer(String field, Duration d) {
    if (d == null || d.compareTo(MIN_TIMER) < 0) {
      throw new IllegalArgumentException(field + " must be a duration in " + format(MIN_TIMER) + ".."
          + format(MAX_DURATION) + " (longer ones are clamped), was " + format(d));
    }
    return clamp(d);
  }

  /** Like {@link #timer} but also accepts {@link Duration#ZERO}, which means "off". */
  public static Duration timerOrZero(String field, Duration d) {
    if (d != null && d.isZero()) {
      return d;
    }
    if (d == null || d.compareTo(MIN_TIMER) < 0) {
      throw new IllegalArgumentException(field + " must be 0s (off) or a duration in " + format(MIN_TIMER) + ".."
          + format(MAX_DURATION) + " (longer ones are clamped), was " + format(d));
    }
    return clamp(d);
  }

  /** {@code d} capped at {@link #MAX_DURATION}. */
  public static Duration clamp(Duration d) {
    return d.compareTo(MAX_DURATION) > 0 ? MAX_DURATION : d;
  }

  /**
   * A duration in seconds, the way gRPC's JSON writes it: {@code 10s}, {@code 0.0005s},
   * {@code -1s}; {@code null} for null.
   */
  public static String format(Duration d) {
    if (d == null) {
      return "null";
    }
    BigDecimal seconds = BigDecimal.valueOf(d.getSeconds()).add(BigDecimal.valueOf(d.getNano(), 9));
    return seconds.stripTrailingZeros().toPlainString() + "s";
  }

  /** Same as {@link #timer}: a positive duration, at least 1 ms, clamped to {@link #MAX_DURATION}. */
  public static Duration positive(String field, Duration d) {
    return timer(field, d);
  }

  /** Requires {@code value >= min}. */
  public static int atLeast(String field, int value, int min) {
    if (value < min) {
      throw new IllegalArgumentException(field + " must be >= " + min + ", was " + value);
    }
    return value;
  }

  /** Requires {@code min <= value <= max}. */
  public static int inRange(String field, int value, int min, int max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(field + " must be in " + min + ".." + max + ", was " + value);
    }
    return value;
  }

  /** Requires a finite {@code value} in 0.0..1.0. */
  public static double fraction(String field, double value) {
    if (!(value >= 0.0 && value <= 1.0)) {
      throw new IllegalArgumentException(field + " must be in 0.0..1.0, was " + value);
    }
    return value;
  }

  /** Requires a finite {@code value > 0}. */
  public static double positive(String field, double value) {
    if (!(value > 0.0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException(field + " must be a positive number, was " + value);
    }
    return value;
  }

  /**
   * Requires a non-null collection of non-null endpoints with distinct addresses; returns an
   * immutable copy in the same order.
   */
  public static List<Endpoint> endpointList(String field, Collection<Endpoint> endpoints) {
    if (endpoints == null) {
      throw new IllegalArgumentException(field + " must not be null (use an empty list)");
    }
    List<Endpoint> copy = new ArrayList<>(endpoints.size());
    Set<String> seen = new HashSet<>();
    for (Endpoint e : endpoints) {
      if (e == null) {
        throw new IllegalArgumentException(field + " must not contain null, index " + copy.size());
      }
      if (!seen.add(e.address())) {
        throw new IllegalArgumentException(field + " contains the address " + e.address()
            + " twice (second at index " + copy.size() + ")");
      }
      copy.add(e);
    }
    return List.copyOf(copy);
  }
}
