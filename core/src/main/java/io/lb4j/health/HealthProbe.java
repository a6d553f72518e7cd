package io.lb4j.health;

import io.lb4j.Endpoint;
import java.util.concurrent.CompletionStage;

/**
 * An active health check of one endpoint. The balancer calls {@link #probe} every interval per
 * endpoint and applies the configured timeout and thresholds; an implementation only has to ask.
 *
 * <p>Implementations must be thread-safe and should not block the calling thread: return a stage
 * that completes when the answer is in. A probe that throws, returns {@code null} or never
 * completes counts as a failed probe and does not stop other probes. Core ships
 * {@link TcpConnectProbe}; the OkHttp adapter ships an HTTP probe and the gRPC adapter a
 * {@code grpc.health.v1} probe.
 */
@FunctionalInterface
public interface HealthProbe {

  /** Probes the endpoint once. */
  CompletionStage<ProbeResult> probe(Endpoint endpoint);

  /**
   * Releases what this probe owns (threads, connection pools, channels it created); resources the
   * caller handed in stay the caller's. The balancer's {@code close()} calls it once, after the last
   * probe was started; answers still in flight may complete afterwards and are ignored. A probe
   * that throws is logged and otherwise ignored. The default does nothing: a probe that owns
   * nothing has nothing to release.
   */
  default void close() {}
}
