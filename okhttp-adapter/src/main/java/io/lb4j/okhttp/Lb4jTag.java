package io.lb4j.okhttp;

import io.lb4j.Endpoint;

/**
 * Which instance served one attempt of a load-balanced call. {@link LoadBalancingInterceptor}
 * attaches it to the request it sends ({@code request.tag(Lb4jTag.class)}), so an
 * {@code EventListener} (for example in {@code requestHeadersEnd(call, request)}) or the caller
 * ({@code response.request().tag(Lb4jTag.class)}) can log it. Immutable.
 *
 * @param service the logical host the call was addressed to, e.g. {@code "orders"}
 * @param endpoint the endpoint this attempt went to
 * @param attempt 1 for the first attempt, 2 for the first retry, ...
 */
public record Lb4jTag(String service, Endpoint endpoint, int attempt) {

  /** Validates the parts; throws IllegalArgumentException on a null part or an attempt below 1. */
  public Lb4jTag {
    if (service == null || endpoint == null) {
      throw new IllegalArgumentException("service and endpoint must not be null, got service="
          + service + ", endpoint=" + endpoint);
    }
    if (attempt < 1) {
      throw new IllegalArgumentException("attempt must be >= 1, got " + attempt);
    }
  }
}
