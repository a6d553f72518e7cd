package io.lb4j.okhttp;

import io.lb4j.Subset;
import java.util.function.Function;
import okhttp3.Request;

/**
 * Reads a request's subset from a header: {@code X-Version: v2} with metadata key {@code version}
 * asks for {@code Subset.of("version", "v2")} ({@link Subset#forKey}, so a known value allocates
 * no subset). Thread-safe.
 */
final class SubsetHeader {

  final String header;
  final String key;
  private final Function<String, Subset> subsets;

  SubsetHeader(String header, String key) {
    if (header == null || header.isBlank()) {
      throw new IllegalArgumentException("subset header must not be blank, was " + (header == null ? "null" : "'" + header + "'"));
    }
    this.header = header;
    this.key = key;
    this.subsets = Subset.forKey(key);
  }

  /** The subset the header names, or null when the request has no such header. */
  Subset subset(Request request) {
    String value = request.header(header);
    return value == null ? null : subsets.apply(value);
  }
}
