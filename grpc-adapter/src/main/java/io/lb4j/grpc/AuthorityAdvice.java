package io.lb4j.grpc;

import io.grpc.ChannelCredentials;
import io.grpc.CompositeChannelCredentials;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import io.lb4j.Endpoint;
import java.security.cert.CertificateException;
import javax.net.ssl.SSLException;

/**
 * Explains the one TLS mistake a balancer can see: a channel whose authority is an IP address
 * ({@code static:///10.0.0.1:8443,...} makes the first address the authority), so TLS verifies
 * every backend's certificate against that IP, which ordinary certificates do not name. Stateless.
 */
final class AuthorityAdvice {

  private AuthorityAdvice() {}

  /** Whether the authority ({@code host}, {@code host:port} or {@code [v6]:port}) is an IP literal. */
  static boolean isIpAuthority(String authority) {
    if (authority == null || authority.isEmpty()) {
      return false;
    }
    String host = authority;
    int colon = authority.indexOf(':');
    if (authority.startsWith("[")) {
      int close = authority.indexOf(']');
      host = close > 0 ? authority.substring(1, close) : authority;
    } else if (colon > 0 && colon == authority.lastIndexOf(':')) {
      host = authority.substring(0, colon); // host:port; more colons is a bare IPv6 literal
    }
    try {
      return Endpoint.of(host, 1).hostIsIpLiteral();
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** Whether the channel was built with TLS credentials (possibly with call credentials on top). */
  static boolean isTls(ChannelCredentials credentials) {
    ChannelCredentials c = credentials;
    while (c instanceof CompositeChannelCredentials composite) {
      c = composite.getChannelCredentials();
    }
    return c instanceof TlsChannelCredentials;
  }

  /** Whether a subchannel failed in the TLS handshake (certificate not trusted or not matching). */
  static boolean isTlsFailure(Status status) {
    for (Throwable t = status.getCause(); t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof SSLException || t instanceof CertificateException) {
        return true;
      }
    }
    return false;
  }

  /** What to do about an IP authority under TLS. */
  static String advice(String authority) {
    return "the channel authority '" + authority + "' is an IP address, so TLS verifies every backend's"
        + " certificate against that IP and sends no SNI; put the service's name in the target's authority"
        + " (static://orders.internal/10.0.0.1:8443,...) or set overrideAuthority(\"orders.internal\")"
        + " on the channel builder";
  }
}
