package io.lb4j.okhttp;

import io.lb4j.Endpoint;
import java.io.IOException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS handshake failures of one service's endpoints: says which endpoint, which name was expected
 * and what the certificate presented, and logs one WARN line (no stack) per endpoint per failure
 * streak; the streak ends with that endpoint's next successful handshake. The streak is kept on the
 * endpoint's {@link EndpointRoute}, so it leaves with the endpoint and costs a successful call one
 * volatile read. Thread-safe.
 */
final class HandshakeFailures {

  private static final Logger log = LoggerFactory.getLogger(LoadBalancingInterceptor.class);

  private final String service;

  HandshakeFailures(String service) {
    this.service = service;
  }

  /**
   * Whether {@code e} failed the TLS handshake (untrusted chain, name not verified, pin mismatch):
   * the connection never carried the request.
   */
  static boolean isHandshakeFailure(IOException e) {
    return e instanceof SSLHandshakeException || e instanceof SSLPeerUnverifiedException;
  }

  /**
   * One line for a handshake failure with {@code endpoint}, e.g. {@code "TLS handshake with
   * 10.0.0.1:8443 failed: expected name orders.internal; Hostname orders.internal not verified:
   * certificate: sha256/...; DN: CN=evil.internal; subjectAltNames: [evil.internal]"}.
   */
  static String describe(Endpoint endpoint, String expectedName, IOException e) {
    String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    // OkHttp's verification message spans lines (certificate, DN, subjectAltNames): make it one.
    why = why.strip().replaceAll("\\s*\\n\\s*", "; ").replace(":;", ":");
    return "TLS handshake with " + endpoint.address() + " failed: expected name " + expectedName + "; " + why;
  }

  /**
   * The failure as the caller gets it: the same exception type, with a message naming the service,
   * endpoint, expected name and what was presented, the original as cause. Logs the first failure
   * of the route's streak at WARN.
   */
  IOException failed(EndpointRoute route, String expectedName, IOException e) {
    String message = "service '" + service + "': " + describe(route.endpoint, expectedName, e);
    if (route.handshakeFailed()) {
      log.warn("{} (logged once until a handshake with it succeeds)", message);
    } else if (log.isDebugEnabled()) {
      log.debug("{}", message, e);
    }
    IOException out = e instanceof SSLPeerUnverifiedException
        ? new SSLPeerUnverifiedException(message) : new SSLHandshakeException(message);
    out.initCause(e);
    return out;
  }
}
