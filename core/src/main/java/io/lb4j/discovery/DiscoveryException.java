package io.lb4j.discovery;

/**
 * A failed refresh of an {@link io.lb4j.EndpointSource}: what the sources in lb4j hand to
 * {@code onError}, and what a fail-fast source throws from {@code start} (and so from
 * {@code LoadBalancer.Builder.build()}).
 *
 * <p>The message alone says which source, which name, which server and why, in the form
 * <pre>{@code <source> could not refresh <name> from <server>: <reason>}</pre>
 * for example
 * <pre>{@code DnsEndpointSource{SRV _http._tcp.orders.test} could not refresh _http._tcp.orders.test
 * from DNS server 127.0.0.1:53: SRV query answered SERVFAIL}</pre>
 * The parts are also available one by one. The message never says what the balancer kept: the
 * balancer knows that (it may never have had a list).
 */
public final class DiscoveryException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** The source's {@code toString()}. */
  private final String source;
  /** What was looked up. */
  private final String name;
  /** Where it was looked up. */
  private final String server;
  /** Why it failed. */
  private final String reason;

  /**
   * A failure of {@code source} looking up {@code name} at {@code server}.
   *
   * @param source the source, as its {@code toString()} reads, e.g. {@code DnsEndpointSource{svc.test:80}}
   * @param name what was looked up, e.g. {@code _http._tcp.orders.test} or {@code /services/orders}
   * @param server where, e.g. {@code DNS server 127.0.0.1:53} or {@code ZooKeeper 127.0.0.1:2181}
   * @param reason why, e.g. {@code A query answered REFUSED}
   * @param cause the underlying exception, or null
   * @throws IllegalArgumentException if a text is null or blank
   */
  public DiscoveryException(String source, String name, String server, String reason, Throwable cause) {
    super(message(source, name, server, reason), cause);
    this.source = source;
    this.name = name;
    this.server = server;
    this.reason = reason;
  }

  private static String message(String source, String name, String server, String reason) {
    require("source", source);
    require("name", name);
    require("server", server);
    require("reason", reason);
    return source + " could not refresh " + name + " from " + server + ": " + reason;
  }

  private static void require(String field, String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(field + " must not be blank, was " + (value == null ? "null" : "'" + value + "'"));
    }
  }

  /** The failing source, as its {@code toString()} reads. */
  public String source() {
    return source;
  }

  /** What was looked up: a DNS name, a registry path. */
  public String name() {
    return name;
  }

  /** Where it was looked up: a DNS server's address, a ZooKeeper connect string. */
  public String server() {
    return server;
  }

  /** Why the refresh failed, e.g. {@code SRV query answered SERVFAIL} or {@code ZooKeeper session lost}. */
  public String reason() {
    return reason;
  }
}
