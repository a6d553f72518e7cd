package io.lb4j.internal;

import io.lb4j.Endpoint;
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

  private ConfigChecks() {}

  /** Requires a positive duration. */
  public static Duration positive(String field, Duration d) {
    if (d == null || d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException(field + " must be a positive duration, was " + d);
    }
    return d;
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
