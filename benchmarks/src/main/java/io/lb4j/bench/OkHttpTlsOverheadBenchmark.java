package io.lb4j.bench;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.lb4j.Endpoint;
import io.lb4j.LoadBalancer;
import io.lb4j.okhttp.Lb4jTag;
import io.lb4j.okhttp.LoadBalancingInterceptor;
import io.lb4j.policy.Policies;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import okhttp3.Dns;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-call cost of HTTPS through {@link LoadBalancingInterceptor} (URL keeps the service name,
 * routed by a per-attempt {@code Dns} with {@code Chain.withDns}) next to plain OkHttp over TLS: the
 * same small GET over HTTP/1.1 to the same loopback JDK {@code HttpsServer} whose certificate names
 * only {@code orders.internal}, once plain ({@code plain}: {@code https://orders.internal:port/},
 * a client {@code Dns} that answers 127.0.0.1) and once balanced ({@code balanced}:
 * {@code https://orders.internal/}, one endpoint 127.0.0.1:port), sharing one connection pool, so
 * each reuses its one pooled TLS connection and the difference is the interceptor. Run with the
 * allocation profiler for B/op:
 * {@code java -jar benchmarks/target/lb4j-benchmarks.jar OkHttpTlsOverheadBenchmark -prof gc}.
 * {@code rewritten} is the floor of routing this way in OkHttp: an interceptor that only sends the
 * request to a prebuilt URL (the endpoint's port), with the service's {@code Host}, a fixed tag and
 * a fixed per-attempt {@code Dns} ({@code chain.withDns(dns).proceed(...)}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class OkHttpTlsOverheadBenchmark {

  private static final String SERVICE = "orders.internal";

  private HttpsServer server;
  private ExecutorService serverThreads;
  private LoadBalancer lb;
  private OkHttpClient plainClient;
  private OkHttpClient balancedClient;
  private OkHttpClient rewritingClient;
  private Request plainRequest;
  private Request balancedRequest;

  /** Starts the loopback server and builds the plain, balanced and rewriting clients. */
  @Setup
  public void setUp() throws IOException {
    HeldCertificate root = new HeldCertificate.Builder().certificateAuthority(0).build();
    HeldCertificate leaf = new HeldCertificate.Builder().addSubjectAlternativeName(SERVICE).signedBy(root).build();
    HandshakeCertificates serverTls = new HandshakeCertificates.Builder().heldCertificate(leaf).build();
    HandshakeCertificates clientTls = new HandshakeCertificates.Builder().addTrustedCertificate(root.certificate()).build();

    // Without TCP_NODELAY the server's small writes meet delayed ACKs (~40 ms per exchange).
    System.setProperty("sun.net.httpserver.nodelay", "true");
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    server = HttpsServer.create(new InetSocketAddress(loopback, 0), 128);
    server.setHttpsConfigurator(new HttpsConfigurator(serverTls.sslContext()));
    serverThreads = Executors.newFixedThreadPool(2);
    server.setExecutor(serverThreads);
    OkHttpOverheadBenchmark.answerSmall(server);
    server.start();
    int port = server.getAddress().getPort();
    lb = LoadBalancer.builder().name(SERVICE).endpoints(List.of(Endpoint.of("127.0.0.1", port)))
        .policy(Policies.random()).build();
    plainClient = new OkHttpClient.Builder()
        .sslSocketFactory(clientTls.sslSocketFactory(), clientTls.trustManager())
        .dns(new LoopbackDns())
        .build();
    balancedClient = plainClient.newBuilder()
        .addInterceptor(LoadBalancingInterceptor.builder().service(SERVICE, lb).build())
        .build();
    HttpUrl target = HttpUrl.get("https://" + SERVICE + ":" + port + "/small");
    Lb4jTag tag = new Lb4jTag(SERVICE, lb.endpoints().get(0), 1);
    Dns dns = new LoopbackDns();
    rewritingClient = plainClient.newBuilder()
        .addInterceptor(chain -> chain.withDns(dns).proceed(chain.request().newBuilder().url(target)
            .header("Host", SERVICE).tag(Lb4jTag.class, tag).build()))
        .build();
    plainRequest = new Request.Builder().url("https://" + SERVICE + ":" + port + "/small").build();
    balancedRequest = new Request.Builder().url("https://" + SERVICE + "/small").build();
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
    return OkHttpOverheadBenchmark.call(plainClient, plainRequest);
  }

  /** The same GET through {@code LoadBalancingInterceptor}. */
  @Benchmark
  public String balanced() throws IOException {
    return OkHttpOverheadBenchmark.call(balancedClient, balancedRequest);
  }

  /** The floor: an interceptor that only rewrites the URL and tags the request, as any rewriting interceptor must. */
  @Benchmark
  public String rewritten() throws IOException {
    return OkHttpOverheadBenchmark.call(rewritingClient, balancedRequest);
  }

  /** The plain client's resolver: the service name is this loopback server (what DNS would say). */
  private static final class LoopbackDns implements Dns {
    @Override
    public List<InetAddress> lookup(String hostname) throws UnknownHostException {
      if (SERVICE.equals(hostname)) {
        return List.of(InetAddress.getByName("127.0.0.1"));
      }
      return Dns.SYSTEM.lookup(hostname);
    }
  }
}
