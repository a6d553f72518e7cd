package io.lb4j;

/**
 * One request's use of one endpoint, returned by {@link LoadBalancer#pick(PickContext)}.
 *
 * <p>The caller must call {@link #release(Outcome, long)} exactly once, when the request is over
 * (for a streamed response: when the body is closed). Until then the endpoint's in-flight count
 * includes this request.
 *
 * <p>Each pick returns a new selection, never a recycled one, so any {@code release} after the
 * first is ignored, however late it comes: a stale release can never end another request.
 * {@code release} may be called from any thread.
 */
public interface Selection {

  /** The picked endpoint. */
  Endpoint endpoint();

  /**
   * Ends this request's use of the endpoint: decrements its in-flight count and records the
   * outcome and latency for load-aware policies and outlier detection. Only the first call counts.
   *
   * @param outcome how the request ended; {@code null} is released as {@link Outcome#CANCELLED}
   *     and then rejected with {@link IllegalArgumentException}, so no in-flight count leaks
   * @param latencyNanos how long the request took; a negative value is not recorded as latency
   */
  void release(Outcome outcome, long latencyNanos);
}
