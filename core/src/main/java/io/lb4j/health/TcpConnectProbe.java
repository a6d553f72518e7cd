package io.lb4j.health;

import io.lb4j.Endpoint;
import io.lb4j.internal.ConfigChecks;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.CompletionHandler;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;

/**
 * A health probe that opens a TCP connection to the endpoint and closes it at once: healthy if the
 * connect succeeds ({@code "connected in 3 ms"}), unhealthy otherwise ({@code "connect refused"},
 * {@code "connect timed out after 2s"}, {@code "unknown host svc.local"}, {@code "no route to host"}).
 * Proves the process listens, not that it serves; use the HTTP or gRPC probes for that.
 *
 * <p>The connect is non-blocking ({@link AsynchronousSocketChannel}); a host name that is not an IP
 * literal is resolved on the given executor (default the common pool) so a slow DNS lookup never
 * blocks the balancer's scheduler. Default connect timeout 2 s (keep it at or below the health
 * check's {@code timeout}).
 *
 * <p>Thread-safe and stateless; one instance may serve many balancers. It owns nothing to close
 * (the connect runs on the JDK's shared asynchronous channel group, lookups on the given executor,
 * which stays the caller's), so {@link #close()} is the default no-op.
 */
public final class TcpConnectProbe implements HealthProbe {

  /** The default connect timeout, 2 s. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);

  private final Duration connectTimeout;
  private final Executor resolver;

  /** A probe with the default connect timeout of 2 s. */
  public TcpConnectProbe() {
    this(DEFAULT_CONNECT_TIMEOUT);
  }

  /**
   * A probe with the given connect timeout.
   *
   * @throws IllegalArgumentException if the timeout is null or shorter than 1 ms (one longer than
   *     10,000 days is clamped to 10,000 days)
   */
  public TcpConnectProbe(Duration connectTimeout) {
    this(connectTimeout, ForkJoinPool.commonPool());
  }

  /**
   * A probe with the given connect timeout that resolves host names on {@code resolver}.
   *
   * @throws IllegalArgumentException if the timeout is null or shorter than 1 ms (one longer than
   *     10,000 days is clamped to 10,000 days), or the executor is null
   */
  public TcpConnectProbe(Duration connectTimeout, Executor resolver) {
    this.connectTimeout = ConfigChecks.timer("connectTimeout", connectTimeout);
    if (resolver == null) {
      throw new IllegalArgumentException("resolver must not be null");
    }
    this.resolver = resolver;
  }

  /** The connect timeout. */
  public Duration connectTimeout() {
    return connectTimeout;
  }

  @Override
  public CompletionStage<ProbeResult> probe(Endpoint endpoint) {
    if (endpoint == null) {
      throw new IllegalArgumentException("endpoint must not be null");
    }
    CompletableFuture<ProbeResult> result = new CompletableFuture<>();
    if (endpoint.hostIsIpLiteral()) {
      connect(endpoint, result);
    } else {
      try {
        resolver.execute(() -> connect(endpoint, result));
      } catch (RuntimeException e) {
        result.complete(ProbeResult.unhealthy("could not start a lookup of " + endpoint.host() + ": " + e));
      }
    }
    return result;
  }

  private void connect(Endpoint endpoint, CompletableFuture<ProbeResult> result) {
    InetSocketAddress address = new InetSocketAddress(endpoint.host(), endpoint.port());
    if (address.isUnresolved()) {
      result.complete(ProbeResult.unhealthy("unknown host " + endpoint.host()));
      return;
    }
    AsynchronousSocketChannel channel;
    try {
      channel = AsynchronousSocketChannel.open();
    } catch (IOException e) {
      result.complete(ProbeResult.unhealthy("cannot open a socket: " + e.getMessage()));
      return;
    }
    long start = System.nanoTime();
    CompletableFuture.delayedExecutor(connectTimeout.toNanos(), TimeUnit.NANOSECONDS).execute(() -> {
      if (result.complete(ProbeResult.unhealthy("connect timed out after " + format(connectTimeout.toMillis())))) {
        closeQuietly(channel);
      }
    });
    try {
      channel.connect(address, null, new CompletionHandler<Void, Void>() {
        @Override
        public void completed(Void v, Void attachment) {
          closeQuietly(channel);
          result.complete(ProbeResult.healthy("connected in " + (System.nanoTime() - start) / 1_000_000 + " ms"));
        }

        @Override
        public void failed(Throwable e, Void attachment) {
          closeQuietly(channel);
          result.complete(ProbeResult.unhealthy(reason(e)));
        }
      });
    } catch (RuntimeException e) {
      closeQuietly(channel);
      result.complete(ProbeResult.unhealthy("connect failed: " + e));
    }
  }

  static String reason(Throwable e) {
    if (e instanceof ConnectException) {
      return "connect refused";
    }
    if (e instanceof NoRouteToHostException) {
      return "no route to host";
    }
    return "connect failed: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
  }

  private static void closeQuietly(AsynchronousSocketChannel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // nothing to do: the probe's answer is already decided
    }
  }

  @Override
  public String toString() {
    return "TcpConnectProbe{connectTimeout=" + connectTimeout + "}";
  }

  private static String format(long millis) {
    return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
  }
}
