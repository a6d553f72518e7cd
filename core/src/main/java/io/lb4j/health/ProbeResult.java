package io.lb4j.health;

/**
 * What one active health probe found.
 *
 * @param status healthy, unhealthy or draining
 * @param reason a short human-readable reason, logged on state changes ({@code "HTTP 503"},
 *     {@code "connect refused"}); never null
 */
public record ProbeResult(Status status, String reason) {

  /** The three verdicts a probe can give. */
  public enum Status {
    /** The endpoint answers and wants traffic. */
    HEALTHY,
    /** The endpoint does not answer, or answers with an error. */
    UNHEALTHY,
    /** The endpoint answers but asks for no new traffic (HTTP 503 from the health path, gRPC NOT_SERVING). */
    DRAINING
  }

  /**
   * Creates a result.
   *
   * @throws IllegalArgumentException if status or reason is null
   */
  public ProbeResult {
    if (status == null) {
      throw new IllegalArgumentException("status must not be null");
    }
    if (reason == null) {
      throw new IllegalArgumentException("reason must not be null (use \"\")");
    }
  }

  /** A healthy result with the given reason. */
  public static ProbeResult healthy(String reason) {
    return new ProbeResult(Status.HEALTHY, reason);
  }

  /** An unhealthy result with the given reason. */
  public static ProbeResult unhealthy(String reason) {
    return new ProbeResult(Status.UNHEALTHY, reason);
  }

  /** A draining result with the given reason. */
  public static ProbeResult draining(String reason) {
    return new ProbeResult(Status.DRAINING, reason);
  }
}
