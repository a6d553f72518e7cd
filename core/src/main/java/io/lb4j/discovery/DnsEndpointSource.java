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
import java.util.concurrent.ScheduledFuture;
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
 * ({@code _service._proto.name}) that carry port and weight per target.
 *
 * <pre>{@code
 * DnsEndpointSource dns = DnsEndpointSource.builder()
 *     .srv("_http._tcp.orders.svc.cluster.local")
 *     .refreshBounds(Duration.ofSeconds(5), Duration.ofSeconds(30))   // the defaults
 *     .build();
 * LoadBalancer lb = LoadBalancer.builder().name("orders").endpointSource(dns).build();
 * }</pre>
 *
 * <p><b>When it refreshes.</b> After a successful refresh the next one comes when the records'
 * TTL runs out (the smallest TTL among the records used), but never sooner than the minimum and
 * never later than the maximum of {@link Builder#refreshBounds(Duration, Duration) refreshBounds}
 * (default 5 s and 30 s), as Armeria's DNS endpoint groups do; {@link Builder#refreshInterval(Duration)
 * refreshInterval(d)} sets both bounds to {@code d} for a fixed interval. An answer without TTL
 * (the JDK resolver) waits the maximum, an empty answer the minimum. After a failed refresh the
 * next try comes after the minimum, doubling with each further failure up to the maximum.
 * {@link #refresh()} resolves at once.
 *
 * <p><b>Names on their own.</b> Each SRV target (and a host) is resolved with an A and an AAAA
 * query, all sent at once. A name with an address in either family is used, whatever the other
 * family answered: a plain dnsmasq answers REFUSED for the AAAA of a name it knows only an IPv4
 * address of, and that must not cost the endpoint. A target whose queries fail and give no address
 * keeps the addresses it had at its last success (logged as one WARN per streak); a target that
 * answers NXDOMAIN or has no address records is left out. The refresh as a whole fails only when
 * the SRV query fails, or when no target resolved and at least one failed.
 *
 * <p><b>Failures.</b> A failed refresh keeps the list delivered last and hands a
 * {@link DiscoveryException} to {@code onError}, whose message names this source, the name, the
 * DNS server and the reason (e.g. {@code AAAA query for svc.test. answered REFUSED}, {@code port
 * unreachable}, {@code timed out after 5000 ms}). An empty answer (NXDOMAIN, or no records) is
 * treated the same way by default, because a DNS hiccup that empties a list would take the whole
 * service down; with {@link Builder#keepLastGoodOnEmpty(boolean) keepLastGoodOnEmpty(false)} an
 * empty answer empties the list. Every successful refresh calls {@code onUpdate} with the complete
 * list, changed or not. The source logs one WARN line when a streak of failures begins (the
 * reason, no stack trace; each failure with its stack trace at DEBUG) and one INFO line when a
 * refresh succeeds again. With {@link Builder#failFast(boolean) failFast(true)}, {@link #start}
 * (and so {@code LoadBalancer.Builder.build()}) throws the {@link DiscoveryException} when the first
 * refresh fails or finds no endpoint. Addresses are delivered sorted, one endpoint per address (a
 * repeated address keeps its largest weight).
 *
 * <p><b>Resolvers.</b> With {@link Builder#server(InetSocketAddress) server(...)} every query goes
 * to that DNS server (dnsjava, no cache). Without it, A/AAAA lookups use the JDK resolver, and so the
 * operating system's configuration ({@code /etc/hosts}, nsswitch) and the JDK's address cache
 * ({@code networkaddress.cache.ttl}, 30 s by default), while SRV lookups use the servers in
 * {@code /etc/resolv.conf}.
 *
 * <p><b>Threads.</b> Resolution runs on one daemon thread per source, named {@code
 * lb4j-dns-<name>#<id>} (the id tells two sources on the same name apart), started by {@link
 * #start} and stopped by {@link #close()}; it never runs on a picking or releasing thread. {@code
 * start} waits for the first refresh, at most the query timeout per round of queries (two for SRV
 * with targets, one otherwise) plus a second, so that a balancer built over DNS normally has its
 * endpoints when {@code build()} returns. (dnsjava's own I/O runs on one daemon selector thread
 * shared by the whole JVM, started by the first query.) All methods are thread-safe.
 *
 * <p>(Over 400 lines: A/AAAA and SRV resolution, TTL-bounded refresh, failure streaks and the
 * validating {@link Builder} belong to one source; the DNS wire format stays in dnsjava.)
 */
public final class DnsEndpointSource implements EndpointSource {

  private static final Logger log = LoggerFactory.getLogger(DnsEndpointSource.class);

  /** Default maximum time between two refreshes (and so the refresh interval when TTLs are long): 30 s. */
  public static final Duration DEFAULT_REFRESH_INTERVAL = Duration.ofSeconds(30);
  /** Default minimum time between two refreshes (however short the TTLs): 5 s. */
  public static final Duration DEFAULT_MIN_REFRESH_INTERVAL = Duration.ofSeconds(5);
  /** Default time one query may take: 5 s. */
  public static final Duration DEFAULT_QUERY_TIMEOUT = Duration.ofSeconds(5);

  private static final Comparator<Endpoint> BY_ADDRESS = Comparator.comparing(Endpoint::address);

  private final String description;
  private final String name;
  private final String threadName;
  private final DnsLookup lookup;
  private final Duration minRefresh;
  private final Duration maxRefresh;
  private final Duration queryTimeout;
  private final boolean keepLastGoodOnEmpty;
  private final boolean failFast;

  private final Object lock = new Object();
  /** Created by start; guarded by lock for the writes, read after start. */
  private volatile ScheduledThreadPoolExecutor executor;
  private volatile boolean closed;
  private volatile Consumer<List<Endpoint>> onUpdate;
  private volatile Consumer<Throwable> onError;
  /** The last list delivered (empty before the first); written only by the resolver thread. */
  private volatile List<Endpoint> current = List.of();
  /** The delay until the scheduled refresh, as last computed; for tests. */
  private volatile Duration nextDelay;
  /** The refresh that callers asked for and that has not started yet; shared by all who ask meanwhile. */
  private final AtomicReference<CompletableFuture<List<Endpoint>>> pending = new AtomicReference<>();

  // Touched only on the resolver thread.
  private ScheduledFuture<?> scheduled;
  private int failures;
  private long failingSinceNanos;
  private boolean degraded;

  private DnsEndpointSource(Builder b, DnsLookup lookup) {
    this.description = b.description();
    this.name = b.srvName != null ? b.srvName : b.host;
    this.threadName = "lb4j-dns-" + name + "#" + Integer.toHexString(System.identityHashCode(this));
    this.lookup = lookup;
    this.minRefresh = b.minRefresh;
    this.maxRefresh = b.maxRefresh;
    this.queryTimeout = b.queryTimeout;
    this.keepLastGoodOnEmpty = b.keepLastGoodOnEmpty;
    this.failFast = b.failFast;
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
   * Starts the resolver thread and waits for the first refresh (see the class doc for how long);
   * later refreshes follow the records' TTLs within the refresh bounds.
   *
   * @throws IllegalStateException if called twice or after {@link #close()}
   * @throws DiscoveryException with {@link Builder#failFast(boolean) failFast(true)}, if the first
   *     refresh failed, found no endpoint or did not finish in time; the source is closed then
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
      ex.setRemoveOnCancelPolicy(true);
      executor = ex;
      first = refresh();
    }
    Duration wait = queryTimeout.multipliedBy(lookup.rounds()).plusSeconds(1);
    try {
      List<Endpoint> endpoints = first.get(wait.toNanos(), TimeUnit.NANOSECONDS);
      if (failFast && endpoints.isEmpty()) {
        throw failStart(failure("the first refresh found no endpoint", null));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      // Already reported through onError and logged.
      if (failFast) {
        throw failStart(e.getCause() instanceof DiscoveryException d
            ? failure(d.reason(), d)
            : failure(String.valueOf(e.getCause()), e.getCause()));
      }
    } catch (TimeoutException e) {
      if (failFast) {
        throw failStart(failure("the first refresh did not finish within " + wait.toMillis() + " ms", null));
      }
      // Still running: the balancer gets the list when it comes.
    }
  }

  private DiscoveryException failStart(DiscoveryException e) {
    close();
    return e;
  }

  /**
   * Resolves again soon, on the source's thread, without waiting for the next scheduled refresh
   * (which is then rescheduled from this one's answer). Requests made while one is still queued
   * share it. Never blocks.
   *
   * @return completes with the list in effect after the resolution (the new one, or the last good
   *     one if the answer was empty and kept), or exceptionally (with a {@link DiscoveryException})
   *     if the resolution failed, or if the source closed first
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

  /** The delay until the next scheduled refresh, as computed after the last one; null before. */
  Duration nextRefreshDelay() {
    return nextDelay;
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
    DnsLookup.Answer answer;
    try {
      answer = lookup.resolve();
    } catch (IOException | RuntimeException e) {
      // Our lookups' IOExceptions carry the reason as their message; anything else is described.
      String message = e.getMessage();
      boolean ours = e instanceof IOException && message != null && !message.isBlank();
      failed(failure(ours ? message : DnsReply.describe(e, queryTimeout), e), waiting);
      return;
    }
    List<Endpoint> resolved = normalize(answer.endpoints());
    if (resolved.isEmpty() && keepLastGoodOnEmpty) {
      failed(failure("the answer has no records (NXDOMAIN or no data)", null), waiting);
      return;
    }
    succeeded(resolved, answer, waiting);
  }

  private DiscoveryException failure(String reason, Throwable cause) {
    return new DiscoveryException(toString(), name, lookup.server(), reason, cause);
  }

  private void succeeded(List<Endpoint> resolved, DnsLookup.Answer answer, CompletableFuture<List<Endpoint>> waiting) {
    if (closed) {
      if (waiting != null) {
        waiting.completeExceptionally(new IllegalStateException(this + " is closed"));
      }
      return;
    }
    if (failures > 0) {
      log.info("{}: refresh succeeded again after {} failed refresh(es) over {} ms; {} endpoints", this, failures,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - failingSinceNanos), resolved.size());
      failures = 0;
    }
    if (!answer.unresolved().isEmpty() && !degraded) {
      log.warn("{}: {} name(s) did not resolve from {}, the others did: {}", this, answer.unresolved().size(),
          lookup.server(), String.join("; ", answer.unresolved()));
    } else if (answer.unresolved().isEmpty() && degraded) {
      log.info("{}: every name resolves again", this);
    }
    degraded = !answer.unresolved().isEmpty();
    if (!resolved.equals(current)) {
      log.debug("{}: endpoints now {}", this, resolved);
      current = resolved;
    }
    schedule(resolved.isEmpty() ? minRefresh : nextDelay(answer.ttlSeconds(), 0, minRefresh, maxRefresh));
    try {
      onUpdate.accept(resolved);
    } catch (RuntimeException e) {
      log.warn("{}: the endpoint list update was rejected", this, e);
    }
    if (waiting != null) {
      waiting.complete(resolved);
    }
  }

  private void failed(DiscoveryException error, CompletableFuture<List<Endpoint>> waiting) {
    if (closed) {
      // Closing interrupted the lookup: nothing failed that anyone needs to hear about.
      if (waiting != null) {
        waiting.completeExceptionally(new IllegalStateException(this + " is closed"));
      }
      return;
    }
    failures++;
    Duration delay = nextDelay(-1, failures, minRefresh, maxRefresh);
    schedule(delay);
    if (failures == 1) {
      failingSinceNanos = System.nanoTime();
      List<Endpoint> kept = current;
      log.warn("{}; {}; next try in {} ms (further failures of this streak at DEBUG)", error.getMessage(),
          kept.isEmpty() ? "no endpoints yet" : "keeping the last good list of " + kept.size() + " endpoints",
          delay.toMillis());
    }
    log.debug("{}: refresh {} of a failure streak failed", this, failures, error);
    try {
      onError.accept(error);
    } catch (RuntimeException e) {
      log.warn("{}: the error handler threw", this, e);
    }
    if (waiting != null) {
      waiting.completeExceptionally(error);
    }
  }

  /** Replaces the scheduled refresh with one after {@code delay}. Resolver thread only. */
  private void schedule(Duration delay) {
    if (scheduled != null) {
      scheduled.cancel(false);
    }
    nextDelay = delay;
    try {
      scheduled = executor.schedule(this::resolveNow, delay.toNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException closing) {
      scheduled = null;
    }
  }

  /**
   * The time until the next refresh: after {@code failures} failures in a row, the minimum doubled
   * per further failure up to the maximum; after a success, the TTL (-1: unknown, the maximum)
   * within the bounds.
   */
  static Duration nextDelay(long ttlSeconds, int failures, Duration min, Duration max) {
    if (failures > 0) {
      Duration d = min;
      for (int i = 1; i < failures && d.compareTo(max) < 0; i++) {
        d = d.compareTo(max.dividedBy(2)) > 0 ? max : d.multipliedBy(2);
      }
      return d.compareTo(max) > 0 ? max : d;
    }
    if (ttlSeconds < 0) {
      return max;
    }
    Duration ttl = Duration.ofSeconds(ttlSeconds);
    return ttl.compareTo(min) < 0 ? min : ttl.compareTo(max) > 0 ? max : ttl;
  }

  /**
   * One endpoint per address (the lowest priority value wins, then the largest weight), sorted, so
   * that equal answers compare equal.
   */
  private static List<Endpoint> normalize(List<Endpoint> endpoints) {
    Map<String, Endpoint> byAddress = new LinkedHashMap<>();
    for (Endpoint e : endpoints) {
      byAddress.merge(e.address(), e, (a, b) -> a.priority() != b.priority() ? (a.priority() < b.priority() ? a : b)
          : a.weight() >= b.weight() ? a : b);
    }
    List<Endpoint> out = new ArrayList<>(byAddress.values());
    out.sort(BY_ADDRESS);
    return List.copyOf(out);
  }

  /**
   * Stops the resolver thread (waiting up to the query timeout plus a second for a query in
   * progress) and fails a queued {@link #refresh()}. Idempotent.
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

  /** The resolver thread's name, unique per source. */
  String threadName() {
    return threadName;
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
    private Duration minRefresh = DEFAULT_MIN_REFRESH_INTERVAL;
    private Duration maxRefresh = DEFAULT_REFRESH_INTERVAL;
    private Duration queryTimeout = DEFAULT_QUERY_TIMEOUT;
    private boolean keepLastGoodOnEmpty = true;
    private boolean failFast;

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
     * Resolve the SRV records of {@code name}, e.g. {@code _http._tcp.orders.example.com}: every
     * record, each with its port, weight (0 counts as 1) and priority, which becomes the endpoint's
     * priority level ({@link io.lb4j.Endpoint#priority()}: the lowest value is preferred, higher
     * values take traffic as it loses health).
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
     * Refresh at this fixed interval whatever the records' TTLs say: the same as
     * {@link #refreshBounds(Duration, Duration) refreshBounds(interval, interval)}. Failed refreshes
     * are retried at this interval too. At least 1 ms (shorter is refused); longer than 10,000 days
     * is clamped to 10,000 days.
     */
    public Builder refreshInterval(Duration interval) {
      Duration d = ConfigChecks.timer("refreshInterval", interval);
      this.minRefresh = d;
      this.maxRefresh = d;
      return this;
    }

    /**
     * Refresh when the records' TTL runs out (the smallest among the records used), but no sooner
     * than {@code min} and no later than {@code max}; default 5 s and 30 s. A record with TTL 0
     * (dnsmasq's default for its hosts files) is asked for again after {@code min}; a day-long TTL
     * after {@code max}, so that changes still arrive. After a failure the next try comes after
     * {@code min}, doubling per further failure up to {@code max}. Each bound is at least 1 ms
     * (shorter is refused); one longer than 10,000 days is clamped to 10,000 days.
     *
     * @throws IllegalArgumentException if either is shorter than 1 ms, or {@code min} is longer than {@code max}
     */
    public Builder refreshBounds(Duration min, Duration max) {
      Duration lo = ConfigChecks.timer("refreshBounds min", min);
      Duration hi = ConfigChecks.timer("refreshBounds max", max);
      if (lo.compareTo(hi) > 0) {
        throw new IllegalArgumentException("refreshBounds min must not exceed max, was min " + min + ", max " + max);
      }
      this.minRefresh = lo;
      this.maxRefresh = hi;
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
     * Whether {@link DnsEndpointSource#start start} (and so {@code LoadBalancer.Builder.build()})
     * throws a {@link DiscoveryException} when the first refresh fails, finds no endpoint, or does
     * not finish in time (default false: the balancer starts empty, the source logs one WARN naming
     * the server, the name and the reason, and keeps trying). Later failures never throw.
     */
    public Builder failFast(boolean failFast) {
      this.failFast = failFast;
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
        return DnsLookup.srv(resolver(), queryTimeout, absolute("srv name", srvName), resolveSrvTargets);
      }
      if (Address.isDottedQuad(host) || Address.toByteArray(unbracket(host), Address.IPv6) != null) {
        return DnsLookup.literal(Endpoint.of(host, port));
      }
      return server == null
          ? DnsLookup.jdk(host, port)
          : DnsLookup.addresses(resolver(), queryTimeout, absolute("host", host), port);
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
