package io.lb4j;

/**
 * Receives a balancer's events as objects, for applications that want more than the log lines.
 * Every method has an empty default, so implement only what you need. Callbacks run after the
 * change took effect (the new picker is in place): on the thread that called
 * {@code updateEndpoints} or {@code drain}, or on the balancer's scheduler thread for ejections,
 * probe verdicts and everything else (never on a releasing request thread). They must be quick,
 * must not block (they delay the balancer's other background work) and must not throw (a throwing
 * listener is logged and ignored).
 */
public interface LoadBalancerListener {

  /**
   * An endpoint's status changed.
   *
   * @param lb the balancer's name
   * @param endpoint the endpoint
   * @param from the previous status
   * @param to the new status
   * @param reason why, e.g. {@code "5 consecutive failures, ejected for 30s"} or a probe's reason
   */
  default void onStatusChange(String lb, Endpoint endpoint, EndpointStatus from, EndpointStatus to, String reason) {}

  /**
   * The balancer entered or left panic mode.
   *
   * @param lb the balancer's name
   * @param panic true when entering, false when leaving
   * @param eligible eligible endpoints at that moment
   * @param total present endpoints at that moment
   */
  default void onPanic(String lb, boolean panic, int eligible, int total) {}

  /** The endpoint list was replaced; {@code total} is the new size. */
  default void onEndpointsUpdated(String lb, int total) {}
}
