package io.lb4j.bench;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A JDK {@link HttpServer} on 127.0.0.1 that answers every request after a configurable delay, can
 * be switched to answer 503, and can be stopped and started again on the same port (the demo's
 * "dies and comes back"). Thread-safe: the switches are volatile and may be flipped while serving.
 */
final class LoopbackBackend implements AutoCloseable {

  static {
    // Without TCP_NODELAY the JDK server's separate header and body writes meet delayed ACKs: 40 ms per request.
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  private final String label;
  private volatile long delayMillis;
  private volatile boolean failing;
  private final AtomicLong served = new AtomicLong();
  private final ExecutorService executor;
  private int port;
  private HttpServer server;

  /** Starts a backend on an ephemeral loopback port. */
  LoopbackBackend(String label, long delayMillis) {
    this.label = label;
    this.delayMillis = delayMillis;
    this.executor = Executors.newFixedThreadPool(16, r -> {
      Thread t = new Thread(r, "backend-" + label);
      t.setDaemon(true);
      return t;
    });
    start();
  }

  String label() {
    return label;
  }

  int port() {
    return port;
  }

  long served() {
    return served.get();
  }

  void failing(boolean failing) {
    this.failing = failing;
  }

  void delayMillis(long millis) {
    this.delayMillis = millis;
  }

  /** Starts (again) on the same port once one was assigned. */
  synchronized void start() {
    if (server != null) {
      return;
    }
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
    } catch (IOException e) {
      throw new UncheckedIOException("backend " + label + " cannot bind port " + port, e);
    }
    server.setExecutor(executor);
    server.createContext("/", exchange -> {
      try (exchange) {
        long delay = delayMillis;
        if (delay > 0) {
          try {
            Thread.sleep(delay); // simulated work, not synchronisation
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        served.incrementAndGet();
        boolean fail = failing;
        byte[] body = (fail ? "unavailable " : "ok ").concat(label).getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(fail ? 503 : 200, body.length);
        try (OutputStream os = exchange.getResponseBody()) {
          os.write(body);
        }
      }
    });
    server.start();
    port = server.getAddress().getPort();
  }

  /** Stops accepting and closes the listening socket; connections are refused until {@link #start}. */
  synchronized void stop() {
    if (server != null) {
      server.stop(0);
      server = null;
    }
  }

  @Override
  public void close() {
    stop();
    executor.shutdownNow();
  }
}
