package io.lb4j.okhttp;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.Endpoint;
import io.lb4j.EndpointStatus;
import io.lb4j.LoadBalancer;
import io.lb4j.NoEndpointAvailableException;
import io.lb4j.Outcome;
import io.lb4j.outlier.OutlierDetectionConfig;
import io.lb4j.testing.FakeClock;
import io.lb4j.testing.TestPolicies;
import io.lb4j.policy.Policies;
import io.lb4j.policy.Policy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.EventListener;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.Buffer;
import okio.BufferedSink;
import okio.GzipSink;
import okio.Okio;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LoadBalancingInterceptorTest {

  private static final RetryPolicy FAST_RETRY =
      RetryPolicy.builder().backoff(Duration.ZERO, Duration.ZERO).build();

  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  private final FakeClock clock = new FakeClock();

  private Backends backends(int n) throws IOException {
    Backends b = new Backends(n);
    closeables.add(b);
    return b;
  }

  private LoadBalancer lb(List<Endpoint> endpoints, Policy policy, OutlierDetectionConfig od) {
    LoadBalancer.Builder b = LoadBalancer.builder().name("orders").endpoints(endpoints).policy(policy)
        .ticker(clock).scheduler(clock);
    if (od != null) {
      b.outlierDetection(od);
    }
    LoadBalancer lb = b.build();
    closeables.add(lb);
    return lb;
  }

  private static OkHttpClient client(LoadBalancingInterceptor interceptor) {
    return new OkHttpClient.Builder().addInterceptor(interceptor)
        .retryOnConnectionFailure(false).callTimeout(Duration.ofSeconds(10)).build();
  }

  private static Response get(OkHttpClient client, String url) throws IOException {
    return client.newCall(new Request.Builder().url(url).build()).execute();
  }

  private static int status(OkHttpClient client, String url) throws IOException {
    try (Response r = get(client, url)) {
      r.body().string();
      return r.code();
    }
  }

  @Test
  void roundRobinSpreadsEvenlyOverThreeServers() throws IOException {
    Backends b = backends(3);
    LoadBalancer lb = lb(b.endpoints(), Policies.roundRobin(), null);
    OkHttpClient client = client(LoadBalancingInterceptor.builder().service("orders", lb).build());
    for (int i = 0; i < 30; i++) {
      assertEquals(200, status(client, "http://orders/api"));
    }
    for (MockWebServer s : b.servers) {
      assertEquals(10, s.getRequestCount(), "requests at " + s.getPort());
    }
    for (Endpoint e : b.endpoints()) {
      assertEquals(0, lb.inFlight(e));
      assertEquals(10, lb.requests(e, Outcome.SUCCESS));
    }
  }

  @Test
  void rewritesHostAndPortKeepingPathQueryHeadersAndBody() throws Exception {
    Backends b = backends(1);
    LoadBalancer lb = lb(b.endpoints(), TestPolicies.roundRobin(), null);
    OkHttpClient client = client(LoadBalancingInterceptor.builder().service("Orders", lb).build());
    Request request = new Request.Builder().url("http://orders:8080/api/items?q=a%20b&x=1")
        .header("X-Trace", "t1").post(RequestBody.create("hello", MediaType.get("text/plain"))).build();
    try (Response r = client.newCall(request).execute()) {
      assertEquals(200, r.code());
      assertEquals(b.servers.get(0).getPort(), r.request().url().port(), "response shows the real endpoint");
      assertEquals("127.0.0.1", r.request().url().host());
      Lb4jTag tag = r.request().tag(Lb4jTag.class);
      assertEquals(new Lb4jTag("orders", b.endpoint(0), 1), tag);
    }
    RecordedRequest rec = b.servers.get(0).takeRequest(5, TimeUnit.SECONDS);
    assertEquals("/api/items?q=a%20b&x=1", rec.getTarget());
    assertEquals("t1", rec.getHeaders().get("X-Trace"));
    assertEquals("hello", rec.getBody().utf8());
    assertEquals("127.0.0.1:" + b.servers.get(0).getPort(), rec.getHeaders().get("Host"));
  }

  @Test
  void eventListenerSeesTheTagOfEveryAttempt() throws IOException {
    Backends b = backends(2);
    b.codes.get(0).set(503);
    LoadBalancer lb = lb(b.endpoints(), TestPolicies.roundRobin(), null);
    List<Lb4jTag> seen = new CopyOnWriteArrayList<>();
    OkHttpClient client = client(LoadBalancingInterceptor.builder().service("orders", lb)
        .retry(FAST_RETRY).build()).newBuilder()
        .eventListener(new EventListener() {
          @Override
          public void requestHeadersEnd(Call call, Request request) {
            seen.add(request.tag(Lb4jTag.class));
          }
        }).build();
    assertEquals(200, status(client, "http://orders/x"));
    assertEquals(List.of(new Lb4jTag("orders", b.endpoint(0), 1), new Lb4jTag("orders", b.endpoint(1), 2)), seen);
  }

  @Test
  void logicalHostHeaderSendsTheServiceName() throws Exception {
    Backends b = backends(1);
    LoadBalancer lb = lb(b.endpoints(), TestPolicies.roundRobin(), null);
    OkHttpClient client = client(LoadBalancingInterceptor.builder().service("orders", lb)
        .logicalHostHeader(true).build());
    assertEquals(200, status(client, "http://orders/x"));
    assertEquals("orders", b.servers.get(0).takeRequest(5, TimeUnit.SECONDS).getHeaders().get("Host"));
  }

  @Test
  void unknownHostPassesThroughUntouched() throws Exception {
    Backends b = backends(2);
    LoadBalancer lb = lb(List.of(b.endpoint(0)), TestPolicies.roundRobin(), null);
    OkHttpClient client = client(LoadBalancingInterceptor.builder().service("orders", lb).build());
    try (Response r = get(client, b.servers.get(1).url("/direct").toString())) {
      assertEquals(200, r.code());
      assertNull(r.request().tag(Lb4jTag.class));
      assertEquals(b.servers.get(1).getPort(), r.request().url().port());
    }
    assertEquals(0, b.servers.get(0).getRequestCount());
    assertEquals(1, b.servers.get(1).getRequestCount());
    assertEquals(0, lb.requests(b.endpoint(0), Outcome.SUCCESS));
  }

  @Test
  void serverReturning503IsEjectedAndGetsStillSucceedThroughRetries() throws IOException {
    Backends b = backends(3);
    b.codes.get(1).set(503);
    LoadBalancer lb = lb(b.endpoints(), TestPolicies.roundRobin(), OutlierDetectionConfig.builder()
        .consecutiveFailures(3).maxEjectionPercent(50).build());
    OkHttpClient client = client(LoadBalancingInterceptor.builder().service("orders", lb)
        .retry(FAST_RETRY).build());
    for (int i = 0; i < 60; i++) {
      assertEquals(200, status(client, "http://orders/api"), "request " + i);
      clock.runDue(); // the rebuild an ejecting release asked for
    }
    assertEquals(EndpointStatus.EJECTED, lb.status(b.endpoint(1)));
    assertEquals(3, b.servers.get(1).getRequestCount(), "ejected after 3 consecutive 503s");
    assertEquals(3, lb.requests(b.endpoint(1), Outcome.SERVER_ERROR));
  }

  @Test
  void connectFailuresAreRetriedElsewhereEvenForPost() throws IOException {
    Backends b = backends(2);
    List<Endpoint> endpoints = new ArrayList<>(b.endpoints());
    Endpoint dead = Endpoint.of("127.0.0.1", Backends.closedPort());
    endpoints.add(1, dead);
    LoadBalancer lb = lb(endpoints, TestPolicies.roundRobin(), null);
    OkHttpClient client = client(LoadBalancingInterceptor.builder().service("orders", lb)
        .retry(FAST_RETRY).build());
    for (int i = 0; i < 30; i++) {
      Request post = new Request.Builder().url("http://orders/api")
          .post(RequestBody.create("x", MediaType.get("text/plain"))).build();
      try (Response r = client.newCall(post).execute()) {
        assertEquals(200, r.code(), "request " + i);
      }
    }
    assertEquals(30, b.totalRequests());
    assertTrue(lb.requests(dead, Outcome.CONNECT_FAILURE) >= 9, "the dead endpoint was tried");
    assertEquals(0, lb.inFlight(dead));
  }

  @Test
  void connectFailureRetriesDoNotDrawOnTheBudget() throws IOException {
    Backends b = backends(1);
    b.codes.get(0).set(503);
    List<Endpoint> endpoints = new ArrayList<>(b.endpoints());
    endpoints.add(0, Endpoint.of("127.0.0.1", Backends.closedPort()));
    endpoints.add(1, Endpoint.of("127.0.0.1", Backends.closedPort()));
    LoadBalancer lb = lb(endpoints, TestPolicies.roundRobin(), null);
    // An empty budget: no retry may withdraw.
    RetryPolicy retry = RetryPolicy.builder().maxAttempts(4).backoff(Duration.ZERO, Duration.ZERO)
        .budget(() -> RetryBudget.builder().minRetriesPerSecond(0).percentCanRetry(0).build()).build();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    OkHttpClient client = client(LoadBalancingInterceptor.builder().service("orders", lb).retry(retry)
        .meterRegistry(registry).build());
    // Refused, refused, then the live server: two free retries reach it. Its 503 is a server error,
    // whose retry needs the (empty) budget: the caller gets the 503 after three attempts, not four.
    try (Response r = get(client, "http://orders/x")) {
      assertEquals(503, r.code());
      assertEquals(3, r.request().tag(Lb4jTag.class).attempt());
    }
    assertEquals(2, registry.get("lb4j.retries").tag("lb", "orders").counter().count());
    assertEquals(1, registry.get("lb4j.retry.budget.exhausted").tag("lb", "orders").counter().count());
    assertEquals(1, b.totalRequests());
  }

  @Test
  void postWith503IsSentOnceUnlessTaggedIdempotent() throws Exception {
    Backends b = backends(2);
    b.codes.forEach(c -> c.set(503));
    OkHttpClient client = client(LoadBalancingInterceptor.builder()
        .service("orders", lb(b.endpoints(), TestPolicies.roundRobin(), null)).retry(FAST_RETRY).build());
    Request post = new Request.Builder().url("http://orders/pay")
        .post(RequestBody.create("x", MediaType.get("text/plain"))).build();
    try (Response r = client.newCall(post).execute()) {
      assertEquals(503, r.code());
    }
    assertEquals(1, b.totalRequests());
    Request tagged = post.newBuilder().tag(RetryPolicy.Idempotent.class, RetryPolicy.Idempotent.YES).build();
    try (Response r = client.newCall(tagged).execute()) {
      assertEquals(503, r.code());
      assertEquals(2, r.request().tag(Lb4jTag.class).attempt());
    }
    assertEquals(3, b.totalRequests());
    assertEquals(1, b.servers.get(0).getRequestCount() + b.servers.get(1).getRequestCount() - 2,
        "the tagged retry went to the other endpoint");
  }

  @Test
  void customClassifierDecidesOutcomeAndRetry() throws IOException {
    Backends b = backends(2);
    b.codes.get(0).set(429);
    LoadBalancer lb = lb(b.endpoints(), TestPolicies.roundRobin(), null);
    FailureClassifier throttledIsFailure = new FailureClassifier() {
      @Override
      public Outcome classify(Response response) {
        return response.code() == 429 ? Outcome.SERVER_ERROR : null; // null: the default answer
      }

      @Override
      public Outcome classify(Call call, IOException error) {
        return FailureClassifier.defaults().classify(call, error);
      }
    };
    OkHttpClient client = client(LoadBalancingInterceptor.builder().service("orders", lb)
        .retry(FAST_RETRY).failureClassifier(throttledIsFailure).build());
    assertEquals(200, status(client, "http://orders/x"));
    assertEquals(1, lb.requests(b.endpoint(0), Outcome.SERVER_ERROR));
    assertEquals(1, lb.requests(b.endpoint(1), Outcome.SUCCESS));
  }

  @Test
  void oneShotBodyIsNotRetried() throws IOException {
    Backends b = backends(2);
    b.codes.forEach(c -> c.set(503));
    OkHttpClient client = client(LoadBalancingInterceptor.builder()
        .service("orders", lb(b.endpoints(), TestPolicies.roundRobin(), null)).retry(FAST_RETRY).build());
    RequestBody oneShot = new RequestBody() {
      @Override
      public MediaType contentType() {
        return MediaType.get("text/plain");
      }

      @Override
      public void writeTo(BufferedSink sink) throws IOException {
        sink.writeUtf8("once");
      }

      @Override
      public boolean isOneShot() {
        return true;
      }
    };
    Request put = new Request.Builder().url("http://orders/x").put(oneShot).build();
    try (Response r = client.newCall(put).execute()) {
      assertEquals(503, r.code());
    }
    assertEquals(1, b.totalRequests());
  }

  @Test
  void retryGoesToADifferentEndpoint() throws IOException {
    Backends b = backends(2);
    b.codes.get(0).set(500);
    // Random with a hash key would keep choosing the same endpoint; the retry must still move.
    LoadBalancer lb = lb(b.endpoints(), io.lb4j.policy.Policies.maglev(), null);
    OkHttpClient client = client(LoadBalancingInterceptor.builder().service("orders", lb)
        .retry(FAST_RETRY).hashKey(HashKeys.header("X-User")).build());
    for (int i = 0; i < 20; i++) {
      Request r = new Request.Builder().url("http://orders/x").header("X-User", "u" + i).build();
      try (Response resp = client.newCall(r).execute()) {
        assertEquals(200, resp.code(), "user u" + i);
      }
    }
    assertEquals(20, b.servers.get(1).getRequestCount());
  }

  @Test
  void hotKeyStaysHomeWithPlainMaglevAndSpillsWithABalanceFactor() throws IOException {
    Backends b = backends(4);
    int held = 12;
    int[] plain = hotKeyRequestsPerServer(b, Policies.maglev(), held);
    int home = io.lb4j.policy.MaglevTable.build(b.endpoints(), 65_537)
        .lookup(io.lb4j.PickContext.hashKey("hot")).port();
    int homeIndex = b.endpoints().indexOf(Endpoint.of("127.0.0.1", home));
    assertEquals(held, plain[homeIndex], "plain Maglev sends every hot request home");

    int[] bounded = hotKeyRequestsPerServer(b, Policies.maglev(65_537, 1.25), held);
    int used = 0;
    for (int i = 0; i < bounded.length; i++) {
      int n = bounded[i] - plain[i];
      used += n > 0 ? 1 : 0;
      // Placing the 12th: ceil(12 * 1.25) = 15 slots, ceil(15 / 4) = 4 each; at 4 a server still takes one.
      assertTrue(n <= 5, "server " + i + " holds " + n + " of the hot key's " + held);
    }
    assertTrue(used >= 3, "the hot key spilled over " + used + " servers");
    assertTrue(bounded[homeIndex] - plain[homeIndex] >= 3, "home still takes its share");
  }

  /**
   * Sends {@code held} requests with {@code X-User: hot} through a fresh balancer and keeps their
   * bodies unread (so they stay in flight), then closes them; returns each server's request count.
   */
  private int[] hotKeyRequestsPerServer(Backends b, Policy policy, int held) throws IOException {
    LoadBalancer lb = lb(b.endpoints(), policy, null);
    OkHttpClient client = client(LoadBalancingInterceptor.builder().service("orders", lb)
        .hashKey(HashKeys.header("X-User")).build());
    List<Response> open = new ArrayList<>();
    try {
      for (int i = 0; i < held; i++) {
        open.add(client.newCall(new Request.Builder().url("http://orders/x").header("X-User", "hot").build())
            .execute());
      }
      int inFlight = 0;
      for (Endpoint e : b.endpoints()) {
        inFlight += lb.inFlight(e);
      }
      assertEquals(held, inFlight, "unread bodies keep every request in flight");
    } finally {
      open.forEach(Response::close);
    }
    for (Endpoint e : b.endpoints()) {
      assertEquals(0, lb.inFlight(e), "closing released " + e);
    }
    int[] counts = new int[b.servers.size()];
    for (int i = 0; i < counts.length; i++) {
      counts[i] = b.servers.get(i).getRequestCount();
    }
    return counts;
  }

  @Test
  void retryBudgetCapsRetriesDuringAFullOutage() throws IOException {
    Backends b = backends(3);
    b.codes.forEach(c -> c.set(503));
    LoadBalancer lb = lb(b.endpoints(), TestPolicies.roundRobin(), null);
    Clock frozen = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
    int floorPerSecond = 1; // over the 10 s window: 10 retries
    RetryPolicy retry = RetryPolicy.builder().maxAttempts(3).backoff(Duration.ZERO, Duration.ZERO)
        .budget(() -> RetryBudget.builder().minRetriesPerSecond(floorPerSecond).clock(frozen).build())
        .build();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    OkHttpClient client = client(LoadBalancingInterceptor.builder().service("orders", lb).retry(retry)
        .meterRegistry(registry).build());
    int requests = 100;
    for (int i = 0; i < requests; i++) {
      assertEquals(503, status(client, "http://orders/api"));
    }
    int attempts = b.totalRequests();
    int floor = 10 * floorPerSecond;
    assertTrue(attempts <= 1.2 * requests + floor, "attempts " + attempts);
    assertTrue(attempts >= requests + 0.2 * requests, "the budget still allows 20 %: " + attempts);
    double retries = registry.get("lb4j.retries").tag("lb", "orders").counter().count();
    assertEquals(attempts - requests, (int) retries);
    assertTrue(registry.get("lb4j.retry.budget.exhausted").tag("lb", "orders").counter().count() > 0);
  }

  @Test
  void streamingBodyKeepsTheRequestInFlightUntilClosed() throws IOException {
    Backends b = backends(0);
    fixedServer(b, new MockResponse.Builder().body("x".repeat(256 * 1024)).build());
    LoadBalancer lb = lb(b.endpoints(), TestPolicies.roundRobin(), null);
    Endpoint e = b.endpoint(0);
    OkHttpClient client = client(LoadBalancingInterceptor.builder().service("orders", lb).build());
    Response r = get(client, "http://orders/download");
    assertEquals(1, lb.inFlight(e), "headers are in, body not read");
    r.body().source().require(1024);
    assertEquals(1, lb.inFlight(e), "partly read");
    r.close();
    assertEquals(0, lb.inFlight(e));
    assertEquals(1, lb.requests(e, Outcome.SUCCESS));
    r.close(); // a second close does not release again
    assertEquals(1, lb.requests(e, Outcome.SUCCESS));

    try (Response r2 = get(client, "http://orders/download")) {
      assertEquals(256 * 1024, r2.body().string().length());
      assertEquals(0, lb.inFlight(e), "reading to the end releases");
    }
    assertEquals(2, lb.requests(e, Outcome.SUCCESS));
  }

  /** A server that answers only once {@code hold} opens (bounded at 10 s). */
  private static MockWebServer holdingServer(Backends b, CountDownLatch hold) throws IOException {
    return serverWith(b, () -> {
      hold.await(10, TimeUnit.SECONDS);
      return new MockResponse.Builder().body("late").build();
    });
  }

  /** A response made per request; may wait. */
  private interface Answer {
    MockResponse get() throws InterruptedException;
  }

  private static MockWebServer serverWith(Backends b, Answer answer) throws IOException {
    MockWebServer s = b.add(200);
    s.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
        return answer.get();
      }
    });
    return s;
  }

  @Test
  void cancelledCallReleasesAsCancelled() throws Exception {
    Backends b = backends(0);
    CountDownLatch hold = new CountDownLatch(1);
    MockWebServer s = holdingServer(b, hold);
    LoadBalancer lb = lb(b.endpoints(), TestPolicies.roundRobin(), null);
    Endpoint e = b.endpoint(0);
    OkHttpClient client = client(LoadBalancingInterceptor.builder().service("orders", lb)
        .retry(FAST_RETRY).build());
    Call call = client.newCall(new Request.Builder().url("http://orders/slow").build());
    CountDownLatch failed = enqueueExpectingFailure(call);
    try {
      await().atMost(Duration.ofSeconds(5)).until(() -> lb.inFlight(e) == 1);
      call.cancel();
      assertTrue(failed.await(5, TimeUnit.SECONDS));
      await().atMost(Duration.ofSeconds(5)).until(() -> lb.inFlight(e) == 0);
      assertEquals(1, lb.requests(e, Outcome.CANCELLED));
      assertEquals(0, lb.requests(e, Outcome.SUCCESS) + lb.requests(e, Outcome.SERVER_ERROR));
    } finally {
      hold.countDown();
    }
    assertEquals(1, s.getRequestCount(), "a cancelled call is not retried");
  }

  @Test
  void callTimeoutReleasesAsTimeout() throws Exception {
    Backends b = backends(0);
    CountDownLatch hold = new CountDownLatch(1);
    MockWebServer s = holdingServer(b, hold);
    LoadBalancer lb = lb(b.endpoints(), TestPolicies.roundRobin(), null);
    Endpoint e = b.endpoint(0);
    OkHttpClient client = client(LoadBalancingInterceptor.builder().service("orders", lb).build())
        .newBuilder().callTimeout(Duration.ofMillis(300)).build();
    try {
      assertThrows(InterruptedIOException.class, () -> get(client, "http://orders/slow"));
      assertEquals(1, lb.requests(e, Outcome.TIMEOUT));
      assertEquals(0, lb.inFlight(e));
    } finally {
      hold.countDown();
    }
  }

  /** Enqueues the call; the latch opens when it fails. */
  private static CountDownLatch enqueueExpectingFailure(Call call) {
    CountDownLatch failed = new CountDownLatch(1);
    call.enqueue(new Callback() {
      @Override
      public void onFailure(Call c, IOException ex) {
        failed.countDown();
      }

      @Override
      public void onResponse(Call c, Response response) {
        response.close();
      }
    });
    return failed;
  }

  /** A server that answers every request with {@code response}. */
  private static MockWebServer fixedServer(Backends b, MockResponse response) throws IOException {
    return serverWith(b, () -> response);
  }

  @Test
  void bodyCutOffMidwayReleasesAsServerError() throws IOException {
    Backends b = backends(0);
    fixedServer(b, new MockResponse.Builder().body("x".repeat(256 * 1024))
        .onResponseBody(SocketEffect.ShutdownConnection.INSTANCE).build());
    LoadBalancer lb = lb(b.endpoints(), TestPolicies.roundRobin(), null);
    Endpoint e = b.endpoint(0);
    OkHttpClient client = client(LoadBalancingInterceptor.builder().service("orders", lb).build());
    try (Response r = get(client, "http://orders/download")) {
      assertThrows(IOException.class, () -> r.body().string());
    }
    assertEquals(1, lb.requests(e, Outcome.SERVER_ERROR));
    assertEquals(0, lb.requests(e, Outcome.SUCCESS));
    assertEquals(0, lb.inFlight(e));
  }

  @Test
  void aCallTimeoutDuringTheDownloadReleasesAsTimeout() throws Exception {
    Backends b = backends(0);
    fixedServer(b, new MockResponse.Builder().body("late body").bodyDelay(10, TimeUnit.SECONDS).build());
    LoadBalancer lb = lb(b.endpoints(), TestPolicies.roundRobin(), null);
    Endpoint e = b.endpoint(0);
    OkHttpClient client = client(LoadBalancingInterceptor.builder().service("orders", lb).build())
        .newBuilder().callTimeout(Duration.ofMillis(500)).build();
    try (Response r = get(client, "http://orders/download")) {
      assertEquals(1, lb.inFlight(e), "headers are in, the body is late");
      InterruptedIOException thrown = assertThrows(InterruptedIOException.class, () -> r.body().string());
      assertEquals("timeout", thrown.getMessage());
      assertEquals(1, lb.requests(e, Outcome.TIMEOUT));
      assertEquals(0, lb.inFlight(e));
    }
    assertEquals(1, lb.requests(e, Outcome.TIMEOUT), "closing after the failure does not release again");
    assertEquals(0, lb.requests(e, Outcome.SUCCESS) + lb.requests(e, Outcome.CANCELLED));
  }

  @Test
  void aBodyConsumedBeforeItReachesTheCallerIsReleasedOnceWhenTheCallEnds() throws IOException {
    Backends b = backends(1);
    LoadBalancer lb = lb(b.endpoints(), TestPolicies.roundRobin(), null);
    Endpoint e = b.endpoint(0);
    List<String> events = new CopyOnWriteArrayList<>();
    OkHttpClient client = client(LoadBalancingInterceptor.builder().service("orders", lb).build()).newBuilder()
        .addNetworkInterceptor(chain -> {
          Response network = chain.proceed(chain.request());
          byte[] bytes = network.body().bytes(); // buffers and closes the exchange's body
          return network.newBuilder().body(ResponseBody.create(bytes, network.body().contentType())).build();
        })
        .eventListener(new EventListener() { // the client's own listener: lb4j's joins it
          @Override
          public void callEnd(Call call) {
            events.add("callEnd");
          }
        }).build();
    try (Response r = get(client, "http://orders/x")) {
      assertEquals(List.of("callEnd"), events);
      assertEquals(0, lb.inFlight(e), "the endpoint's part ended with the call");
      assertEquals(1, lb.requests(e, Outcome.SUCCESS));
      assertEquals("from " + b.servers.get(0).getPort(), r.body().string());
    }
    assertEquals(1, lb.requests(e, Outcome.SUCCESS));
    assertEquals(0, lb.inFlight(e));
  }

  @Test
  void aGzipBodyIsReleasedWhenReadAndItsCorruptionCountsAgainstTheEndpoint() throws IOException {
    Backends b = backends(0);
    Buffer gzipped = new Buffer();
    try (BufferedSink sink = Okio.buffer(new GzipSink(gzipped))) {
      sink.writeUtf8("x".repeat(64 * 1024));
    }
    AtomicReference<Buffer> body = new AtomicReference<>(gzipped);
    serverWith(b, () -> new MockResponse.Builder().addHeader("Content-Encoding", "gzip").body(body.get()).build());
    LoadBalancer lb = lb(b.endpoints(), TestPolicies.roundRobin(), null);
    Endpoint e = b.endpoint(0);
    OkHttpClient client = client(LoadBalancingInterceptor.builder().service("orders", lb).build());
    try (Response r = get(client, "http://orders/x")) {
      assertNull(r.header("Content-Encoding"), "OkHttp decodes it on the way");
      assertEquals(1, lb.inFlight(e));
      assertEquals(64 * 1024, r.body().string().length());
      assertEquals(0, lb.inFlight(e));
    }
    assertEquals(1, lb.requests(e, Outcome.SUCCESS));

    body.set(new Buffer().writeUtf8("not gzip at all, though the header says so"));
    try (Response r = get(client, "http://orders/x")) {
      assertThrows(IOException.class, () -> r.body().string());
    }
    assertEquals(1, lb.requests(e, Outcome.SERVER_ERROR), "the server's bad bytes, seen only above the network");
    assertEquals(1, lb.requests(e, Outcome.SUCCESS));
    assertEquals(0, lb.inFlight(e));
  }

  @Test
  void anEndpointThatMovesToAnotherPortGetsTheNextCallThere() throws IOException {
    Backends b = backends(2);
    LoadBalancer lb = lb(List.of(b.endpoint(0)), TestPolicies.roundRobin(), null);
    OkHttpClient client = client(LoadBalancingInterceptor.builder().service("orders", lb).build());
    for (int i = 0; i < 3; i++) {
      assertEquals(200, status(client, "http://orders/same?q=1"));
    }
    lb.updateEndpoints(List.of(b.endpoint(1))); // same host, the other server's port
    try (Response r = get(client, "http://orders/same?q=1")) {
      assertEquals("from " + b.servers.get(1).getPort(), r.body().string());
      assertEquals(b.servers.get(1).getPort(), r.request().url().port());
      assertEquals(new Lb4jTag("orders", b.endpoint(1), 1), r.request().tag(Lb4jTag.class));
    }
    assertEquals(3, b.servers.get(0).getRequestCount());
    assertEquals(1, b.servers.get(1).getRequestCount());
    assertNull(lb.handle(b.endpoint(0)).attachment(), "the balancer keeps nothing of the endpoint that left");
  }

  @Test
  void retryAfterOn503IsHonouredUpToTheCap() throws IOException {
    Backends b = backends(0);
    fixedServer(b, new MockResponse.Builder().code(503).addHeader("Retry-After", "30").build());
    b.add(200);
    LoadBalancer lb = lb(b.endpoints(), TestPolicies.roundRobin(), null);
    RetryPolicy retry = RetryPolicy.builder().backoff(Duration.ofMillis(1), Duration.ofMillis(300)).build();
    OkHttpClient client = client(LoadBalancingInterceptor.builder().service("orders", lb).retry(retry).build());
    long start = System.nanoTime();
    assertEquals(200, status(client, "http://orders/x"));
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertTrue(millis >= 290 && millis < 5_000, "waited " + millis + " ms, the cap is 300 ms");
    assertEquals(1, b.servers.get(1).getRequestCount());
  }

  @Test
  void cancellingDuringBackoffEndsTheCallAtOnce() throws Exception {
    Backends b = backends(0);
    fixedServer(b, new MockResponse.Builder().code(503).addHeader("Retry-After", "30").build());
    b.add(200);
    LoadBalancer lb = lb(b.endpoints(), TestPolicies.roundRobin(), null);
    RetryPolicy retry = RetryPolicy.builder().backoff(Duration.ofMillis(1), Duration.ofSeconds(30)).build();
    OkHttpClient client = client(LoadBalancingInterceptor.builder().service("orders", lb).retry(retry).build());
    Call call = client.newCall(new Request.Builder().url("http://orders/x").build());
    CountDownLatch failed = enqueueExpectingFailure(call);
    await().atMost(Duration.ofSeconds(5))
        .until(() -> lb.requests(b.endpoint(0), Outcome.SERVER_ERROR) == 1);
    call.cancel();
    assertTrue(failed.await(5, TimeUnit.SECONDS), "the 30 s backoff was cut short");
    assertEquals(0, b.servers.get(1).getRequestCount(), "no retry after cancel");
    assertEquals(0, lb.inFlight(b.endpoint(0)) + lb.inFlight(b.endpoint(1)));
  }

  @Test
  void noEndpointFailsTheCallWithAnIoException() {
    LoadBalancer lb = lb(List.of(), TestPolicies.roundRobin(), null);
    OkHttpClient client = client(LoadBalancingInterceptor.builder().service("orders", lb).build());
    IOException e = assertThrows(IOException.class, () -> get(client, "http://orders/x"));
    assertTrue(e.getMessage().startsWith("no endpoint available for service 'orders'"), e.getMessage());
    assertInstanceOf(NoEndpointAvailableException.class, e.getCause());
  }

  @Test
  void requestBodyThatThrowsIsTheCallersFailureNotTheServers() throws IOException {
    Backends b = backends(1);
    Endpoint e = b.endpoint(0);
    LoadBalancer lb = lb(b.endpoints(), TestPolicies.roundRobin(), OutlierDetectionConfig.builder()
        .consecutiveFailures(2).consecutiveLocalFailures(2).maxEjectionPercent(100).build());
    OkHttpClient client = client(LoadBalancingInterceptor.builder().service("orders", lb).retry(FAST_RETRY).build());
    RequestBody broken = new RequestBody() {
      @Override
      public MediaType contentType() {
        return MediaType.get("text/plain");
      }

      @Override
      public void writeTo(BufferedSink sink) throws IOException {
        sink.writeUtf8("first part");
        sink.flush();
        throw new IOException("the upload file vanished");
      }
    };
    for (int i = 0; i < 5; i++) {
      Request put = new Request.Builder().url("http://orders/upload").put(broken).build();
      IOException thrown = assertThrows(IOException.class, () -> client.newCall(put).execute().close());
      assertEquals("the upload file vanished", thrown.getMessage());
    }
    assertEquals(EndpointStatus.HEALTHY, lb.status(e), "a healthy server is never ejected for the caller's failure");
    assertEquals(5, lb.requests(e, Outcome.CANCELLED));
    assertEquals(0, lb.requests(e, Outcome.SERVER_ERROR) + lb.requests(e, Outcome.CONNECT_FAILURE));
    assertEquals(0, lb.inFlight(e));
    assertEquals(200, status(client, "http://orders/after"));
  }

  @Test
  void closedBalancerFailsCallsWithAnIoExceptionNamingTheService() throws Exception {
    Backends b = backends(1);
    LoadBalancer lb = lb(b.endpoints(), TestPolicies.roundRobin(), null);
    OkHttpClient client = client(LoadBalancingInterceptor.builder().service("orders", lb).build());
    lb.close();
    IOException sync = assertThrows(IOException.class, () -> get(client, "http://orders/x"));
    assertTrue(sync.getMessage().contains("'orders'") && sync.getMessage().contains("closed"), sync.getMessage());

    CompletableFuture<IOException> async = new CompletableFuture<>();
    List<Throwable> uncaught = new CopyOnWriteArrayList<>();
    OkHttpClient watched = client.newBuilder().dispatcher(new okhttp3.Dispatcher(
        Executors.newSingleThreadExecutor(r -> {
          Thread t = new Thread(r, "closed-lb-test");
          t.setDaemon(true);
          t.setUncaughtExceptionHandler((th, ex) -> uncaught.add(ex));
          return t;
        }))).build();
    try {
      watched.newCall(new Request.Builder().url("http://orders/x").build()).enqueue(new Callback() {
        @Override
        public void onFailure(Call c, IOException ex) {
          async.complete(ex);
        }

        @Override
        public void onResponse(Call c, Response response) {
          response.close();
          async.completeExceptionally(new AssertionError("answered through a closed balancer"));
        }
      });
      IOException failure = async.get(5, TimeUnit.SECONDS);
      assertTrue(failure.getMessage().startsWith("service 'orders'") && failure.getMessage().contains("closed"),
          failure.getMessage());
      watched.dispatcher().executorService().shutdown();
      assertTrue(watched.dispatcher().executorService().awaitTermination(5, TimeUnit.SECONDS));
      assertEquals(List.of(), uncaught, "nothing escaped onto the dispatcher thread");
    } finally {
      watched.dispatcher().executorService().shutdownNow();
    }
    assertEquals(0, b.totalRequests());
  }

  @Test
  void retryMetersCarryThePolicyAndLeaveWithTheirBalancer() throws IOException {
    Backends b = backends(2);
    b.codes.get(0).set(503);
    LoadBalancer lb = lb(b.endpoints(), TestPolicies.roundRobin(), null);
    LoadBalancer other = lb(List.of(b.endpoint(1)), Policies.roundRobin(), null);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    OkHttpClient client = client(LoadBalancingInterceptor.builder().service("orders", lb)
        .service("payments", other).retry(FAST_RETRY).meterRegistry(registry).build());
    assertEquals(200, status(client, "http://orders/x"));
    assertEquals(1.0, registry.get("lb4j.retries").tag("lb", "orders").tag("policy", "test-rr").counter().count());
    registry.get("lb4j.retry.budget.exhausted").tag("lb", "orders").tag("policy", "test-rr").counter();
    lb.close();
    assertTrue(registry.find("lb4j.retries").tag("policy", "test-rr").counters().isEmpty());
    assertTrue(registry.find("lb4j.retry.budget.exhausted").tag("policy", "test-rr").counters().isEmpty());
    assertEquals(1, registry.find("lb4j.retries").counters().size(), "the other balancer's meters stay");
    other.close();
    assertTrue(registry.find("lb4j.retries").counters().isEmpty());
  }

  @Test
  void builderRejectsBadInput() {
    LoadBalancer lb = lb(List.of(Endpoint.of("127.0.0.1", 1)), TestPolicies.roundRobin(), null);
    assertThrows(IllegalArgumentException.class, () -> LoadBalancingInterceptor.builder().build());
    assertThrows(IllegalArgumentException.class, () -> LoadBalancingInterceptor.builder().service(" ", lb));
    assertThrows(IllegalArgumentException.class,
        () -> LoadBalancingInterceptor.builder().service("a", lb).service("A", lb));
    assertThrows(IllegalArgumentException.class, () -> RetryPolicy.builder().maxAttempts(0));
  }
}
