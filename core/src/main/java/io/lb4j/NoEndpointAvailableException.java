package io.lb4j;

/**
 * Thrown by {@link LoadBalancer#pick(PickContext)} when no endpoint can take the request. The message
 * says why: the endpoint list is empty, or all N endpoints are ejected, unhealthy or draining.
 */
public final class NoEndpointAvailableException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message that says why no endpoint was available. */
  public NoEndpointAvailableException(String message) {
    super(message);
  }
}
