package io.lb4j.discovery;

import io.lb4j.Endpoint;
import io.lb4j.EndpointSource;
import io.lb4j.internal.ConfigChecks;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Address;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Name;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TextParseException;

/**
 * Endpoints from DNS: the A and AAAA records of a host name with a fixed port, or the SRV records
 * ({@code _service._proto.name}) that carry port and weight per target. Re-resolves every
 * {@code refreshInterval} (default 30 s) and on demand ({@link #refresh()}).
 *
 * <pre>{@code
 * DnsEndpointSource dns = DnsEndpointSource.builder()
 *     .srv("_http._tcp.orders.svc.cluster.local")
 *     .refreshInterval(Duration.ofSeconds(10))
 *     .build();
 * LoadBalancer lb = LoadBalancer.builder().name("orders").endpointSource(dns).build();
 * }</pre>
 *
 * <p><b>Failures.</b> A refresh that fails (timeout, SERVFAIL, REFUSED, unreachable server) keeps
 * the last good list and reports the error to the balancer's {@code onError}, which logs one WARN
 * line per failing refresh. An empty answer (NXDOMAIN, or no records) is treated the same way by
 * default, because a DNS hiccup that empties a list would take the whole service down; with
 * {@link Builder#keepLastGoodOnEmpty(boolean) keepLastGoodOnEmpty(false)} an empty answer empties the
 * list. The balancer hears about a list only when it differs from the last one delivered. Addresses
 * are delivered sorted, one endpoint per address (a repeated address keeps its largest weight).
 *
 * <p><b>Resolvers.</b> With {@link Builder#server(InetSocketAddress) server(...)} every query goes
 * to that DNS server (dnsjava, no cache). Without it, A/AAAA lookups use the JDK resolver, and so the
 * operating system's configuration ({@code /etc/hosts}, nsswitch) and the JDK's address cache
 * ({@code networkaddress.cache.ttl}, 30 s by default), while SRV lookups use the servers in
 * {@code /etc/resolv.conf}.
 *
 * <p><b>Threads.</b> Resolution runs on one daemon thread per source ({@code lb4j-dns-<name>}),
 * started by {@link #start} and stopped by {@link #close()}; it never runs on a picking or
 * releasing thread. {@code start} waits for the first answer, at most {@code queryTimeout}, so that
 * a balancer built over DNS normally has its endpoints when {@code build()} returns. (dnsjava's own
 * I/O runs on one daemon selector thread shared by the whole JVM, started by the first query.) All
 * methods are thread-safe.
 */
public final class DnsEndpointSource implements EndpointSource {

  private static final Logger log = LoggerFactory.getLogger(DnsEndpointSource.class);

  /** Default time between refreshes: 30 s. */
  public static final Duration DEFAULT_REFRESH_INTERVAL = Duration.ofSeconds(30);
  /** Default time one query may take: 5 s. */
  public static final Duration DEFAULT_QUERY_TIMEOUT = Duration.ofSeconds(5);

  private static final Comparator<Endpoint> BY_ADDRESS = Comparator.comparing(Endpoint::address);

  private final String description;
  private final String threadName;
  private final DnsLookup lookup;
  private final Duration refreshInterval;
  private final Duration queryTimeout;
  private final boolean keepLastGoodOnEmpty;

  private final Object lock = new Object();
  /** Created by start; guarded by lock for the writes, read after start. */
  private volatile ScheduledThreadPoolExecutor executor;
  private volatile boolean closed;
  private volatile Consumer<List<Endpoint>> onUpdate;
  private volatile Consumer<Throwable> onError;
  /** The last list delivered (empty before the first); written only by the resolver thread. */
  private volatile List<Endpoint> current = List.of();
  /** The refresh that callers asked for and that has not started yet; shared by all who ask meanwhile. */
  private final AtomicReference<CompletableFuture<List<Endpoint>>> pending = new AtomicReference<>();

  private DnsEndpointSource(Builder b, DnsLookup lookup) {
    this.description = b.description();
    this.threadName = "lb4j-dns-" + (b.srvName != null ? b.srvName : b.host);
    this.lookup = lookup;
    this.refreshInterval = b.refreshInterval;
    this.queryTimeout = b.queryTimeout;
    this.keepLastGoodOnEmpty = b.keepLastGoodOnEmpty;
  }

  /** A builder; set exactly one of {@link Builder#host} and {@link Builder#srv}. */
  public static Builder builder() {
    return new Builder();
  }

  /** A and AAAA records of {@code host}, each address with {@code port}, with the defaults. */
  public static DnsEndpointSource ofHost(String host, int port) {
    return builder().host(host, port).build();
  }

  /** SRV records of {@code srvName} (e.g. {@code _http._tcp.orders.example.com}), with the defaults. */
  public static DnsEndpointSource ofSrv(String srvName) {
    return builder().srv(srvName).build();
  }

