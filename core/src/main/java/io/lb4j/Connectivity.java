package io.lb4j;

/**
 * Whether the transport can reach an endpoint now, as a transport adapter reports it with
 * {@link LoadBalancer#setConnectivity} (the gRPC adapter maps its subchannels' states). A signal of
 * its own, next to outlier ejection and active health: an endpoint that is not {@link #CONNECTED}
 * shows {@link EndpointStatus#NOT_CONNECTED} unless a stronger status (drained, ejected, unhealthy)
 * applies, and it keeps its ejection, health verdicts, latency and slow-start state while its
 * connection comes and goes.
 *
 * <p>What the balancer does with each value:
 *
 * <ul>
 *   <li>{@link #CONNECTED}: eligible as far as the transport is concerned.
 *   <li>{@link #CONNECTING}: picked only by hash policies ({@code Policy.usesHash()}), so that a key
 *       stays on its endpoint and its request waits for the connection (gRPC's ring hash, A42);
 *       other policies pick among connected endpoints.
 *   <li>{@link #DISCONNECTED}: never picked, not even in panic mode, and left out of the panic
 *       threshold's count (like an endpoint that failed its health checks).
 * </ul>
 *
 * A balancer whose transport reports nothing treats every endpoint as {@link #CONNECTED} (the
 * default of {@link LoadBalancer.Builder#initialConnectivity}).
 */
public enum Connectivity {
  /** The transport has a working connection, or does not report connections. */
  CONNECTED,
  /**
   * Not connected yet, but connecting or able to connect on demand (gRPC's {@code IDLE} and
   * {@code CONNECTING}): a request sent there waits for the connection.
   */
  CONNECTING,
  /**
   * Not connected, and the last attempt failed (gRPC's {@code TRANSIENT_FAILURE}): requests there
   * would fail until the transport reconnects.
   */
  DISCONNECTED
}
