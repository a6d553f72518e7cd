package io.lb4j.okhttp;

import io.lb4j.Endpoint;
import io.lb4j.EndpointHandle;
import io.lb4j.LoadBalancer;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import okhttp3.Dns;
import okhttp3.HttpUrl;

/**
 * What {@link LoadBalancingInterceptor} keeps for one endpoint so that a call to it allocates little:
 * the URLs it rewrote for it last, the first attempt's {@link Lb4jTag}, the HTTPS route
 * ({@link EndpointDns}) and whether its last TLS handshake failed ({@link HandshakeFailures}).
 * Rewriting a URL with OkHttp's builder costs about 0.9 KB (its host check alone allocates); a URL
 * met again (same scheme, host, path and query) costs nothing.
 *
 * <p>Attached to the endpoint's {@link EndpointHandle}, so it lives exactly as long as the endpoint
 * in the balancer (a removed endpoint takes it along; one whose port changes is another endpoint with
 * another handle) and it is made anew when the balancer's {@link Endpoint} object changes (new weight
 * or metadata, such as its server name). At most {@link #URL_SLOTS} URLs per endpoint, kept by the
 * URL's hash; a new one replaces the one in its slot.
 *
 * <p>Thread-safe without locks: every cached value is immutable (final fields, safely published
 * even through a race) and a race at worst builds one twice.
 */
final class EndpointRoute {

  /** URLs kept per endpoint: a few distinct URLs called in turn all stay (a power of two). */
  static final int URL_SLOTS = 4;

  private static final AtomicIntegerFieldUpdater<EndpointRoute> HANDSHAKE_FAILING =
      AtomicIntegerFieldUpdater.newUpdater(EndpointRoute.class, "handshakeFailing");

  /** The balancer's endpoint object this route was made for. */
  final Endpoint endpoint;
  private final String serverName; // the endpoint's own name to verify, or null
  private final Rewrite[] rewrites = new Rewrite[URL_SLOTS];
  private volatile HttpUrl httpBase;
  private volatile HttpUrl httpsBase;
  private volatile Lb4jTag firstTag;
  private volatile EndpointDns dns;
  private volatile int handshakeFailing; // 1 while the handshakes with this endpoint fail

  private EndpointRoute(Endpoint endpoint) {
    this.endpoint = endpoint;
    this.serverName = endpoint.serverName().orElse(null);
  }

  /** One rewritten URL: {@code from}, the caller's, became {@code to}. */
  private record Rewrite(HttpUrl from, HttpUrl to) {}

  /**
   * The route of {@code endpoint} (the object the balancer handed out), attached to its handle;
   * a fresh unattached one if another adapter owns the balancer's attachments.
   */
  static EndpointRoute of(LoadBalancer lb, Endpoint endpoint) {
    EndpointHandle handle = lb.handle(endpoint);
    Object attached = handle.attachment();
    if (attached instanceof EndpointRoute r && r.endpoint == endpoint) {
      return r;
    }
    EndpointRoute route = new EndpointRoute(endpoint);
    if (attached == null || attached instanceof EndpointRoute) {
      handle.attach(route);
    }
    return route;
  }

  /** The plain-HTTP URL of an attempt: the endpoint's host and port; scheme, path, query, fragment kept. */
  HttpUrl httpUrl(HttpUrl url) {
    HttpUrl cached = cached(url);
    if (cached != null) {
      return cached;
    }
    HttpUrl base = httpBase;
    if (base == null || !base.scheme().equals(url.scheme())) {
      base = httpBase = base(url.scheme(), endpoint.host(), endpoint.port());
    }
    return remember(url, rebuild(url, base));
  }

