package io.lb4j.okhttp;

import io.lb4j.Endpoint;
import io.lb4j.health.HealthProbe;
import io.lb4j.health.ProbeResult;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.HttpUrl;
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
 * <pre>{@code
 * LoadBalancer lb = LoadBalancer.builder()
 *     .endpoints(endpoints)
 *     .healthCheck(HealthCheckConfig.defaults(), HttpHealthProbe.builder().path("/ready").build())
 *     .build();
 * }</pre>
 */
public final class HttpHealthProbe implements HealthProbe {

  private final OkHttpClient client;
  private final String scheme;
  private final String path;

  private HttpHealthProbe(Builder b) {
    OkHttpClient base = b.client != null ? b.client : new OkHttpClient();
    // newBuilder() shares the connection pool and dispatcher of the base client.
    this.client = base.newBuilder()
        .callTimeout(b.timeout)
        .connectTimeout(b.timeout)
        .readTimeout(b.timeout)
        .retryOnConnectionFailure(false)
        .followRedirects(false)
        .build();
    this.scheme = b.scheme;
    this.path = b.path;
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
    HttpUrl url = new HttpUrl.Builder().scheme(scheme).host(endpoint.host()).port(endpoint.port())
        .encodedPath(path).build();
    Call call = client.newCall(new Request.Builder().url(url).get().build());
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
        result.complete(ProbeResult.unhealthy(e.getClass().getSimpleName() + ": " + e.getMessage()));
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
     * The client to share connections and threads with (for example the application's, without
     * the balancing interceptor); default a new client of its own.
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
