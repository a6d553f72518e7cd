package io.lb4j.examples;

import io.grpc.Channel;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import io.grpc.testing.protobuf.SimpleRequest;
import io.grpc.testing.protobuf.SimpleResponse;
import io.grpc.testing.protobuf.SimpleServiceGrpc;
import io.lb4j.Endpoint;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for one instance of your gRPC service: a Netty server on 127.0.0.1 serving
 * {@code SimpleService} (a generated stub from grpc-testing-proto, standing in for your own; its
 * unary call answers with the server's name) and the standard {@code grpc.health.v1} health
 * service, SERVING until told otherwise. Thread-safe.
 */
public final class GreeterBackend implements AutoCloseable {

  private final String name;
  private final Server server;
  private final HealthStatusManager health = new HealthStatusManager();
  private final AtomicInteger calls = new AtomicInteger();

  private GreeterBackend(String name) throws IOException {
    this.name = name;
    this.server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new SimpleServiceGrpc.SimpleServiceImplBase() {
          @Override
          public void unaryRpc(SimpleRequest request, StreamObserver<SimpleResponse> response) {
            calls.incrementAndGet();
            response.onNext(SimpleResponse.newBuilder().setResponseMessage(name).build());
            response.onCompleted();
          }
        })
        .addService(health.getHealthService())
        .build()
        .start();
  }

  /** Starts a server called {@code name} on a free port of 127.0.0.1. */
  public static GreeterBackend start(String name) throws IOException {
    return new GreeterBackend(name);
  }

  /** Its name, which is also its answer. */
  public String name() {
    return name;
  }

  /** Its port on 127.0.0.1. */
  public int port() {
    return server.getPort();
  }

  /** Its address, {@code 127.0.0.1:port}. */
  public Endpoint endpoint() {
    return Endpoint.of("127.0.0.1", port());
  }

  /** Calls it answered. */
  public int calls() {
    return calls.get();
  }

  /** Answers health checks with SERVING, or NOT_SERVING (for every service name). */
  public void serving(boolean serving) {
    health.setStatus("", serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
  }

  /**
   * Makes {@code n} calls on {@code channel}, one after another (each waits up to 5 s for a ready
   * backend), and counts the answers per backend name.
   */
  public static Map<String, Integer> callMany(Channel channel, int n) {
    SimpleServiceGrpc.SimpleServiceBlockingStub stub = SimpleServiceGrpc.newBlockingStub(channel);
    Map<String, Integer> answers = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      SimpleResponse r = stub.withWaitForReady().withDeadlineAfter(5, TimeUnit.SECONDS)
          .unaryRpc(SimpleRequest.newBuilder().setRequestMessage("hello " + i).build());
      answers.merge(r.getResponseMessage(), 1, Integer::sum);
    }
    return answers;
  }

  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // it was told to stop; just don't wait
    }
  }

  @Override
  public String toString() {
    return name + "@" + endpoint().address();
  }
}
