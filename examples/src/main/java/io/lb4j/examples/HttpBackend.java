package io.lb4j.examples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.lb4j.Endpoint;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for one instance of your HTTP service: a JDK {@link HttpServer} on 127.0.0.1 that
 * answers {@code GET /health} with 200 and any other path with a small JSON body naming itself,
 * {@code {"id": "<last path segment>", "servedBy": "<name>"}} and the header {@code X-Served-By: <name>}. A {@link #broken(boolean) broken}
 * backend answers 500 to everything, health checks included. Thread-safe.
 */
public final class HttpBackend implements AutoCloseable {

  private final String name;
  private final HttpServer server;
  private final ExecutorService executor;
  private final AtomicInteger requests = new AtomicInteger();
  private volatile boolean broken;

  private HttpBackend(String name) throws IOException {
    this.name = name;
    this.executor = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "backend-" + name);
      t.setDaemon(true);
      return t;
    });
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  /** Starts a backend called {@code name} on a free port of 127.0.0.1. */
  public static HttpBackend start(String name) throws IOException {
    return new HttpBackend(name);
  }

  /** Makes this backend answer 500 to everything (or work again); returns it. */
  public HttpBackend broken(boolean broken) {
    this.broken = broken;
    return this;
  }

  /** Its name. */
  public String name() {
    return name;
  }

  /** Its address, {@code 127.0.0.1:port}. */
  public Endpoint endpoint() {
    return Endpoint.of("127.0.0.1", server.getAddress().getPort());
  }

  /** Requests it received, health checks not counted. */
  public int requests() {
    return requests.get();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      boolean health = path.equals("/health");
      if (!health) {
        requests.incrementAndGet();
      }
      String id = path.substring(path.lastIndexOf('/') + 1);
      String body = broken ? "{\"error\": \"broken\"}"
          : health ? "{\"status\": \"ok\"}"
          : "{\"id\": \"" + id + "\", \"servedBy\": \"" + name + "\"}";
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.getResponseHeaders().set("X-Served-By", name);
      exchange.sendResponseHeaders(broken ? 500 : 200, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  @Override
  public String toString() {
    return name + "@" + endpoint().address();
  }
}
