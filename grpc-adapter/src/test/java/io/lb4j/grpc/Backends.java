package io.lb4j.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerCredentials;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServerTransportFilter;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.ClientCalls;
import io.lb4j.Endpoint;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;

/**
 * Real gRPC Netty servers on 127.0.0.1 answering one hand-built unary method with their own index.
 * Each can be made slow or failing while running. Close shuts everything down.
 */
final class Backends implements AutoCloseable {

  static final MethodDescriptor<String, String> ECHO = MethodDescriptor.<String, String>newBuilder()
      .setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName("lb4j.test.Echo/Call")
      .setRequestMarshaller(new Utf8())
      .setResponseMarshaller(new Utf8())
      .build();

  /** One server. */
  static final class Backend {
    final int index;
    /** The running server; replaced by {@link Backends#restart}. */
    volatile Server server;
    /** The port it listens on, the same after a restart. */
    volatile int port;
    final AtomicInteger hits = new AtomicInteger();
    /** Client connections that became ready, over every start of this backend. */
    final AtomicInteger connections = new AtomicInteger();
    /** Serves grpc.health.v1 on this server; everything SERVING until a test says otherwise. */
    final HealthStatusManager health = new HealthStatusManager();
    final ServerCredentials tls;
    volatile long delayMillis;
    volatile Status failWith;

    Backend(int index, ServerCredentials tls) {
      this.index = index;
      this.tls = tls;
    }

    Endpoint endpoint() {
      return Endpoint.of("127.0.0.1", port);
    }
  }

  final List<Backend> list = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "backends-delay");
    t.setDaemon(true);
    return t;
  });

  Backends(int n) throws IOException {
    this(java.util.Collections.nCopies(n, null));
  }

  /** One server per entry: over TLS with those credentials, or plaintext for null. */
  Backends(List<ServerCredentials> credentials) throws IOException {
    for (int i = 0; i < credentials.size(); i++) {
      Backend b = new Backend(i, credentials.get(i));
      list.add(b);
      b.server = start(b, 0);
      b.port = b.server.getPort();
    }
  }

  /** Starts a server for {@code b} on {@code port} (0: any), answering with its index. */
  private Server start(Backend b, int port) throws IOException {
    ServerCallHandler<String, String> handler = (call, headers) -> {
      call.request(1);
      return new ServerCall.Listener<>() {
        @Override
        public void onHalfClose() {
          b.hits.incrementAndGet();
          Status fail = b.failWith;
          if (fail != null) {
            call.close(fail, new Metadata());
            return;
          }
          Runnable reply = () -> {
            call.sendHeaders(new Metadata());
            call.sendMessage(Integer.toString(b.index));
            call.close(Status.OK, new Metadata());
          };
          long delay = b.delayMillis;
          if (delay > 0) {
            scheduler.schedule(reply, delay, TimeUnit.MILLISECONDS);
          } else {
            reply.run();
          }
        }
      };
    };
    InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
    NettyServerBuilder builder = b.tls == null ? NettyServerBuilder.forAddress(address)
        : NettyServerBuilder.forAddress(address, b.tls);
    return builder
        .addService(ServerServiceDefinition.builder("lb4j.test.Echo").addMethod(ECHO, handler).build())
        .addService(b.health.getHealthService())
        .addTransportFilter(new ServerTransportFilter() {
          @Override
          public Attributes transportReady(Attributes attrs) {
            b.connections.incrementAndGet();
            return attrs;
          }
        })
        .build()
        .start();
  }

  /** Stops backend {@code i}'s server at once, waiting (bounded) until it has terminated. */
  void kill(int i) throws InterruptedException {
    Server s = get(i).server;
    s.shutdownNow();
    if (!s.awaitTermination(10, TimeUnit.SECONDS)) {
      throw new AssertionError("backend " + i + " did not stop within 10 s");
    }
  }

  /** Starts backend {@code i} again on its port (after {@link #kill}). */
  void restart(int i) throws IOException {
    Backend b = get(i);
    b.server = start(b, b.port);
  }

  Backend get(int i) {
    return list.get(i);
  }

  List<Endpoint> endpoints() {
    return list.stream().map(Backend::endpoint).toList();
  }

  /** A channel to every backend through the static resolver, with this load-balancing config. */
  ManagedChannel channel(String target, String policy, Map<String, ?> config) {
    return channel(target, policy, config, Lb4jGrpcOptions.DEFAULTS);
  }

  /** A channel as {@link #channel(String, String, Map)}, whose lb4j policies get these options. */
  ManagedChannel channel(String target, String policy, Map<String, ?> config, Lb4jGrpcOptions options) {
    ManagedChannel ch = NettyChannelBuilder.forTarget(target)
        .defaultServiceConfig(Map.of("loadBalancingConfig", List.of(Map.of(policy, config))))
        .setNameResolverArg(Lb4jGrpc.OPTIONS, options)
        .usePlaintext()
        .build();
    channels.add(ch);
    return ch;
  }

  ManagedChannel channel(String policy, Map<String, ?> config) {
    return channel(StaticNameResolverProvider.target(endpoints()), policy, config);
  }

  /** One call; returns the answering backend's index. */
  static int call(ManagedChannel ch, CallOptions options) {
    return Integer.parseInt(ClientCalls.blockingUnaryCall(ch,  ECHO,
        options.withDeadlineAfter(10, TimeUnit.SECONDS), "hi"));
  }

  static int call(ManagedChannel ch) {
    return call(ch, CallOptions.DEFAULT);
  }

  /** Calls until every backend answered once (bounded), then zeroes the hit counters. */
  void warmUp(ManagedChannel ch) {
    list.forEach(b -> b.hits.set(0)); // earlier calls (another channel's) must not count as this one's
    for (int i = 0; i < 2_000 && list.stream().anyMatch(b -> b.hits.get() == 0); i++) {
      try {
        call(ch, CallOptions.DEFAULT.withWaitForReady());
      } catch (RuntimeException e) {
        // a backend still connecting; keep going
      }
    }
    if (list.stream().anyMatch(b -> b.hits.get() == 0)) {
      throw new AssertionError("warm-up never reached every backend: " + hits());
    }
    list.forEach(b -> b.hits.set(0));
  }

  /** Marks backend {@code i} NOT_SERVING and waits (bounded) until rounds of 30 calls no longer reach it. */
  void drainAndAwaitNoCalls(ManagedChannel ch, int i) {
    get(i).health.setStatus("", ServingStatus.NOT_SERVING);
    Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      int before = get(i).hits.get();
      for (int n = 0; n < 30; n++) {
        call(ch);
      }
      assertEquals(before, get(i).hits.get(), "NOT_SERVING backend still gets calls");
    });
  }

  List<Integer> hits() {
    return list.stream().map(b -> b.hits.get()).toList();
  }

  @Override
  public void close() {
    for (ManagedChannel c : channels) {
      c.shutdownNow();
    }
    for (Backend b : list) {
      b.server.shutdownNow();
    }
    scheduler.shutdownNow();
    try {
      for (ManagedChannel c : channels) {
        c.awaitTermination(5, TimeUnit.SECONDS);
      }
      for (Backend b : list) {
        b.server.awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // everything was told to stop; just don't wait
    }
  }

  private static final class Utf8 implements MethodDescriptor.Marshaller<String> {
    @Override
    public InputStream stream(String value) {
      return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String parse(InputStream stream) {
      try {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
