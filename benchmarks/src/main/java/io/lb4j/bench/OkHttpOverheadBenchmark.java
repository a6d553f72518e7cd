package io.lb4j.bench;

import com.sun.net.httpserver.HttpServer;
import io.lb4j.Endpoint;
import io.lb4j.LoadBalancer;
import io.lb4j.okhttp.Lb4jTag;
import io.lb4j.okhttp.LoadBalancingInterceptor;
import io.lb4j.policy.Policies;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of {@link LoadBalancingInterceptor} on a small GET: the same request to the same loopback
 * JDK HttpServer, once through plain OkHttp ({@code plain}, to {@code http://127.0.0.1:port/}) and
 * once through the interceptor ({@code balanced}, to {@code http://svc/}, one endpoint, default
 * retry policy), with one shared connection pool, in the same run. The throughput ratio
 * balanced/plain is the overhead; {@code -prof gc} reports the added allocation per call. Run:
 * {@code java -jar benchmarks/target/lb4j-benchmarks.jar OkHttpOverheadBenchmark -prof gc}, and
 * for the ratio on a noisy machine {@link InterleavedRatio}.
 *
 * <p>{@code rewritten} is the floor of any interceptor that routes this way: one that only swaps in
 * a prebuilt endpoint URL and a fixed tag ({@code chain.proceed(request.newBuilder().url(u).tag(t)
 * .build())}), i.e. what OkHttp itself allocates for an application interceptor and a rewritten
 * {@code Request}. {@code paths} cycles the calls over that many distinct paths (both sides): 1
 * meets the interceptor's per-endpoint URL cache every time, 64 never (it keeps 4 per endpoint).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class OkHttpOverheadBenchmark {

  private static final byte[] BODY = "ok".getBytes(StandardCharsets.US_ASCII);

  private HttpServer server;
  private ExecutorService serverThreads;
  private LoadBalancer lb;
  private OkHttpClient plainClient;
  private OkHttpClient balancedClient;
  private OkHttpClient rewritingClient;
  private Request[] plainRequests;
  private Request[] balancedRequests;
  private int next;

  /** How many distinct paths the calls cycle over. */
  @Param("1")
  public int paths;

  /** Starts the loopback server and builds the plain, balanced and rewriting clients. */
  @Setup
  public void setUp() throws IOException {
    // Without TCP_NODELAY the server's small writes meet delayed ACKs (~40 ms per exchange).
    System.setProperty("sun.net.httpserver.nodelay", "true");
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
    serverThreads = Executors.newFixedThreadPool(2);
    server.setExecutor(serverThreads);
    answerSmall(server);
    server.start();
    int port = server.getAddress().getPort();
    String host = server.getAddress().getAddress().getHostAddress();
    lb = LoadBalancer.builder().name("svc").endpoints(List.of(Endpoint.of(host, port)))
        .policy(Policies.random()).build();
    plainClient = new OkHttpClient();
    balancedClient = plainClient.newBuilder()
        .addInterceptor(LoadBalancingInterceptor.builder().service("svc", lb).build())
        .build();
    HttpUrl target = HttpUrl.get("http://" + host + ":" + port + "/small");
    Lb4jTag tag = new Lb4jTag("svc", lb.endpoints().get(0), 1);
    rewritingClient = plainClient.newBuilder()
        .addInterceptor(chain -> chain.proceed(chain.request().newBuilder().url(target).tag(Lb4jTag.class, tag).build()))
        .build();
    plainRequests = new Request[paths];
    balancedRequests = new Request[paths];
    for (int i = 0; i < paths; i++) {
      String path = paths == 1 ? "/small" : "/small/" + i;
      plainRequests[i] = new Request.Builder().url("http://" + host + ":" + port + path).build();
      balancedRequests[i] = new Request.Builder().url("http://svc" + path).build();
    }
  }

  /** Closes the clients' pools, the balancer and the server. */
  @TearDown
  public void tearDown() {
    plainClient.dispatcher().executorService().shutdown();
    plainClient.connectionPool().evictAll();
    lb.close();
    server.stop(0);
    serverThreads.shutdownNow();
  }

  /** One GET through plain OkHttp: the baseline. */
  @Benchmark
  public String plain() throws IOException {
    return call(plainClient, plainRequests[nextIndex()]);
  }

  /** The same GET through {@code LoadBalancingInterceptor}. */
  @Benchmark
  public String balanced() throws IOException {
    return call(balancedClient, balancedRequests[nextIndex()]);
  }

  /** The floor: an interceptor that only rewrites the URL and tags the request, as any rewriting interceptor must. */
  @Benchmark
  public String rewritten() throws IOException {
    return call(rewritingClient, balancedRequests[0]);
  }

  private int nextIndex() {
    int i = next;
    next = i + 1 == paths ? 0 : i + 1;
    return i;
  }

  /** Answers every path with 200 and a 2-byte body, on the server's executor. */
  static void answerSmall(HttpServer server) {
    server.createContext("/", exchange -> {
      exchange.getRequestBody().readAllBytes();
      exchange.sendResponseHeaders(200, BODY.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(BODY);
      }
    });
  }

  /** One call; returns the body, so the call cannot be optimised away. */
  static String call(OkHttpClient client, Request request) throws IOException {
    try (Response response = client.newCall(request).execute()) {
      return response.body().string();
    }
  }
}
