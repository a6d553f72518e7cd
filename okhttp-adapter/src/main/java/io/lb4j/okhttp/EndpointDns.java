package io.lb4j.okhttp;

import io.lb4j.Endpoint;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import okhttp3.Dns;

/**
 * Routes one name to one endpoint: {@code name} resolves to {@code endpointHost} (an IP literal
 * without a lookup, a host name through {@code fallback}); every other name goes to
 * {@code fallback}. Given to OkHttp per attempt with {@code Chain.withDns}, so that the URL keeps the
 * service's name, which OkHttp sends as SNI and verifies the certificate against (with the client's
 * own verifier, trust and pins), while the connection goes to the picked endpoint.
 *
 * <p>A record on purpose: OkHttp pools connections by {@code Address}, which compares the
 * {@code Dns} with {@code equals}, so the same endpoint reuses its connections and two endpoints
 * never share one.
 *
 * @param name the URL host to route, lower-case as in {@link okhttp3.HttpUrl#host()}
 * @param endpointHost the endpoint's host: IP literal or host name
 * @param ipLiteral whether {@code endpointHost} is an IP literal
 * @param fallback the client's own resolver, for every other name and for host-name endpoints
 */
record EndpointDns(String name, String endpointHost, boolean ipLiteral, Dns fallback) implements Dns {

  /** Routes {@code name} to {@code endpoint}'s host. */
  static EndpointDns of(String name, Endpoint endpoint, Dns fallback) {
    return new EndpointDns(name, endpoint.host(), endpoint.hostIsIpLiteral(), fallback);
  }

  @Override
  public List<InetAddress> lookup(String hostname) throws UnknownHostException {
    if (!name.equalsIgnoreCase(hostname)) {
      return fallback.lookup(hostname);
    }
    if (ipLiteral) {
      return List.of(InetAddress.getByName(endpointHost)); // a literal: parsed, never looked up
    }
    return fallback.lookup(endpointHost);
  }
}