  /**
   * Starts the resolver thread, waits up to {@code queryTimeout} for the first answer, and
   * re-resolves every {@code refreshInterval} after that.
   *
   * @throws IllegalStateException if called twice or after {@link #close()}
   */
  @Override
  public void start(Consumer<List<Endpoint>> onUpdate, Consumer<Throwable> onError) {
    if (onUpdate == null || onError == null) {
      throw new IllegalArgumentException("onUpdate and onError must not be null");
    }
    CompletableFuture<List<Endpoint>> first;
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException(this + " is closed");
      }
      if (executor != null) {
        throw new IllegalStateException(this + " already started; a source feeds one balancer");
      }
      this.onUpdate = onUpdate;
      this.onError = onError;
      ScheduledThreadPoolExecutor ex = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, threadName);
        t.setDaemon(true);
        return t;
      });
      ex.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
      executor = ex;
      first = refresh();
      long every = refreshInterval.toNanos();
      ex.scheduleWithFixedDelay(this::resolveNow, every, every, TimeUnit.NANOSECONDS);
    }
    try {
      first.get(queryTimeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // Already reported through onError, or still running: the balancer gets the list when it comes.
    }
  }

  /**
   * Resolves again soon, on the source's thread, without waiting for the interval. Requests made
   * while one is still queued share it. Never blocks.
   *
   * @return completes with the list in effect after the resolution (the new one, or the last good
   *     one if the answer was empty and kept), or exceptionally if the resolution failed or the
   *     source closed first
   * @throws IllegalStateException if the source has not been started
   */
  public CompletableFuture<List<Endpoint>> refresh() {
    ScheduledThreadPoolExecutor ex = executor;
    if (ex == null) {
      throw new IllegalStateException(this + " is not started; LoadBalancer.Builder.build() starts it");
    }
    if (closed) {
      return CompletableFuture.failedFuture(new IllegalStateException(this + " is closed"));
    }
    while (true) {
      CompletableFuture<List<Endpoint>> queued = pending.get();
      if (queued != null) {
        return queued;
      }
      CompletableFuture<List<Endpoint>> mine = new CompletableFuture<>();
      if (pending.compareAndSet(null, mine)) {
        try {
          ex.execute(this::resolveNow);
        } catch (RejectedExecutionException e) {
          pending.compareAndSet(mine, null);
          mine.completeExceptionally(new IllegalStateException(this + " is closed"));
        }
        return mine;
      }
    }
  }

  /** The list most recently delivered to the balancer; empty before the first good answer. */
  public List<Endpoint> endpoints() {
    return current;
  }

  /** One resolution; runs only on the source's thread. */
  private void resolveNow() {
    CompletableFuture<List<Endpoint>> waiting = pending.getAndSet(null);
    if (closed) {
      if (waiting != null) {
        waiting.completeExceptionally(new IllegalStateException(this + " is closed"));
      }
      return;
    }
    List<Endpoint> resolved;
    try {
      resolved = normalize(lookup.resolve());
    } catch (IOException | RuntimeException e) {
      fail(new IOException("DNS refresh of " + description + " failed: " + e.getMessage(), e), waiting);
      return;
    }
    if (resolved.isEmpty() && keepLastGoodOnEmpty) {
      fail(new IOException("DNS refresh of " + description + " returned no records; keeping the last good list"),
          waiting);
      return;
    }
    if (!resolved.equals(current)) {
      log.debug("{}: endpoints now {}", this, resolved);
      current = resolved;
      try {
        onUpdate.accept(resolved);
      } catch (RuntimeException e) {
        log.warn("{}: the endpoint list update was rejected", this, e);
      }
    }
    if (waiting != null) {
      waiting.complete(resolved);
    }
  }

  private void fail(IOException error, CompletableFuture<List<Endpoint>> waiting) {
    log.debug("{}: {}", this, error.getMessage());
    if (!closed) {
      try {
        onError.accept(error);
      } catch (RuntimeException e) {
        log.warn("{}: the error handler threw", this, e);
      }
    }
    if (waiting != null) {
      waiting.completeExceptionally(error);
    }
  }

  /** One endpoint per address (the largest weight wins), sorted, so that equal answers compare equal. */
  private static List<Endpoint> normalize(List<Endpoint> endpoints) {
    Map<String, Endpoint> byAddress = new LinkedHashMap<>();
    for (Endpoint e : endpoints) {
      byAddress.merge(e.address(), e, (a, b) -> a.weight() >= b.weight() ? a : b);
    }
    List<Endpoint> out = new ArrayList<>(byAddress.values());
    out.sort(BY_ADDRESS);
    return List.copyOf(out);
  }

  /**
   * Stops the resolver thread (waiting up to {@code queryTimeout} for a query in progress) and
   * fails a queued {@link #refresh()}. Idempotent.
   */
  @Override
  public void close() {
    ScheduledThreadPoolExecutor ex;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      ex = executor;
    }
    CompletableFuture<List<Endpoint>> waiting = pending.getAndSet(null);
    if (waiting != null) {
      waiting.completeExceptionally(new IllegalStateException(this + " is closed"));
    }
    if (ex == null) {
      return;
    }
    ex.shutdownNow();
    if (!Thread.currentThread().getName().equals(threadName)) {
      try {
        if (!ex.awaitTermination(queryTimeout.toMillis() + 1000, TimeUnit.MILLISECONDS)) {
          log.warn("{}: resolver thread did not stop in time", this);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public String toString() {
    return "DnsEndpointSource{" + description + "}";
  }

  /**
   * Configures a {@link DnsEndpointSource}. Setters validate at once and throw
   * {@link IllegalArgumentException} naming the field; {@link #build()} checks the combination.
   * Not thread-safe.
   */
  public static final class Builder {
    private String host;
    private int port;
    private String srvName;
    private boolean resolveSrvTargets = true;
    private InetSocketAddress server;
    private Duration refreshInterval = DEFAULT_REFRESH_INTERVAL;
    private Duration queryTimeout = DEFAULT_QUERY_TIMEOUT;
    private boolean keepLastGoodOnEmpty = true;

    private Builder() {}

    /**
     * Resolve the A and AAAA records of {@code host}; every address becomes an endpoint with
     * {@code port} and weight 1. An IP literal resolves to itself.
     */
    public Builder host(String host, int port) {
      if (host == null || host.isBlank()) {
        throw new IllegalArgumentException("host must not be blank, was " + (host == null ? "null" : "'" + host + "'"));
      }
      ConfigChecks.inRange("port", port, 1, 65535);
      this.host = host.strip();
      this.port = port;
      return this;
    }

    /**
     * Resolve the SRV records of {@code name}, e.g. {@code _http._tcp.orders.example.com}: the
     * lowest priority value's records, each with its port and weight (0 counts as 1).
     */
    public Builder srv(String name) {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException("srv name must not be blank, was " + (name == null ? "null" : "'" + name + "'"));
      }
      absolute("srv name", name.strip());
      this.srvName = name.strip();
      return this;
    }

    /**
     * Whether SRV targets are resolved to their A/AAAA addresses, one endpoint per address (default
     * true), or kept as host names for the transport to resolve.
     */
    public Builder resolveSrvTargets(boolean resolve) {
      this.resolveSrvTargets = resolve;
      return this;
    }

    /**
     * Send every query to this DNS server (UDP, TCP when truncated) instead of the system's
     * resolvers; default none. Tests point it at a server on loopback.
     */
    public Builder server(InetSocketAddress server) {
      if (server == null || server.isUnresolved()) {
        throw new IllegalArgumentException("server must be a resolved socket address, was " + server);
      }
      this.server = server;
      return this;
    }

    /**
     * Time between two refreshes, at least 1 ms (default 30 s); shorter is refused, longer than
     * 10,000 days is clamped to 10,000 days.
     */
    public Builder refreshInterval(Duration interval) {
      this.refreshInterval = ConfigChecks.timer("refreshInterval", interval);
      return this;
    }

    /**
     * Time one query may take before the refresh counts as failed, at least 1 ms (default 5 s);
     * shorter is refused, longer than 10,000 days is clamped to 10,000 days.
     */
    public Builder queryTimeout(Duration timeout) {
      this.queryTimeout = ConfigChecks.timer("queryTimeout", timeout);
      return this;
    }

    /**
     * Whether an empty answer (NXDOMAIN, no records) keeps the last good list (default true) or
     * empties the balancer's list. A failed refresh always keeps it.
     */
    public Builder keepLastGoodOnEmpty(boolean keep) {
      this.keepLastGoodOnEmpty = keep;
      return this;
    }

    /**
     * Builds the source (not yet started; the balancer starts it).
     *
     * @throws IllegalArgumentException unless exactly one of {@code host} and {@code srv} is set
     */
    public DnsEndpointSource build() {
      if ((host == null) == (srvName == null)) {
        throw new IllegalArgumentException(host == null
            ? "set host(name, port) or srv(name) to say what to resolve"
            : "set host(name, port) or srv(name), not both (host " + host + ", srv " + srvName + ")");
      }
      return new DnsEndpointSource(this, lookup());
    }

    private DnsLookup lookup() {
      if (srvName != null) {
        return DnsLookup.srv(resolver(), absolute("srv name", srvName), resolveSrvTargets);
      }
      if (Address.isDottedQuad(host) || Address.toByteArray(unbracket(host), Address.IPv6) != null) {
        List<Endpoint> literal = List.of(Endpoint.of(host, port));
        return () -> literal;
      }
      return server == null ? DnsLookup.jdk(host, port) : DnsLookup.addresses(resolver(), absolute("host", host), port);
    }

    private Resolver resolver() {
      Resolver r = server == null ? new ExtendedResolver() : new SimpleResolver(server);
      r.setTimeout(queryTimeout);
      return r;
    }

    private String description() {
      return srvName != null ? "SRV " + srvName : host + ":" + port;
    }

    private static String unbracket(String h) {
      return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
    }

    private static Name absolute(String field, String name) {
      try {
        return Name.fromString(name, Name.root);
      } catch (TextParseException e) {
        throw new IllegalArgumentException(field + " is not a valid DNS name, was '" + name + "': " + e.getMessage(), e);
      }
    }
  }
}
