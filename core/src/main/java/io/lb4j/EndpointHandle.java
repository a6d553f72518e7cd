package io.lb4j;

/**
 * One endpoint of a {@link LoadBalancer} as a transport adapter holds it: for adapters that keep
 * per-endpoint objects (the gRPC adapter's prebuilt pick result and stream tracer factory) and
 * already track each request's life themselves, so that a pick needs no lookup from endpoint to
 * adapter object ({@link LoadBalancer#chooseHandle}) and starting a request needs neither a lookup
 * nor a {@link Selection} ({@link #acquire}/{@link #release}).
 *
 * <p>A handle stands for its endpoint while the endpoint is present (and while requests begun on it
 * are in flight after it left); {@link LoadBalancer#handle} gives the current one. Thread-safe;
 * {@code acquire} and {@code release} take no lock and allocate nothing.
 */
public interface EndpointHandle {

  /** The endpoint, as last given to the balancer. */
  Endpoint endpoint();

  /**
   * Counts one request in flight on this endpoint. The caller must {@link #release} it exactly once;
   * a caller that cannot guarantee that uses {@link LoadBalancer#begin}, whose {@link Selection}
   * ignores a second release.
   */
  void acquire();

  /**
   * Ends one request counted by {@link #acquire}: in-flight count, outcome, latency and outlier
   * detection, exactly as {@link Selection#release} does. Call it once per {@code acquire}.
   *
   * @param outcome how the request ended; null counts as {@link Outcome#CANCELLED}
   * @param latencyNanos the request's latency, or -1 when not measured
   */
  void release(Outcome outcome, long latencyNanos);

  /** The adapter's object attached with {@link #attach}, or null. */
  Object attachment();

  /**
   * Attaches an adapter's object to this endpoint (replacing any earlier one), returned by
   * {@link #attachment()} with each {@link LoadBalancer#chooseHandle} that picks it. One adapter owns
   * a balancer's attachments.
   */
  void attach(Object attachment);
}
