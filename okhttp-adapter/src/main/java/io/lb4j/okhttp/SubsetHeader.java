package io.lb4j.okhttp;

import io.lb4j.Subset;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import okhttp3.Request;

/**
 * Reads a request's subset from a header: {@code X-Version: v2} with metadata key {@code version}
 * asks for {@code Subset.of("version", "v2")}. The subsets of the first {@value #CACHED} values seen
 * are kept, so a request with a known value allocates no subset. Thread-safe.
 */
final class SubsetHeader {

  /** Values whose subsets are kept; beyond, each request makes its own. */
  static final int CACHED = 1024;

  final String header;
  final String key;
  private final Map<String, Subset> byValue = new ConcurrentHashMap<>();

  SubsetHeader(String header, String key) {
    if (header == null || header.isBlank()) {
      throw new IllegalArgumentException("subset header must not be blank, was " + (header == null ? "null" : "'" + header + "'"));
    }
    if (key == null || key.isBlank()) {
      throw new IllegalArgumentException("subset metadata key must not be blank, was " + (key == null ? "null" : "'" + key + "'"));
    }
    this.header = header;
    this.key = key;
  }

  /** The subset the header names, or null when the request has no such header. */
  Subset subset(Request request) {
    String value = request.header(header);
    if (value == null) {
      return null;
    }
    Subset s = byValue.get(value);
    if (s == null) {
      s = Subset.of(key, value);
      if (byValue.size() < CACHED) {
        byValue.putIfAbsent(value, s);
      }
    }
    return s;
  }
}