  /**
   * The HTTPS URL of an attempt: the host is the name to verify (the endpoint's server name, else
   * the URL's), the port the endpoint's; the same object when nothing changes.
   */
  HttpUrl tlsUrl(HttpUrl url) {
    String name = serverName != null ? serverName : url.host();
    if (name.equals(url.host()) && endpoint.port() == url.port()) {
      return url;
    }
    HttpUrl cached = cached(url);
    if (cached != null) {
      return cached;
    }
    HttpUrl base = httpsBase;
    if (base == null || !base.host().equals(name) || !base.scheme().equals(url.scheme())) {
      base = httpsBase = base(url.scheme(), name, endpoint.port());
    }
    return remember(url, rebuild(url, base));
  }

  /** The tag of an attempt; the first attempt's is made once per service. */
  Lb4jTag tag(String service, int attempt) {
    if (attempt != 1) {
      return new Lb4jTag(service, endpoint, attempt);
    }
    Lb4jTag t = firstTag;
    if (t == null || !t.service().equals(service)) {
      t = firstTag = new Lb4jTag(service, endpoint, 1);
    }
    return t;
  }

  /**
   * Routes {@code name} to this endpoint, other names to {@code fallback}; equal for equal inputs,
   * which OkHttp's connection pool relies on, and the same object while they stay the same.
   */
  EndpointDns dns(String name, Dns fallback) {
    EndpointDns d = dns;
    if (d == null || d.fallback() != fallback || !d.name().equals(name)) {
      d = dns = EndpointDns.of(name, endpoint, fallback);
    }
    return d;
  }

  /** Records a failed TLS handshake; true for the first failure of a streak. */
  boolean handshakeFailed() {
    return HANDSHAKE_FAILING.compareAndSet(this, 0, 1);
  }

  /** Records a successful TLS handshake (or a reused connection): it ends a streak. */
  void handshakeSucceeded() {
    if (handshakeFailing != 0) {
      handshakeFailing = 0;
    }
  }

  private HttpUrl cached(HttpUrl url) {
    Rewrite r = rewrites[slot(url)];
    return r != null && r.from.equals(url) ? r.to : null;
  }

  private HttpUrl remember(HttpUrl from, HttpUrl to) {
    rewrites[slot(from)] = new Rewrite(from, to);
    return to;
  }

  private static int slot(HttpUrl url) {
    int h = url.hashCode(); // the URL string's hash, cached by the string
    return (h ^ (h >>> 16)) & (URL_SLOTS - 1);
  }

  private static HttpUrl base(String scheme, String host, int port) {
    return new HttpUrl.Builder().scheme(scheme).host(host).port(port).build();
  }

  /** {@code url} with {@code base}'s scheme, host and port; user info, path, query and fragment kept. */
  static HttpUrl rebuild(HttpUrl url, HttpUrl base) {
    HttpUrl r = resolved(url, base);
    return r != null ? r : url.newBuilder().scheme(base.scheme()).host(base.host()).port(base.port()).build();
  }

  /**
   * {@link #rebuild}'s fast way, or null where it does not apply: resolves the URL's path and what
   * follows against the prebuilt base, which skips the builder's host check (about a third fewer
   * bytes, a fifth of the time). Not for a URL with user info, nor a path starting with an empty
   * segment (which would read as an authority); a result of another shape is refused too.
   */
  static HttpUrl resolved(HttpUrl url, HttpUrl base) {
    if (!url.username().isEmpty() || !url.password().isEmpty()) {
      return null;
    }
    String s = url.toString();
    int path = s.indexOf('/', url.scheme().length() + 3); // after "scheme://host[:port]"
    if (path < 0 || (path + 1 < s.length() && (s.charAt(path + 1) == '/' || s.charAt(path + 1) == '\\'))) {
      return null;
    }
    HttpUrl r = base.resolve(s.substring(path));
    boolean same = r != null && r.port() == base.port() && r.host().equals(base.host())
        && r.pathSize() == url.pathSize() && r.querySize() == url.querySize();
    return same ? r : null;
  }

  /** How many rewritten URLs this route keeps (at most {@link #URL_SLOTS}). */
  int cachedUrls() {
    int n = 0;
    for (Rewrite r : rewrites) {
      n += r == null ? 0 : 1;
    }
    return n;
  }
}
