package io.lb4j.okhttp;

import io.lb4j.Endpoint;
import io.lb4j.LoadBalancer;
import io.lb4j.NoEndpointAvailableException;
import io.lb4j.Outcome;
import io.lb4j.PickContext;
import io.lb4j.Selection;
import io.lb4j.Subset;
import io.lb4j.SubsetConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.Proxy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import kotlin.jvm.JvmClassMappingKt;
import kotlin.reflect.KClass;
import okhttp3.Call;
import okhttp3.Dns;
import okhttp3.EventListener;
import okhttp3.HttpUrl;
import okhttp3.Interceptor;
import okhttp3.OkHttp;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * An OkHttp application interceptor that sends requests for a logical host (e.g.
 * {@code http://orders/api/x}) to an endpoint the service's {@link LoadBalancer} picks, and retries
 * failures on other endpoints under a {@link RetryPolicy} and its budget.
 *
 * <pre>{@code
 * OkHttpClient client = new OkHttpClient.Builder()
 *     .addInterceptor(LoadBalancingInterceptor.builder()
 *         .service("orders", ordersLb)
 *         .retry(RetryPolicy.builder().maxAttempts(3).build())
 *         .build())
 *     .build();
 * }</pre>
 *
 * <p>For a registered host over plain HTTP it rewrites host and port to the endpoint's (path,
 * query, headers and body untouched; OkHttp then sends {@code Host: endpoint}, or the logical host
 * with {@link Builder#logicalHostHeader}). Over HTTPS the URL keeps the service's name, which
 * OkHttp sends as SNI and verifies the certificate against with the client's own
 * {@code HostnameVerifier}, trust, {@code CertificatePinner} and client certificates, and the
 * attempt is routed to the endpoint's address with a per-attempt {@code Dns}
 * ({@code Chain.withDns}); an endpoint with its own {@link Endpoint#serverName()} is verified
 * against that name instead, and only the port changes when the endpoint's differs ({@code Host}
 * stays the service's authority). Connections are pooled per endpoint either way. Nothing in lb4j
 * turns verification off: a certificate that does not prove the name fails the handshake, which
 * counts as a {@code CONNECT_FAILURE} of that endpoint (retried elsewhere, ejected by the usual
 * rules) and never carries the request. Each attempt gets an {@link Lb4jTag}, and the selection is
 * released with the {@link FailureClassifier classified} outcome and latency when the response body
 * is closed, read to the end or fails, so a streaming download counts as load while it lasts. It
 * follows the body through the call's events ({@code Call.addEventListener}), so the caller gets
 * OkHttp's own response; a failure that only a later interceptor's decoding of the body raises is
 * not the network's and counts with the response's outcome (OkHttp's transparent gzip and cached
 * responses keep a releasing body, so a corrupt gzip stream still counts). Requests for
 * other hosts pass through untouched after one map lookup. A balancer with no endpoint to offer
 * fails the call with an {@link IOException} whose cause is the {@link NoEndpointAvailableException}.
 *
 * <p>Thread-safe and immutable; one instance may serve many clients.
 */
public final class LoadBalancingInterceptor implements Interceptor {

  private static final long SLEEP_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
  // The tag keys once: OkHttp's tag(Class) makes a Kotlin class reference per call.
  private static final KClass<Lb4jTag> LB4J_TAG = JvmClassMappingKt.getKotlinClass(Lb4jTag.class);
  private static final KClass<Subset> SUBSET_TAG = JvmClassMappingKt.getKotlinClass(Subset.class);

  private final Map<String, Service> services;
  private final RetryPolicy retry;
  private final HashKeyExtractor hashKey;
  private final StickyHashKey sticky;
  private final FailureClassifier classifier;
  private final boolean logicalHostHeader;
  private final SubsetHeader subsetHeader;

  private LoadBalancingInterceptor(Builder b) {
    this.retry = b.retry;
    this.subsetHeader = b.subsetHeader;
    this.hashKey = b.hashKey;
    this.sticky = b.hashKey instanceof StickyHashKey s ? s : null;
    this.classifier = b.classifier;
    this.logicalHostHeader = b.logicalHostHeader;
    Map<String, Service> m = new HashMap<>();
    b.services.forEach((host, lb) -> m.put(host, new Service(host, lb, retry, b.registry)));
    this.services = Map.copyOf(m);
  }

  /** A builder; register at least one service. */
  public static Builder builder() {
    return new Builder();
  }

  /** The retry budget of a registered service, or null if the host is not registered. */
  public RetryBudget retryBudget(String logicalHost) {
    Service s = logicalHost == null ? null : services.get(logicalHost.toLowerCase(Locale.ROOT));
    return s == null ? null : s.budget;
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Request request = chain.request();
    Service service = services.get(request.url().host());
    if (service == null) {
      return chain.proceed(request);
    }
    if (chain.connection() != null) {
      throw new IOException("LoadBalancingInterceptor for service '" + service.host
          + "' must be an application interceptor (OkHttpClient.Builder.addInterceptor), not a network interceptor");
    }
    Proxy proxy = chain.getProxy();
    if (request.isHttps() && proxy != null && proxy.type() != Proxy.Type.DIRECT) {
      // Through a proxy the proxy resolves the origin: lb4j could not choose the endpoint.
      throw new IOException("service '" + service.host + "' is balanced by lb4j and cannot be reached over HTTPS"
          + " through the client's proxy " + proxy + "; exempt it from the proxy");
    }
    return balanced(chain, request, service);
  }

  private Response balanced(Chain chain, Request request, Service service) throws IOException {
    LoadBalancer lb = service.lb;
    Call call = chain.call();
    String key = hashKey == null ? null : hashKey.key(request);
    Subset subset = subset(request);
    // A key without a subset is picked by the key alone (LoadBalancer.pick(CharSequence): no context
    // object, no hash for a policy that does not hash); a retry makes the context.
    PickContext ctx = subset != null ? context(key).withSubset(subset) : key == null ? PickContext.EMPTY : null;
    int maxAttempts = retry.maxAttempts();
    if (maxAttempts > 1) {
      service.budget.deposit();
    }
    Endpoint next = null; // the endpoint of a retry, chosen before the previous attempt is given up
    List<Endpoint> tried = null; // allocated on the first retry only
    for (int attempt = 1; ; attempt++) {
      Selection selection = start(lb, service, ctx, key, next, attempt == 1);
      Endpoint endpoint = selection.endpoint();
      long startNanos = System.nanoTime();
      EndpointRoute route = EndpointRoute.of(lb, endpoint);
      Request attemptRequest = rewrite(request, service, route, attempt);
      Response response;
      try {
        response = send(chain, attemptRequest, route, service);
      } catch (IOException e) {
        if (attemptRequest.body() instanceof TrackingRequestBody body && body.failedLocally(e)) {
          // The caller's own RequestBody threw: not the endpoint's fault, and sending it again fails too.
          selection.release(Outcome.CANCELLED, System.nanoTime() - startNanos);
          throw e;
        }
        if (ReleaseOnCallEvents.endsWithTheCall(call)) {
          // Cancelled by the caller or by the call timeout: only OkHttp knows which, and it tells the
          // call's listeners (callFailed with its "timeout" exception) before the caller sees it.
          call.addEventListener(ReleaseOnCallEvents.whenCallEnds(selection, startNanos, classifier));
          throw e;
        }
        Outcome outcome = classify(classifier, call, e);
        selection.release(outcome, System.nanoTime() - startNanos);
        tried = remember(tried, endpoint);
        ctx = ctx != null ? ctx : context(key);
        next = attempt < maxAttempts ? retryTarget(request, outcome, call, service, ctx, tried) : null;
        if (next == null) {
          throw e;
        }
        pause(call, retry.backoffNanos(attempt, null));
        continue;
      } catch (RuntimeException | Error e) {
        selection.release(Outcome.CANCELLED, System.nanoTime() - startNanos);
        throw e;
      }
      Outcome outcome = classify(response);
      if (outcome != Outcome.SUCCESS && attempt < maxAttempts) {
        tried = remember(tried, endpoint);
        ctx = ctx != null ? ctx : context(key);
        next = retryTarget(request, outcome, call, service, ctx, tried);
        if (next != null) {
          long pauseNanos = retry.backoffNanos(attempt, response);
          response.close();
          selection.release(outcome, System.nanoTime() - startNanos);
          pause(call, pauseNanos);
          continue;
        }
      }
      return releasingWithBody(response, selection, outcome, startNanos, call);
    }
  }

  /**
   * Sends one attempt to {@code endpoint}. Plain HTTP already names the endpoint in the URL. HTTPS
   * keeps the service's name in the URL (or the endpoint's {@link Endpoint#serverName()}), so that
   * OkHttp sends it as SNI and verifies the certificate, pins included, against it with the
   * client's own settings, and routes that name to the endpoint with a per-attempt {@code Dns}.
   */
  private static Response send(Chain chain, Request request, EndpointRoute route, Service service)
      throws IOException {
    if (!request.isHttps()) {
      return chain.proceed(request);
    }
    String name = request.url().host();
    Response response;
    try {
      response = chain.withDns(route.dns(name, chain.getDns())).proceed(request);
    } catch (SSLHandshakeException | SSLPeerUnverifiedException e) {
      throw service.handshakes.failed(route, name, e);
    }
    route.handshakeSucceeded();
    return response;
  }

  /** Classifies an I/O error; a custom classifier that answers null gets the default answer. */
  static Outcome classify(FailureClassifier classifier, Call call, IOException e) {
    Outcome o = classifier.classify(call, e);
    return o != null ? o : FailureClassifier.defaults().classify(call, e);
  }

  private Outcome classify(Response response) {
    Outcome o = classifier.classify(response);
    return o != null ? o : FailureClassifier.defaults().classify(response);
  }

  /** The request's subset: its {@code Subset} tag, else the subset header's, else none. */
  private Subset subset(Request request) {
    Subset tagged = request.tag(SUBSET_TAG);
    if (tagged != null || subsetHeader == null) {
      return tagged;
    }
    return subsetHeader.subset(request);
  }

  private static PickContext context(String key) {
    return key == null ? PickContext.EMPTY : PickContext.ofKey(key);
  }

  /** Starts an attempt; {@code ctx} is null for a first attempt picked by {@code key} alone. */
  private Selection start(LoadBalancer lb, Service service, PickContext ctx, String key,
      Endpoint next, boolean first) throws IOException {
    try {
      if (!first) {
        return lb.begin(next);
      }
      if (ctx == null) {
        return sticky != null ? lb.begin(sticky.choose(lb, key)) : lb.pick(key);
      }
      return lb.pick(ctx);
    } catch (NoEndpointAvailableException e) {
      throw new IOException("no endpoint available for service '" + service.host + "': " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      // A subset the balancer does not declare (e.g. from a request tag): this call's mistake, named.
      Subset subset = ctx == null ? null : ctx.subset();
      throw new IOException("service '" + service.host + "' cannot route " + subset + ": " + e.getMessage(), e);
    } catch (IllegalStateException e) {
      // A closed balancer (or a broken policy): fail this call like any other I/O failure, never
      // with an unchecked exception that escapes onto OkHttp's dispatcher thread.
      throw new IOException("service '" + service.host + "' cannot be called: " + e.getMessage(), e);
    }
  }

  private Request rewrite(Request request, Service service, EndpointRoute route, int attempt) {
    HttpUrl url = request.url();
    Request.Builder b = request.newBuilder().tag(LB4J_TAG, route.tag(service.host, attempt));
    if (request.isHttps()) {
      HttpUrl target = route.tlsUrl(url);
      if (target != url) {
        b.url(target);
        if (request.header("Host") == null) {
          b.header("Host", hostHeader(url)); // the service's authority, whatever the endpoint's port
        }
      }
    } else {
      b.url(route.httpUrl(url));
    }
    RequestBody body = request.body();
    if (body != null && !body.isDuplex()) {
      b.method(request.method(), new TrackingRequestBody(body));
    }
    if (logicalHostHeader && !request.isHttps() && request.header("Host") == null) {
      b.header("Host", hostHeader(request.url()));
    }
    return b.build();
  }

  private static String hostHeader(HttpUrl url) {
    return url.port() == HttpUrl.defaultPort(url.scheme()) ? url.host() : url.host() + ":" + url.port();
  }

  /**
   * The endpoint to retry on, or null when this attempt must not be retried: not retryable, the call
   * is cancelled, no endpoint left, or the budget is spent (counted; connect failures do not draw on
   * it).
   */
  private Endpoint retryTarget(Request request, Outcome outcome, Call call, Service service,
      PickContext ctx, List<Endpoint> tried) {
    if (!retry.isRetryable(request, outcome) || call.isCanceled()) {
      return null;
    }
    Endpoint other;
    try {
      other = retry.retryEndpoint(service.lb, ctx, tried);
    } catch (NoEndpointAvailableException | IllegalStateException e) {
      return null;
    }
    if (retry.withdrawsFromBudget(outcome) && !service.budget.tryWithdraw()) {
      service.budgetExhausted();
      return null;
    }
    service.retried();
    return other;
  }

  private static List<Endpoint> remember(List<Endpoint> tried, Endpoint e) {
    List<Endpoint> t = tried == null ? new ArrayList<>(4) : tried;
    t.add(e);
    return t;
  }

  /** Sleeps between attempts in short slices so a cancelled call or an interrupt ends it at once. */
  private static void pause(Call call, long nanos) throws IOException {
    long deadline = System.nanoTime() + nanos;
    while (true) {
      if (call.isCanceled()) {
        throw new IOException("Canceled");
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return;
      }
      try {
        TimeUnit.NANOSECONDS.sleep(Math.min(left, SLEEP_SLICE_NANOS));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted during retry backoff");
      }
    }
  }

  /**
   * The attempt's response, its selection released now if no body follows, else when the body ends:
   * from the call's events when the body is the network's as OkHttp delivered it (nothing copied or
   * wrapped), else (a body decoded on the way, e.g. OkHttp's transparent gzip, whose decoding
   * failures the network never sees, or one from the cache) by a body that releases.
   */
  private Response releasingWithBody(Response response, Selection selection, Outcome outcome,
      long startNanos, Call call) {
    ResponseBody body = response.body();
    if (!promisesBody(response, body)) {
      selection.release(outcome, System.nanoTime() - startNanos);
      return response;
    }
    if (isNetworkBody(response)) {
      call.addEventListener(ReleaseOnCallEvents.whenBodyEnds(selection, outcome, startNanos, classifier));
      return response;
    }
    return response.newBuilder()
        .body(new ReleasingBody(body, selection, outcome, startNanos, classifier, call))
        .build();
  }

  /**
   * Whether the body is the exchange's own, so that its end and its failures are the exchange's
   * events: a network response (no cache part) whose content coding no interceptor between here and
   * the network (OkHttp's {@code BridgeInterceptor} for gzip) took off.
   */
  private static boolean isNetworkBody(Response response) {
    Response network = response.networkResponse();
    if (network == null || response.cacheResponse() != null) {
      return false;
    }
    String coding = network.header("Content-Encoding");
    return coding == null || coding.equals(response.header("Content-Encoding"));
  }

  // HEAD, 204, 304 and empty bodies end with the headers: release now rather than on a close the
  // caller may never make for an empty body.
  private static boolean promisesBody(Response response, ResponseBody body) {
    int code = response.code();
    if ("HEAD".equals(response.request().method()) || code == 204 || code == 304) {
      return false;
    }
    return body != null && body.contentLength() != 0;
  }

  /** One registered logical host. */
  private static final class Service {
    final String host;
    final LoadBalancer lb;
    final RetryBudget budget;
    final HandshakeFailures handshakes;
    final Counter retries;
    final Counter exhausted;

    Service(String host, LoadBalancer lb, RetryPolicy retry, MeterRegistry registry) {
      this.host = host;
      this.lb = lb;
      this.budget = retry.newBudget();
      this.handshakes = new HandshakeFailures(host);
      if (registry == null) {
        retries = null;
        exhausted = null;
      } else {
        Tags tags = Tags.of("lb", lb.name(), "policy", lb.policy().name());
        retries = Counter.builder("lb4j.retries").tags(tags)
            .description("Retries sent by the OkHttp interceptor").register(registry);
        exhausted = Counter.builder("lb4j.retry.budget.exhausted").tags(tags)
            .description("Retries not sent because the retry budget was spent").register(registry);
        // The meters belong to the balancer's lifetime, not the interceptor's (which has no close).
        lb.onClose(() -> {
          registry.remove(retries);
          registry.remove(exhausted);
        });
      }
    }

    void retried() {
      if (retries != null) {
        retries.increment();
      }
    }

    void budgetExhausted() {
      if (exhausted != null) {
        exhausted.increment();
      }
    }
  }

  /** Fails fast on an OkHttp older than 5.4, which lacks the per-call overrides lb4j routes with. */
  static void requireOkHttp54() {
    try {
      Chain.class.getMethod("withDns", Dns.class);
      Call.class.getMethod("addEventListener", EventListener.class);
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException("lb4j-okhttp needs OkHttp 5.4 or later (Interceptor.Chain.withDns,"
          + " Call.addEventListener); the class path has OkHttp " + OkHttp.VERSION, e);
    }
  }

  /** Builds a {@link LoadBalancingInterceptor}. Not thread-safe. */
  public static final class Builder {
    private final Map<String, LoadBalancer> services = new HashMap<>();
    private RetryPolicy retry = RetryPolicy.defaults();
    private HashKeyExtractor hashKey;
    private FailureClassifier classifier = FailureClassifier.defaults();
    private boolean logicalHostHeader;
    private MeterRegistry registry;
    private SubsetHeader subsetHeader;

    private Builder() {}

    /**
     * Sends requests for {@code logicalHost} (case-insensitive, any port) through {@code lb}.
     *
     * @throws IllegalArgumentException if the host is blank or already registered, or lb is null
     */
    public Builder service(String logicalHost, LoadBalancer lb) {
      if (logicalHost == null || logicalHost.isBlank()) {
        throw new IllegalArgumentException("logicalHost must not be blank, got '" + logicalHost + "'");
      }
      if (lb == null) {
        throw new IllegalArgumentException("load balancer for '" + logicalHost + "' must not be null");
      }
      String host = logicalHost.toLowerCase(Locale.ROOT);
      if (services.putIfAbsent(host, lb) != null) {
        throw new IllegalArgumentException("service '" + logicalHost + "' is already registered");
      }
      return this;
    }

    /** The retry policy; default {@link RetryPolicy#defaults()} (2 attempts, idempotent methods). */
    public Builder retry(RetryPolicy policy) {
      if (policy == null) {
        throw new IllegalArgumentException("retry policy must not be null (use RetryPolicy.disabled())");
      }
      this.retry = policy;
      return this;
    }

    /** Where a request's hash key comes from (see {@link HashKeys}); default none. */
    public Builder hashKey(HashKeyExtractor extractor) {
      this.hashKey = extractor;
      return this;
    }

    /**
     * Routes a request carrying {@code header} to the endpoint subset whose metadata maps
     * {@code metadataKey} to the header's value (e.g. {@code subsetHeader("X-Version", "version")}:
     * {@code X-Version: v2} picks among {@code version=v2}). Every registered service's balancer
     * must declare {@code metadataKey} as a subset selector ({@code LoadBalancer.Builder.subsets} or
     * a {@code trafficSplit} on it), which {@link #build()} checks. A request's {@link Subset} tag
     * ({@code Request.Builder.tag(Subset.class, ...)}) wins over the header; without either, the
     * balancer's traffic split (if any) decides. Default none (tags still apply).
     */
    public Builder subsetHeader(String header, String metadataKey) {
      this.subsetHeader = new SubsetHeader(header, metadataKey);
      return this;
    }

    /** How results become outcomes; default {@link FailureClassifier#defaults()}. */
    public Builder failureClassifier(FailureClassifier classifier) {
      if (classifier == null) {
        throw new IllegalArgumentException("failureClassifier must not be null");
      }
      this.classifier = classifier;
      return this;
    }

    /**
     * Sends the logical host ({@code Host: orders}) instead of the endpoint's address, for backends
     * that route by virtual host. A Host header set by the caller always wins. Default false.
     */
    public Builder logicalHostHeader(boolean enabled) {
      this.logicalHostHeader = enabled;
      return this;
    }

    /**
     * Registers {@code lb4j.retries} and {@code lb4j.retry.budget.exhausted} per service (tags
     * {@code lb} and {@code policy}, like the balancer's own meters); they are removed from the
     * registry when that service's balancer closes. Default none.
     */
    public Builder meterRegistry(MeterRegistry registry) {
      this.registry = registry;
      return this;
    }

    /**
     * The interceptor.
     *
     * @throws IllegalArgumentException if no service is registered
     */
    public LoadBalancingInterceptor build() {
      if (services.isEmpty()) {
        throw new IllegalArgumentException("register at least one service(logicalHost, lb)");
      }
      if (subsetHeader != null) {
        for (Map.Entry<String, LoadBalancer> e : services.entrySet()) {
          List<List<String>> selectors = e.getValue().subsets().map(SubsetConfig::selectors).orElse(List.of());
          if (!selectors.contains(List.of(subsetHeader.key))) {
            throw new IllegalArgumentException("subsetHeader(" + subsetHeader.header + ", " + subsetHeader.key
                + "): service '" + e.getKey() + "' declares no subset selector [" + subsetHeader.key + "] (its "
                + "selectors: " + selectors + ")");
          }
        }
      }
      requireOkHttp54();
      return new LoadBalancingInterceptor(this);
    }
  }
}
