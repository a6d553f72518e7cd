package io.lb4j.okhttp;

import java.time.Duration;

/**
 * Ready-made {@link HashKeyExtractor}s: a header, a cookie, a query parameter or the path, and
 * {@link #sticky} session affinity on top of any of them. All are immutable and thread-safe
 * (the sticky one holds a thread-safe cache).
 */
public final class HashKeys {

  private HashKeys() {}

  /** The first value of the header {@code name} (case-insensitive), or none. */
  public static HashKeyExtractor header(String name) {
    String n = requireName("header", name);
    return request -> request.header(n);
  }

  /** The value of the first cookie called {@code name} in the {@code Cookie} headers, or none. */
  public static HashKeyExtractor cookie(String name) {
    String n = requireName("cookie", name);
    return request -> {
      for (String header : request.headers("Cookie")) {
        String v = cookieValue(header, n);
        if (v != null) {
          return v;
        }
      }
      return null;
    };
  }

  /** The first value of the query parameter {@code name} (decoded), or none. */
  public static HashKeyExtractor queryParameter(String name) {
    String n = requireName("queryParameter", name);
    return request -> request.url().queryParameter(n);
  }

  /** The encoded path, e.g. {@code /users/42}. Every request has one. */
  public static HashKeyExtractor path() {
    return request -> request.url().encodedPath();
  }

  /**
   * Session affinity: the first request with a key goes where the balancer's policy sends it (by
   * the key's hash), and later requests with the same key go to that same endpoint, even when the
   * endpoint set changes, as long as the balancer may pick that endpoint
   * ({@code LoadBalancer.isPickable}: present, eligible or usable in panic mode, in the preferred
   * zone). Then the key is placed anew. A key is forgotten after {@code idle} without requests; at most 100 000 keys are
   * remembered (see {@link StickyHashKey#maximumSize}).
   *
   * @throws IllegalArgumentException if extractor is null or idle is not positive
   */
  public static StickyHashKey sticky(HashKeyExtractor extractor, Duration idle) {
    return new StickyHashKey(extractor, idle, StickyHashKey.DEFAULT_MAXIMUM_SIZE);
  }

  private static String requireName(String what, String name) {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException(what + " name must not be blank, got '" + name + "'");
    }
    return name;
  }

  // "a=1; b=2": returns the value of name, or null. No allocation for non-matching cookies.
  static String cookieValue(String header, String name) {
    int i = 0;
    int len = header.length();
    while (i < len) {
      while (i < len && (header.charAt(i) == ' ' || header.charAt(i) == ';')) {
        i++;
      }
      int end = header.indexOf(';', i);
      if (end < 0) {
        end = len;
      }
      int eq = header.indexOf('=', i);
      if (eq > 0 && eq < end && eq - i == name.length() && header.regionMatches(i, name, 0, name.length())) {
        String v = header.substring(eq + 1, end).trim();
        if (v.length() >= 2 && v.charAt(0) == '"' && v.charAt(v.length() - 1) == '"') {
          v = v.substring(1, v.length() - 1);
        }
        return v;
      }
      i = end + 1;
    }
    return null;
  }
}
