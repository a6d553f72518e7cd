package io.lb4j.grpc;

import io.grpc.Attributes;
import io.grpc.EquivalentAddressGroup;
import io.lb4j.Endpoint;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Map;

/** Converts between lb4j {@link Endpoint}s and gRPC {@link EquivalentAddressGroup}s. Stateless. */
final class Addresses {

  private Addresses() {}

  /**
   * An address group for the endpoint, carrying its weight, zone and metadata (subset labels, the
   * priority level) as lb4j attributes when set,
   * and its {@link Endpoint#serverName()} as gRPC's per-address authority
   * ({@link EquivalentAddressGroup#ATTR_AUTHORITY_OVERRIDE}): the name TLS verifies and sends as SNI
   * for this endpoint instead of the channel's authority.
   */
  static EquivalentAddressGroup toGroup(Endpoint e) {
    Attributes.Builder attrs = Attributes.newBuilder();
    e.serverName().ifPresent(name -> attrs.set(EquivalentAddressGroup.ATTR_AUTHORITY_OVERRIDE, name));
    if (e.weight() != 1) {
      attrs.set(Lb4jGrpc.WEIGHT_KEY, e.weight());
    }
    if (!e.zone().isEmpty()) {
      attrs.set(Lb4jGrpc.ZONE_KEY, e.zone());
    }
    Map<String, String> labels = new java.util.HashMap<>(e.metadata());
    labels.remove(Endpoint.SERVER_NAME_KEY); // travels as the authority override
    if (!labels.isEmpty()) {
      attrs.set(Lb4jGrpc.METADATA_KEY, Map.copyOf(labels));
    }
    // IP literals become resolved addresses without a lookup; names stay for the transport to resolve.
    return new EquivalentAddressGroup(new InetSocketAddress(e.host(), e.port()), attrs.build());
  }

  /**
   * The endpoint that stands for an address group inside lb4j: its first socket address (an IP
   * literal when resolved, so hash policies agree with Envoy), with the group's lb4j weight, zone
   * and metadata, and the host of its authority override (if it is a DNS name) as
   * {@link Endpoint#serverName()}. A non-IP address (in-process, Unix socket) becomes a stable
   * made-up host name on port 1.
   *
   * @throws IllegalArgumentException if the weight attribute is below 1 or the metadata is invalid
   *     (e.g. a priority that is not a number)
   */
  static Endpoint toEndpoint(EquivalentAddressGroup group) {
    SocketAddress first = group.getAddresses().get(0);
    String host;
    int port;
    if (first instanceof InetSocketAddress inet) {
      host = inet.getAddress() != null ? inet.getAddress().getHostAddress() : inet.getHostString();
      port = inet.getPort();
    } else {
      host = sanitize(first.toString());
      port = 1;
    }
    Integer weight = group.getAttributes().get(Lb4jGrpc.WEIGHT_KEY);
    String zone = group.getAttributes().get(Lb4jGrpc.ZONE_KEY);
    Map<String, String> metadata = group.getAttributes().get(Lb4jGrpc.METADATA_KEY);
    Endpoint endpoint = new Endpoint(host, port, weight == null ? 1 : weight, zone == null ? "" : zone,
        metadata == null ? Map.of() : metadata);
    String name = serverName(group.getAttributes().get(EquivalentAddressGroup.ATTR_AUTHORITY_OVERRIDE));
    return name == null ? endpoint : endpoint.withServerName(name);
  }

  /** The host of an authority ({@code host} or {@code host:port}) if it is a DNS name, else null. */
  static String serverName(String authority) {
    if (authority == null || authority.isEmpty() || authority.startsWith("[")) {
      return null;
    }
    int colon = authority.lastIndexOf(':');
    String host = colon < 0 ? authority : authority.substring(0, colon);
    try {
      return Endpoint.of("localhost", 1).withServerName(host).serverName().orElse(null);
    } catch (IllegalArgumentException notADnsName) {
      return null; // an IP literal or garbage: the transport uses the override as it stands
    }
  }

  /** The group without attributes: what identifies one backend across resolutions. */
  static EquivalentAddressGroup key(EquivalentAddressGroup group) {
    return new EquivalentAddressGroup(group.getAddresses());
  }

  /**
   * A valid one-label host name for a non-IP address: {@code sa-} and the text with every character
   * but ASCII letters, digits, '-' and '_' replaced by '_', at most 40 of them; when anything was
   * replaced or cut, a hash of the whole text follows, so that different addresses stay different.
   */
  static String sanitize(String text) {
    StringBuilder sb = new StringBuilder(60).append("sa-");
    boolean altered = text.isEmpty() || text.length() > 40 || text.endsWith("-");
    for (int i = 0; i < Math.min(40, text.length()); i++) {
      char c = text.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      altered |= !ok;
      sb.append(ok ? c : '_');
    }
    if (altered) {
      sb.append('-').append(Integer.toHexString(text.hashCode()));
    }
    return sb.toString();
  }
}
