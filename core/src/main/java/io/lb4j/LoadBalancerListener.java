package io.lb4j;

/**
 * Receives a balancer's events as objects, for applications that want more than the log lines.
 * Every method has an empty default, so implement only what you need. Callbacks run after the
 * change took effect (the new picker is in place): on the thread that called
 * {@code updateEndpoints} or {@code drain}, on the endpoint source's thread for the lists it
 * delivers and its failures, or on the balancer's scheduler thread for ejections, probe verdicts
 * and everything else (never on a releasing request thread). They must be quick, must not block
 * (they delay the balancer's other background work) and must not throw (a throwing listener is
 * logged and ignored).
 *
 * <p>One list update that changes something tells, in this order: {@link #onEndpointAdded},
 * {@link #onEndpointChanged}, {@link #onEndpointRemoved} (after the leaver's
 * {@code onStatusChange} to {@code DRAINING}) for each endpoint concerned, the status changes and
 * panic or zone changes the new list causes, then {@link #onEndpointsUpdated}. A list equal to the
 * current one (a source's periodic refresh) tells nothing.
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

  /** The endpoint list changed; {@code total} is the new size. Not called for an unchanged list. */
  default void onEndpointsUpdated(String lb, int total) {}

  /**
   * An endpoint joined the list (also each endpoint of the first list).
   *
   * @param lb the balancer's name
   * @param endpoint the endpoint, with its weight, zone and metadata
   */
  default void onEndpointAdded(String lb, Endpoint endpoint) {}

  /**
   * An endpoint that stays in the list got another weight, zone or metadata; it keeps its live state.
   *
   * @param lb the balancer's name
   * @param from the endpoint as it was
   * @param to the endpoint as it is now (same address)
   */
  default void onEndpointChanged(String lb, Endpoint from, Endpoint to) {}

  /**
   * An endpoint left the list; requests in flight to it finish.
   *
   * @param lb the balancer's name
   * @param endpoint the endpoint as it was last listed
   */
  default void onEndpointRemoved(String lb, Endpoint endpoint) {}

  /**
   * Zone-aware routing ({@code Builder.localZone}) began spilling over to other zones, or routes to
   * the local zone again. The {@code lb4j.zone.spillover} gauge shows the same state.
   *
   * @param lb the balancer's name
   * @param localZone the balancer's local zone
   * @param spilling true when spilling over begins, false when routing returns to the local zone
   * @param localEligible eligible endpoints in the local zone at that moment
   * @param localTotal judged endpoints in the local zone at that moment (present, not draining, not
   *     waiting for a first probe)
   */
  default void onZoneSpillover(String lb, String localZone, boolean spilling, int localEligible, int localTotal) {}

  /**
   * The endpoint source failed to refresh: called for every failure, on the source's thread. The
   * balancer keeps its list. The {@code lb4j.discovery.failures} counter counts the same failures.
   *
   * @param lb the balancer's name
   * @param error why (lb4j's sources pass a {@link io.lb4j.discovery.DiscoveryException} naming the
   *     source, the name, the server and the reason)
   * @param consecutiveFailures failures in a row so far: 1 when a failure streak begins
   */
  default void onDiscoveryFailure(String lb, Throwable error, int consecutiveFailures) {}

  /**
   * The endpoint source refreshed successfully after a failure streak, on the source's thread; the
   * list it delivered follows (with its own events if it changed anything).
   *
   * @param lb the balancer's name
   * @param failedRefreshes the failures of the streak that ended
   */
  default void onDiscoveryRecovery(String lb, int failedRefreshes) {}
}
