package io.lb4j.grpc;

import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.lb4j.Endpoint;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The {@code static} scheme: a fixed endpoint list in the target,
 * {@code static:///10.0.0.1:50051,10.0.0.2:50051}, each endpoint optionally followed by
 * {@code ;weight=N}, {@code ;zone=Z} and {@code ;serverName=S}
 * ({@code static:///10.0.0.1:50051;weight=3;zone=eu-1}). Weights and zones travel to the
 * {@code lb4j_*} policies as {@link Lb4jGrpc#WEIGHT_KEY} and {@link Lb4jGrpc#ZONE_KEY}; a server
 * name as gRPC's per-address authority override ({@code EquivalentAddressGroup.ATTR_AUTHORITY_OVERRIDE}),
 * which TLS verifies and sends as SNI for that endpoint.
 *
 * <p><b>Authority and TLS.</b> Write the service's name as the target's authority:
 * {@code static://orders.internal/10.0.0.1:8443,10.0.0.2:8443}. It becomes the channel's authority,
 * which gRPC's TLS sends as SNI and verifies every backend's certificate against, and the
 * balancer's name. Without one ({@code static:///...}) the authority is the first address, an IP
 * that ordinary certificates do not name; the {@code lb4j_*} policies then say so in a WARN line
 * and in the error of failing calls (or set {@code overrideAuthority} on the channel builder). IPv6 literals go in brackets, which a URI only allows percent-encoded
 * ({@code %5B::1%5D:50051}); {@link #target(Collection)} writes a correct target for any list.
 *
 * <p>Priority 4, below gRPC's {@code dns} (5), so registering lb4j never changes the default
 * scheme. A bad target fails channel creation with an {@link IllegalArgumentException} that quotes
 * the bad part. Stateless; thread-safe.
 */
public final class StaticNameResolverProvider extends NameResolverProvider {

  /** The scheme, {@code "static"}. */
  public static final String SCHEME = "static";

  /** For {@link java.util.ServiceLoader}. */
  public StaticNameResolverProvider() {}

  /**
   * A {@code static:} target for the endpoints, with weights and zones, percent-encoded where a URI
   * needs it.
   *
   * @throws IllegalArgumentException if the collection is null or empty
   */
  public static String target(Collection<Endpoint> endpoints) {
    if (endpoints == null || endpoints.isEmpty()) {
      throw new IllegalArgumentException("endpoints must not be empty, was " + endpoints);
    }
    StringJoiner path = new StringJoiner(",", "/", "");
    for (Endpoint e : endpoints) {
      StringBuilder sb = new StringBuilder(e.address());
      if (e.weight() != 1) {
        sb.append(";weight=").append(e.weight());
      }
      if (!e.zone().isEmpty()) {
        sb.append(";zone=").append(e.zone());
      }
      e.serverName().ifPresent(name -> sb.append(";serverName=").append(name));
      path.add(sb);
    }
    try {
      return new URI(SCHEME, "", path.toString(), null).toString();
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("cannot write a target for " + endpoints + ": " + e.getMessage(), e);
    }
  }

  /**
   * Parses the list part of a target: {@code host:port[;weight=N][;zone=Z][;serverName=S]} items
   * separated by commas.
   *
   * @throws IllegalArgumentException quoting the bad item
   */
  static List<Endpoint> parse(String list) {
    if (list == null || list.isBlank()) {
      throw new IllegalArgumentException("static target lists no endpoints, expected e.g. static:///10.0.0.1:50051,10.0.0.2:50051");
    }
    List<Endpoint> out = new ArrayList<>();
    for (String item : list.split(",", -1)) {
      String[] parts = item.strip().split(";", -1);
      try {
        Endpoint e = Endpoint.parse(parts[0]);
        for (int i = 1; i < parts.length; i++) {
          String attr = parts[i].strip();
          int eq = attr.indexOf('=');
          String key = eq < 0 ? attr : attr.substring(0, eq);
          String value = eq < 0 ? "" : attr.substring(eq + 1);
          if (key.equals("weight")) {
            e = e.withWeight(weight(value));
          } else if (key.equals("zone") && !value.isEmpty()) {
            e = e.withZone(value);
          } else if (key.equals("serverName")) {
            e = e.withServerName(value);
          } else {
            throw new IllegalArgumentException("unknown or empty attribute '" + attr
                + "' (known: weight=N, zone=Z, serverName=S)");
          }
        }
        out.add(e);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("bad endpoint '" + item + "' in static target: " + e.getMessage(), e);
      }
    }
    return out;
  }

  /** A weight in ASCII digits, 1..2147483647 (no sign, no other scripts' digits). */
  private static int weight(String value) {
    boolean digits = !value.isEmpty() && value.length() <= 10 && value.chars().allMatch(c -> c >= '0' && c <= '9');
    long w = digits ? Long.parseLong(value) : 0;
    if (w < 1 || w > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("weight must be a number in 1.." + Integer.MAX_VALUE
          + " in ASCII digits, was '" + value + "'");
    }
    return (int) w;
  }

  /**
   * A resolver for a {@code static:} target, or null for another scheme.
   *
   * @throws IllegalArgumentException if the target is malformed; the message quotes the bad part
   */
  @Override
  public NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
    if (!SCHEME.equals(targetUri.getScheme())) {
      return null;
    }
    String path = targetUri.getPath() == null ? "" : targetUri.getPath();
    List<Endpoint> endpoints = parse(path.startsWith("/") ? path.substring(1) : path);
    List<EquivalentAddressGroup> groups = endpoints.stream().map(Addresses::toGroup).toList();
    String authority = targetUri.getAuthority() != null && !targetUri.getAuthority().isEmpty()
        ? targetUri.getAuthority() : endpoints.get(0).address();
    return new FixedResolver(authority, () -> groups);
  }

  @Override
  public String getDefaultScheme() {
    return SCHEME;
  }

  @Override
  protected boolean isAvailable() {
    return true;
  }

  /** 4: below {@code dns}, so lb4j never becomes the default scheme. */
  @Override
  protected int priority() {
    return 4;
  }

  @Override
  public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
    return List.of(InetSocketAddress.class);
  }

  @Override
  public String toString() {
    return "StaticNameResolverProvider" + Map.of("scheme", SCHEME);
  }
}
