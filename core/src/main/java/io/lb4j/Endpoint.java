package io.lb4j;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One backend instance: a host and port, with a relative weight, a zone and free-form metadata.
 *
 * <p>Identity is {@link #address()}: two endpoints with the same address are the same backend,
 * whatever their weight, zone or metadata. The address is also the key that the hash policies
 * hash, so it is canonical: an IPv6 literal is stored in the compressed lower-case form that
 * Envoy prints ({@code 2001:db8::1}, never {@code 2001:0db8:0:0:0:0:0:1}) and written in brackets
 * ({@code [2001:db8::1]:8080}).
 *
 * <p><b>TLS identity.</b> The address says where to connect; {@link #serverName()} says, when set,
 * which name the endpoint's TLS certificate must prove and which name is sent as SNI. Without one,
 * the adapters use the service's name: the URL host for OkHttp, the channel authority for gRPC.
 * It lives in the metadata under {@link #SERVER_NAME_KEY}, so every discovery source that carries
 * metadata can set it (a ZooKeeper payload's {@code metadata}, {@link #withServerName} for static
 * lists); it is not part of the identity.
 *
 * <p><b>Priority.</b> {@link #priority()} places the endpoint in a priority level (Envoy's
 * priorities; 0, the default, is preferred): traffic goes to level 0 while it is healthy enough and
 * spills to the next level in proportion to its missing health (see {@code README}, "Priority
 * levels"). It lives in the metadata under {@link #PRIORITY_KEY}, so DNS SRV priorities, a
 * ZooKeeper payload's {@code metadata} or {@link #withPriority} set it; it is not part of the
 * identity.
 *
 * <p>Validation happens in the constructor; a bad value throws {@link IllegalArgumentException}
 * naming the field and the value. A host is one of:
 *
 * <ul>
 *   <li>an IPv4 address in dotted-quad form, four decimal parts 0..255 without leading zeros
 *       ({@code 10.0.0.1}; {@code 999.1.1.1}, {@code 10.1} and {@code 010.0.0.1} are refused: the
 *       last two mean different addresses to different resolvers);
 *   <li>an IPv6 address, with or without brackets, optionally with a {@code %scope};
 *   <li>a host name by RFC 1123: dot-separated labels of 1..63 ASCII letters, digits and hyphens,
 *       not starting or ending with a hyphen, at most 253 characters, an optional final dot, and a
 *       last label that is not all digits (that would be a malformed IPv4 address). An underscore
 *       is also accepted in a label, as the JDK resolver and OkHttp accept it (Docker Compose
 *       service names use it). Internationalised names must be given in their ASCII
 *       ({@code xn--}) form, see {@link java.net.IDN#toASCII(String)}.
 * </ul>
 *
 * <p>Instances are immutable and thread-safe. (Over 400 lines because parsing and validating every
 * field, with errors that name the field and value, is most of a value type's work here.)
 *
 * @param host a host name, IPv4 literal or IPv6 literal (with or without brackets); see above
 * @param port the TCP port, 1 to 65535
 * @param weight relative weight for weighted policies, at least 1
 * @param zone locality for zone-aware routing; {@code ""} means none
 * @param metadata free-form labels, copied into an immutable map
 */
public record Endpoint(String host, int port, int weight, String zone, Map<String, String> metadata) {

  /** The metadata key of {@link #serverName()}: {@value}. */
  public static final String SERVER_NAME_KEY = "lb4j.serverName";

  /** The metadata key of {@link #priority()}: {@value}; a decimal integer 0..2147483647. */
  public static final String PRIORITY_KEY = "lb4j.priority";

  public Endpoint {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("host must not be blank, was " + (host == null ? "null" : "'" + host + "'"));
    }
    host = canonicalHost(host.strip(), null);
    if (port <= 0 || port >= 65536) {
      throw new IllegalArgumentException("port must be in 1..65535, was " + port + " (host " + host + ")");
    }
    if (weight < 1) {
      throw new IllegalArgumentException("weight must be >= 1, was " + weight + " (endpoint " + host + ":" + port + ")");
    }
    if (zone == null) {
      throw new IllegalArgumentException("zone must not be null (use \"\" for none), endpoint " + host + ":" + port);
    }
    if (metadata == null) {
      throw new IllegalArgumentException("metadata must not be null (use Map.of()), endpoint " + host + ":" + port);
    }
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      if (e.getKey() == null || e.getValue() == null) {
        throw new IllegalArgumentException("metadata must not contain null keys or values, was " + metadata);
      }
    }
    String serverName = metadata.get(SERVER_NAME_KEY);
    if (serverName != null) {
      String canonical = checkServerName(serverName, host, port);
      if (!canonical.equals(serverName)) {
        Map<String, String> m = new HashMap<>(metadata);
        m.put(SERVER_NAME_KEY, canonical);
        metadata = m;
      }
    }
    String priority = metadata.get(PRIORITY_KEY);
    if (priority != null) {
      String canonical = Integer.toString(checkPriority(priority, host, port));
      if (!canonical.equals(priority)) {
        Map<String, String> m = new HashMap<>(metadata);
        m.put(PRIORITY_KEY, canonical);
        metadata = m;
      }
    }
    metadata = Map.copyOf(metadata);
  }

  /** The priority a metadata value names: a decimal integer 0..Integer.MAX_VALUE. */
  private static int checkPriority(String value, String host, int port) {
    String v = value.strip();
    int p = -1;
    if (!v.isEmpty() && v.length() <= 10 && v.chars().allMatch(c -> c >= '0' && c <= '9')) {
      long parsed = Long.parseLong(v);
      p = parsed <= Integer.MAX_VALUE ? (int) parsed : -1;
    }
    if (p < 0) {
      throw new IllegalArgumentException(PRIORITY_KEY + " must be an integer in 0..2147483647, was '" + value
          + "' (endpoint " + host + ":" + port + ")");
    }
    return p;
  }

  /**
   * A host name by the rules on this class, without a final dot (SNI carries none) and not an IP
   * address; lower-cased.
   */
  private static String checkServerName(String name, String host, int port) {
    String n = name.strip().toLowerCase(Locale.ROOT);
    String problem = n.indexOf(':') >= 0 ? "an IPv6 address" : hostNameProblem(n);
    if (problem == null && n.endsWith(".")) {
      problem = "a final dot";
    } else if (problem == null && n.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'))) {
      problem = "an IPv4 address";
    }
    if (problem != null) {
      throw new IllegalArgumentException(SERVER_NAME_KEY + " must be a DNS name such as orders.internal,"
          + " not an IP address, was '" + name + "' (" + problem + "; endpoint " + host + ":" + port + ")");
    }
    return n;
  }

  /** An endpoint with weight 1, no zone and no metadata. */
  public static Endpoint of(String host, int port) {
    return new Endpoint(host, port, 1, "", Map.of());
  }

  /**
   * Parses {@code host:port}: {@code "10.0.0.1:8080"}, {@code "[::1]:8080"}, {@code "svc.local:80"}.
   * Leading and trailing white space is ignored. The port is 1..65535 in ASCII digits (no sign, no
   * other scripts' digits); the host follows the rules on this class.
   *
   * @throws IllegalArgumentException if the text has a scheme or a path, no port, a bad port, more
   *     than one colon outside brackets (an IPv6 address must be written {@code [addr]:port}), or a
   *     bad or empty host; the message quotes the whole input
   */
  public static Endpoint parse(String hostPort) {
    if (hostPort == null || hostPort.isBlank()) {
      throw new IllegalArgumentException("endpoint must be 'host:port', was " + (hostPort == null ? "null" : "'" + hostPort + "'"));
    }
    String s = hostPort.strip();
    if (s.contains("://")) {
      throw new IllegalArgumentException("endpoint must be 'host:port' without a scheme, was '" + hostPort + "'");
    }
    if (s.indexOf('/') >= 0) {
      throw new IllegalArgumentException("endpoint must be 'host:port' without a path, was '" + hostPort + "'");
    }
    String host;
    String portText;
    if (s.startsWith("[")) {
      int close = s.indexOf(']');
      if (close < 0 || close + 1 >= s.length() || s.charAt(close + 1) != ':') {
        throw new IllegalArgumentException("endpoint must be '[ipv6]:port', was '" + hostPort + "'");
      }
      host = s.substring(1, close);
      portText = s.substring(close + 2);
      if (host.indexOf(':') < 0) {
        throw new IllegalArgumentException("brackets are only for IPv6 addresses, was '" + hostPort + "'");
      }
    } else {
      int colon = s.lastIndexOf(':');
      if (colon < 0) {
        throw new IllegalArgumentException("endpoint must be 'host:port' (port missing), was '" + hostPort + "'");
      }
      if (s.indexOf(':') != colon) {
        throw new IllegalArgumentException(looksLikeIpv6(s)
            ? "IPv6 endpoint must be written '[addr]:port', was '" + hostPort + "'"
            : "endpoint must be 'host:port' with one ':', was '" + hostPort
                + "' (an IPv6 address is written '[addr]:port')");
      }
      host = s.substring(0, colon);
      portText = s.substring(colon + 1);
    }
    int port = parsePort(portText, hostPort);
    if (host.isEmpty()) {
      throw new IllegalArgumentException("host must not be empty in '" + hostPort + "'");
    }
    return new Endpoint(canonicalHost(host, hostPort), port, 1, "", Map.of());
  }

  /** Decimal ASCII digits only: Integer.parseInt would also take "+80" and non-ASCII digits. */
  private static int parsePort(String text, String input) {
    int port = 0;
    boolean digits = !text.isEmpty() && text.length() <= 5;
    for (int i = 0; digits && i < text.length(); i++) {
      char c = text.charAt(i);
      digits = c >= '0' && c <= '9';
      port = port * 10 + (c - '0');
    }
    if (!digits || port <= 0 || port >= 65536) {
      throw new IllegalArgumentException("port must be a number in 1..65535 in ASCII digits, was '" + text
          + "' in '" + input + "'");
    }
    return port;
  }

  private static boolean looksLikeIpv6(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!(c == ':' || c == '.' || c == '%' || (c < 128 && Character.digit(c, 16) >= 0))) {
        return false;
      }
    }
    return true;
  }

  /** This endpoint with another weight (at least 1). */
  public Endpoint withWeight(int weight) {
    return new Endpoint(host, port, weight, zone, metadata);
  }

  /** This endpoint with another zone ({@code ""} for none). */
  public Endpoint withZone(String zone) {
    return new Endpoint(host, port, weight, zone, metadata);
  }

  /** This endpoint with other metadata. */
  public Endpoint withMetadata(Map<String, String> metadata) {
    return new Endpoint(host, port, weight, zone, metadata);
  }

  /**
   * The name this endpoint's TLS certificate must prove, also sent as SNI, when it differs from the
   * service's name (for example a per-instance name from discovery); empty when the service's name
   * applies. Read from the metadata key {@link #SERVER_NAME_KEY}, lower-case.
   */
  public Optional<String> serverName() {
    return Optional.ofNullable(metadata.get(SERVER_NAME_KEY));
  }

  /**
   * This endpoint with a TLS server name ({@link #serverName()}), or without one for {@code null}.
   *
   * @throws IllegalArgumentException if the name is not a DNS name (an IP literal is refused: SNI
   *     carries names only)
   */
  public Endpoint withServerName(String serverName) {
    Map<String, String> m = new HashMap<>(metadata);
    if (serverName == null) {
      m.remove(SERVER_NAME_KEY);
    } else {
      m.put(SERVER_NAME_KEY, serverName);
    }
    return new Endpoint(host, port, weight, zone, m);
  }

  /**
   * The endpoint's priority level: 0 (the default) is preferred, higher values are fail-over
   * levels that take traffic as the lower levels lose health. Read from the metadata key
   * {@link #PRIORITY_KEY}.
   */
  public int priority() {
    String p = metadata.get(PRIORITY_KEY);
    return p == null ? 0 : Integer.parseInt(p);
  }

  /**
   * This endpoint in another priority level ({@link #priority()}); 0 removes the key.
   *
   * @throws IllegalArgumentException if {@code priority} is negative
   */
  public Endpoint withPriority(int priority) {
    if (priority < 0) {
      throw new IllegalArgumentException("priority must be >= 0, was " + priority + " (endpoint " + address() + ")");
    }
    Map<String, String> m = new HashMap<>(metadata);
    if (priority == 0) {
      m.remove(PRIORITY_KEY);
    } else {
      m.put(PRIORITY_KEY, Integer.toString(priority));
    }
    return new Endpoint(host, port, weight, zone, m);
  }

  /**
   * Whether {@link #host()} is an IPv4 dotted quad or an IPv6 literal, which connects without a
   * name lookup.
   */
  public boolean hostIsIpLiteral() {
    if (host.indexOf(':') >= 0) {
      return true;
    }
    int dots = 0;
    for (int i = 0; i < host.length(); i++) {
      char c = host.charAt(i);
      if (c == '.') {
        dots++;
      } else if (c < '0' || c > '9') {
        return false;
      }
    }
    return dots == 3;
  }

  /**
   * The canonical {@code host:port}, {@code [v6]:port} for IPv6: the endpoint's identity and the
   * key that ring hash and Maglev hash.
   */
  public String address() {
    return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(address());
    if (weight != 1) {
      sb.append(";weight=").append(weight);
    }
    if (!zone.isEmpty()) {
      sb.append(";zone=").append(zone);
    }
    if (!metadata.isEmpty()) {
      sb.append(';').append(metadata);
    }
    return sb.toString();
  }

  /**
   * The host in canonical form (IPv6 compressed, brackets dropped), or an exception quoting the
   * host and, when parsing, the whole {@code input}.
   */
  private static String canonicalHost(String host, String input) {
    String h = host;
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    if (h.indexOf(':') < 0) {
      String problem = hostNameProblem(h);
      if (problem != null) {
        throw badHost(host, input, "not a valid IPv4 address or host name: " + problem, null);
      }
      return h;
    }
    String scope = "";
    int pct = h.indexOf('%');
    if (pct >= 0) {
      scope = h.substring(pct);
      h = h.substring(0, pct);
      if (scope.length() == 1 || containsWhitespace(scope)) {
        throw badHost(host, input, "not a valid IPv6 literal (bad scope)", null);
      }
    }
    for (int i = 0; i < h.length(); i++) {
      char c = h.charAt(i);
      if (!(c == ':' || c == '.' || (c < 128 && Character.digit(c, 16) >= 0))) {
        throw badHost(host, input, "not a valid IPv6 literal", null);
      }
    }
    InetAddress parsed;
    try {
      // A literal of hex digits, colons and dots: the JDK parses it without any name lookup.
      parsed = InetAddress.getByName(h);
    } catch (UnknownHostException e) {
      throw badHost(host, input, "not a valid IPv6 literal", e);
    }
    if (parsed instanceof Inet4Address v4) {
      // The JDK folds ::ffff:a.b.c.d into IPv4; keep the IPv6 spelling the user gave.
      return "::ffff:" + v4.getHostAddress() + scope;
    }
    return compress(((Inet6Address) parsed).getAddress()) + scope;
  }

  private static IllegalArgumentException badHost(String host, String input, String problem, Throwable cause) {
    String where = input == null ? "" : " in '" + input + "'";
    return new IllegalArgumentException("host '" + host + "'" + where + " is " + problem, cause);
  }

  /**
   * Why {@code h} (no colon) is neither a dotted-quad IPv4 address nor an RFC 1123 host name, or
   * null if it is one of them.
   */
  static String hostNameProblem(String h) {
    String name = h.endsWith(".") && h.length() > 1 ? h.substring(0, h.length() - 1) : h;
    if (name.length() > 253) {
      return "longer than 253 characters";
    }
    int labels = 0;
    boolean allNumeric = true; // every label so far is all digits
    boolean lastNumeric = false;
    for (int start = 0; start <= name.length(); labels++) {
      int end = name.indexOf('.', start);
      if (end < 0) {
        end = name.length();
      }
      String label = name.substring(start, end);
      if (label.isEmpty()) {
        return "empty label";
      }
      if (label.length() > 63) {
        return "label '" + label + "' longer than 63 characters";
      }
      boolean numeric = true;
      for (int i = 0; i < label.length(); i++) {
        char c = label.charAt(i);
        boolean digit = c >= '0' && c <= '9';
        numeric &= digit;
        if (!(digit || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_')) {
          return c > 127
              ? "non-ASCII character '" + c + "' (write an internationalised name in its xn-- form, java.net.IDN.toASCII)"
              : "character '" + c + "' not allowed (letters, digits, '-', '_' and '.' only)";
        }
      }
      if (label.charAt(0) == '-' || label.charAt(label.length() - 1) == '-') {
        return "label '" + label + "' starts or ends with '-'";
      }
      allNumeric &= numeric;
      lastNumeric = numeric;
      start = end + 1;
    }
    if (!lastNumeric) {
      return null; // a host name
    }
    // The last label is all digits: not a host name (RFC 1123 2.1), so it must be an IPv4 address.
    if (!allNumeric || labels != 4 || h.endsWith(".")) {
      return "an address must be four decimal numbers a.b.c.d, and a name's last label is not all digits";
    }
    for (String part : name.split("\\.")) {
      if (part.length() > 1 && part.charAt(0) == '0') {
        return "part '" + part + "' has a leading zero (octal to some resolvers, decimal to others)";
      }
      if (part.length() > 3 || Integer.parseInt(part) > 255) {
        return "part " + part + " is above 255";
      }
    }
    return null;
  }

  private static boolean containsWhitespace(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isWhitespace(s.charAt(i))) {
        return true;
      }
    }
    return false;
  }

  /** RFC 5952 text, as glibc's inet_ntop (and so Envoy) writes it: longest zero run of 2+ groups becomes "::". */
  static String compress(byte[] addr) {
    int[] groups = new int[8];
    for (int i = 0; i < 8; i++) {
      groups[i] = ((addr[2 * i] & 0xff) << 8) | (addr[2 * i + 1] & 0xff);
    }
    int bestStart = -1;
    int bestLen = 0;
    for (int i = 0; i < 8; ) {
      if (groups[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && groups[j] == 0) {
        j++;
      }
      if (j - i > bestLen) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    }
    if (bestLen < 2) {
      bestStart = -1;
    }
    StringBuilder sb = new StringBuilder(39);
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        sb.append("::");
        i += bestLen - 1;
        continue;
      }
      if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
        sb.append(':');
      }
      sb.append(Integer.toHexString(groups[i]));
    }
    return sb.toString();
  }

}
