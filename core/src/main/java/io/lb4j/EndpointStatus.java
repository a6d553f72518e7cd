package io.lb4j;

/** Where an endpoint stands with a {@link LoadBalancer}; see {@link LoadBalancer#status(Endpoint)}. */
public enum EndpointStatus {
  /** Present and eligible for new picks. */
  HEALTHY,
  /** Drained or removed: no new picks, in-flight requests finish. */
  DRAINING,
  /** Ejected for a while by passive outlier detection. */
  EJECTED,
  /** Failed active health checks. */
  UNHEALTHY,
  /** Not known to the balancer, or not yet probed by active health checking. */
  UNKNOWN,
  /**
   * Present, not drained, ejected or unhealthy, but the transport reports no working connection
   * ({@link Connectivity#CONNECTING} or {@link Connectivity#DISCONNECTED}; see
   * {@link LoadBalancer#setConnectivity}). Never seen by balancers whose transport reports nothing.
   */
  NOT_CONNECTED
}
