package io.lb4j.okhttp;

import io.lb4j.Endpoint;
import io.lb4j.health.HealthProbe;
import io.lb4j.health.ProbeResult;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.Dispatcher;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * An active HTTP health check: {@code GET scheme://endpoint/path} (default {@code http} and
 * {@code /health}); 2xx is healthy, 503 draining, any other status or an I/O error unhealthy. Probes
 * run asynchronously on one shared {@link OkHttpClient} (so they reuse connections) with their own
 * short timeouts (default 2 s for the whole call). Cancelling the returned stage cancels the call.
 * Immutable and thread-safe.
 *
 * <p><b>HTTPS.</b> With {@code scheme("https")} a probe verifies the same identity as the
 * application's requests through {@link LoadBalancingInterceptor}: it connects to the endpoint's
 * address but sends as SNI, and verifies the certificate against, the endpoint's
 * {@link Endpoint#serverName()} or else {@link Builder#serverName(String)} (the service's name),
 * using the TLS settings of the client given to {@link Builder#client} (trust, client certificates,
 * {@code HostnameVerifier}, {@code CertificatePinner}), so a probe is no way around them. A
 * certificate that does not prove the name makes the endpoint UNHEALTHY with a reason that names
 * the endpoint, the expected name and what the certificate presented.
 *
 * <pre>{@code
 * LoadBalancer lb = LoadBalancer.builder()
 *     .endpoints(endpoints)
 *     .healthCheck(HealthCheckConfig.defaults(), HttpHealthProbe.builder().path("/ready").build())
 *     .build();
 * }</pre>
 */
public final class HttpHealthProbe implements HealthProbe {

  private final OkHttpClient client;
  /** Whether the client's dispatcher and pool are this probe's own (no client was given). */
  private final boolean ownsClient;
  private final String scheme;
  private final String path;
  /** The name to verify over HTTPS for endpoints without their own; null: the endpoint's host. */
  private final String serverName;

  private HttpHealthProbe(Builder b) {
    this.ownsClient = b.client == null;
    OkHttpClient base = ownsClient ? ownClient() : b.client;
    // newBuilder() shares the connection pool and dispatcher of the base client.
    OkHttpClient.Builder cb = base.newBuilder();
    // The application's client may balance this service: a probe must reach the endpoint it names.
    cb.interceptors().removeIf(i -> i instanceof LoadBalancingInterceptor);
    this.client = cb.addInterceptor(HttpHealthProbe::route)
        .callTimeout(b.timeout)
        .connectTimeout(b.timeout)
        .readTimeout(b.timeout)
        .retryOnConnectionFailure(false)
        .followRedirects(false)
        .build();
    this.scheme = b.scheme;
    this.path = b.path;
    this.serverName = b.serverName;
  }

  /** Routes an HTTPS probe's name to its endpoint, as the interceptor does for requests. */
  private static Response route(Interceptor.Chain chain) throws IOException {
    Request request = chain.request();
    Endpoint endpoint = request.tag(Endpoint.class);
    if (endpoint == null || !request.isHttps()) {
      return chain.proceed(request);
    }
    return chain.withDns(EndpointDns.of(request.url().host(), endpoint, chain.getDns())).proceed(request);
  }

  /**
   * A client of the probe's own whose dispatcher threads are daemons ({@code lb4j-http-probe-<n>}):
   * a balancer that is never closed must not keep the JVM alive, as OkHttp's default non-daemon
   * dispatcher threads would for a minute after the last probe.
   */
  private static OkHttpClient ownClient() {
    AtomicInteger n = new AtomicInteger();
    ThreadFactory threads = r -> {
      Thread t = new Thread(r, "lb4j-http-probe-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
    // OkHttp's default dispatcher executor, with daemon threads.
    ExecutorService executor = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS,
        new SynchronousQueue<>(), threads);
    return new OkHttpClient.Builder().dispatcher(new Dispatcher(executor)).build();
  }

  /** A builder with the defaults: http, {@code /health}, 2 s timeout, a new client. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public CompletionStage<ProbeResult> probe(Endpoint endpoint) {
    if (endpoint == null) {
      throw new IllegalArgumentException("endpoint must not be null");
    }
    String host = "https".equals(scheme) ? endpoint.serverName().orElse(serverName != null ? serverName : endpoint.host())
        : endpoint.host();
    HttpUrl url = new HttpUrl.Builder().scheme(scheme).host(host).port(endpoint.port()).encodedPath(path).build();
    Call call = client.newCall(new Request.Builder().url(url).get().tag(Endpoint.class, endpoint).build());
    CompletableFuture<ProbeResult> result = new CompletableFuture<>();
    result.whenComplete((r, e) -> {
      if (result.isCancelled()) {
        call.cancel();
      }
    });
    call.enqueue(new Callback() {
      @Override
      public void onResponse(Call c, Response response) {
        try (response) {
          result.complete(verdict(response.code()));
        }
      }

      @Override
      public void onFailure(Call c, IOException e) {
        result.complete(ProbeResult.unhealthy(HandshakeFailures.isHandshakeFailure(e)
            ? HandshakeFailures.describe(endpoint, host, e)
            : e.getClass().getSimpleName() + ": " + e.getMessage()));
      }
    });
    return result;
  }

  static ProbeResult verdict(int code) {
    String reason = "HTTP " + code;
    if (code >= 200 && code < 300) {
      return ProbeResult.healthy(reason);
    }
    return code == 503 ? ProbeResult.draining(reason) : ProbeResult.unhealthy(reason);
  }

  /**
   * Releases the client this probe made for itself: cancels probes in flight, stops its dispatcher
   * threads and closes its pooled connections. A client given to {@link Builder#client} is the
   * caller's and is left untouched. Called once by the balancer's {@code close()}.
   */
  @Override
  public void close() {
    if (!ownsClient) {
      return;
    }
    client.dispatcher().cancelAll();
    client.dispatcher().executorService().shutdown();
    client.connectionPool().evictAll();
  }

  @Override
  public String toString() {
    return "HttpHealthProbe{" + scheme + "://<endpoint>" + path + "}";
  }

  /** Builds an {@link HttpHealthProbe}. Not thread-safe. */
  public static final class Builder {
    /** The longest timeout OkHttp takes. */
    private static final Duration MAX_TIMEOUT = Duration.ofMillis(Integer.MAX_VALUE);

    private OkHttpClient client;
    private String scheme = "http";
    private String path = "/health";
    private Duration timeout = Duration.ofSeconds(2);
    private String serverName;

    private Builder() {}

    /** The path to GET, starting with '/'; default {@code /health}. */
    public Builder path(String path) {
      if (path == null || !path.startsWith("/")) {
        throw new IllegalArgumentException("path must start with '/', got '" + path + "'");
      }
      this.path = path;
      return this;
    }

    /** {@code http} or {@code https}; default {@code http}. */
    public Builder scheme(String scheme) {
      if (!"http".equals(scheme) && !"https".equals(scheme)) {
        throw new IllegalArgumentException("scheme must be http or https, got '" + scheme + "'");
      }
      this.scheme = scheme;
      return this;
    }

    /**
     * Over HTTPS, the name to send as SNI and verify the certificate against for endpoints without
     * their own {@link Endpoint#serverName()}: the service's name, the host of the URLs the
     * application calls (e.g. {@code orders.internal}). Default none: the endpoint's host, which
     * only an IP address in the certificate would prove.
     *
     * @throws IllegalArgumentException if the name is not a DNS name
     */
    public Builder serverName(String serverName) {
      // Endpoint checks server names; one rule for both.
      this.serverName = Endpoint.of("localhost", 1).withServerName(serverName).serverName()
          .orElseThrow(() -> new IllegalArgumentException("serverName must not be null"));
      return this;
    }

    /**
     * Connect, read and whole-call timeout of each probe, at least 1 ms (default 2 s). Shorter is
     * refused; longer than OkHttp's limit of {@code Integer.MAX_VALUE} ms (about 24.8 days) is
     * clamped to it.
     */
    public Builder timeout(Duration timeout) {
      if (timeout == null || timeout.compareTo(Duration.ofMillis(1)) < 0) {
        throw new IllegalArgumentException("timeout must be at least 1 ms, got " + timeout);
      }
      this.timeout = timeout.compareTo(MAX_TIMEOUT) > 0 ? MAX_TIMEOUT : timeout;
      return this;
    }

    /**
     * The client whose TLS settings, connections and threads probes use (typically the
     * application's own; its {@link LoadBalancingInterceptor}s are left out of the probe's calls,
     * its other interceptors run); default a new client of its own, which the probe closes with
     * its balancer. A client given here is never closed by lb4j.
     */
    public Builder client(OkHttpClient client) {
      if (client == null) {
        throw new IllegalArgumentException("client must not be null");
      }
      this.client = client;
      return this;
    }

    /** The probe. */
    public HttpHealthProbe build() {
      return new HttpHealthProbe(this);
    }
  }
}
