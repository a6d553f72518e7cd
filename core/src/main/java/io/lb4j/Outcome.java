package io.lb4j;

/** How one request to an endpoint ended, as reported through {@link Selection#release}. */
public enum Outcome {
  /** The endpoint served the request (for HTTP: any 1xx–4xx; a 404 is the caller's problem). */
  SUCCESS,
  /** The endpoint answered with a failure: HTTP 5xx, gRPC UNAVAILABLE, INTERNAL, UNKNOWN, DATA_LOSS. */
  SERVER_ERROR,
  /**
   * A local-origin failure: the connection could not be made (refused, unreachable, or its TLS
   * handshake failed), so the endpoint never saw the request.
   */
  CONNECT_FAILURE,
  /** A local-origin failure: the request timed out waiting for the endpoint. */
  TIMEOUT,
  /**
   * Neither a success nor a failure of the endpoint: the caller gave up, or the request failed on
   * the caller's side (e.g. its request body threw while being sent).
   */
  CANCELLED;

  /** Whether this outcome counts against the endpoint for outlier detection. */
  public boolean isFailure() {
    return this == SERVER_ERROR || this == CONNECT_FAILURE || this == TIMEOUT;
  }

  /** Whether this is a failure that originated locally (connect failure or timeout). */
  public boolean isLocalOriginFailure() {
    return this == CONNECT_FAILURE || this == TIMEOUT;
  }
}
