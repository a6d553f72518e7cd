package io.lb4j.zookeeper;

import io.lb4j.Endpoint;
import io.lb4j.EndpointSource;
import io.lb4j.discovery.DiscoveryException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.x.discovery.ServiceCache;
import org.apache.curator.x.discovery.ServiceDiscovery;
import org.apache.curator.x.discovery.ServiceDiscoveryBuilder;
import org.apache.curator.x.discovery.ServiceInstance;
import org.apache.curator.x.discovery.details.ServiceCacheListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Endpoints from Apache Curator's service discovery recipe ({@code curator-x-discovery}): watches
 * the instances registered under {@code basePath/serviceName} and delivers them as endpoints as
 * soon as ZooKeeper reports a registration (typically within milliseconds).
 *
 * <pre>{@code
 * CuratorFramework zk = CuratorFrameworkFactory.newClient("zk1:2181,zk2:2181", new ExponentialBackoffRetry(200, 10));
 * zk.start();
 * LoadBalancer lb = LoadBalancer.builder()
 *     .name("orders")
 *     .endpointSource(ZooKeeperEndpointSource.create(zk, "/services", "orders"))
 *     .build();
 * }</pre>
 *
 * <p><b>Instances to endpoints.</b> Each enabled instance becomes {@code address:port} (the SSL
 * port when no plain port is registered; instances with neither are skipped). The payload, read as
 * plain JSON whatever class wrote it, may carry {@code weight} (a number, at least 1), {@code zone}
 * (a string) and {@code metadata} (an object of strings); {@link EndpointPayload} writes exactly
 * that, and {@code weight}/{@code zone} are also taken from inside {@code metadata} (where Spring
 * Cloud Zookeeper keeps them). Missing or unusable values mean weight 1, no zone. Endpoints are
 * delivered sorted by address, one per address.
 *
 * <p><b>A registry blip is not a fleet change.</b> New instances and changed payloads are delivered
 * at once; removals wait for a quiet period (default {@value #DEFAULT_QUIET_PERIOD_MILLIS} ms,
 * {@link Builder#quietPeriod(Duration)}), as Finagle's ZooKeeper resolver keeps leaving members "in
 * limbo". An instance that disappears is removed only once it has been gone for the quiet period,
 * and while this client is disconnected, and for the quiet period after it reconnects (whether
 * the session survived or a new one replaced a lost one), no instance is removed at all. The
 * reason: Curator's registrants delete and re-create their node on every reconnect (so that
 * watchers fire), and after a session loss their nodes vanish until they register again; an
 * instance that comes back within the quiet period never leaves the balancer's list, so it keeps
 * its health, statistics and meters.
 *
 * <p><b>Updates and failures.</b> {@code onUpdate} gets the complete list with the first snapshot,
 * whenever the list changes, and once the source has settled after a reconnect (changed or not:
 * that delivery says the view is current again). {@code onError} gets a {@link DiscoveryException}
 * when the session is lost (a disconnection shorter than the session timeout is not a failure:
 * nothing was missed) and whenever the service has no instance left (the last list is kept: an
 * empty registry is more often a registry problem than a fleet that is really gone). The source
 * logs one WARN line when a streak of failures begins and one INFO line when it ends.
 *
 * <p><b>Threads.</b> The client is the caller's: this source neither starts nor closes it.
 * Curator's cache does its own work on the client's threads; this source's listener, its timers
 * and all deliveries run on one daemon thread per source ({@code lb4j-zk-<serviceName>#<id>}), so
 * the balancer never gets two updates at once; {@link #close()} stops it. {@link #start} waits up
 * to 5 s for the first snapshot of the registrations (so that {@code build()} usually returns with
 * endpoints) and otherwise delivers it when it arrives. Thread-safe.
 */
public final class ZooKeeperEndpointSource implements EndpointSource {

  private static final Logger log = LoggerFactory.getLogger(ZooKeeperEndpointSource.class);
  private static final long FIRST_SNAPSHOT_WAIT_MILLIS = 5_000;
  /** Default quiet period, in milliseconds: 2 s. */
  public static final long DEFAULT_QUIET_PERIOD_MILLIS = 2_000;

  private final CuratorFramework client;
  private final String basePath;
  private final String serviceName;
  private final long quietNanos;
  private final String threadName;
  private final Object lock = new Object();
  // Guarded by lock.
  private ScheduledThreadPoolExecutor events;
  private ServiceDiscovery<Map<String, Object>> discovery;
  private ServiceCache<Map<String, Object>> cache;
  private boolean closed;

  // Touched only on the events thread (current is also read by endpoints()).
  private volatile List<Endpoint> current = List.of();
  private boolean initialized;
  private Consumer<List<Endpoint>> onUpdate;
  private Consumer<Throwable> onError;
  private final Limbo limbo;
  private ScheduledFuture<?> recheck;
  private ScheduledFuture<?> settle;
  private boolean failing;

  private ZooKeeperEndpointSource(Builder b) {
    this.client = b.client;
    this.basePath = b.basePath;
    this.serviceName = b.serviceName;
    this.quietNanos = b.quietPeriod.toNanos();
    this.limbo = new Limbo(quietNanos);
    this.threadName = "lb4j-zk-" + serviceName + "#" + Integer.toHexString(System.identityHashCode(this));
  }

  /**
   * A source for the instances of {@code serviceName} registered under {@code basePath} (the base
   * path given to Curator's {@code ServiceDiscoveryBuilder} by the registrants), with the default
   * quiet period.
   *
   * @param client a Curator client; started by the caller (before or after), not closed by this source
   * @throws IllegalArgumentException if an argument is null or blank, or basePath does not start with "/"
   */
  public static ZooKeeperEndpointSource create(CuratorFramework client, String basePath, String serviceName) {
    return builder(client, basePath, serviceName).build();
  }

  /**
   * A builder for the instances of {@code serviceName} registered under {@code basePath}.
   *
   * @param client a Curator client; started by the caller (before or after), not closed by this source
   * @throws IllegalArgumentException if an argument is null or blank, or basePath does not start with "/"
   */
  public static Builder builder(CuratorFramework client, String basePath, String serviceName) {
    return new Builder(client, basePath, serviceName);
  }

  /**
   * Starts watching. Waits up to 5 s for the first snapshot of the registrations.
   *
   * @throws IllegalStateException if called twice or after {@link #close()}, or Curator cannot
   *     start the watch
   */
  @Override
  public void start(Consumer<List<Endpoint>> onUpdate, Consumer<Throwable> onError) {
    if (onUpdate == null || onError == null) {
      throw new IllegalArgumentException("onUpdate and onError must not be null");
    }
    CountDownLatch first;
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException(this + " is closed");
      }
      if (events != null) {
        throw new IllegalStateException(this + " already started; a source feeds one balancer");
      }
      events = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, threadName);
        t.setDaemon(true);
        return t;
      });
      events.setRemoveOnCancelPolicy(true);
      events.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
      // Read only by tasks on the events thread, all submitted after these writes.
      this.onUpdate = onUpdate;
      this.onError = onError;
      discovery = ServiceDiscoveryBuilder.builder(mapType())
          .client(client)
          .basePath(basePath)
          .serializer(new PayloadReader())
          .watchInstances(false)
          .build();
      // No executor for the cache itself: Curator's CuratorCache runs on the client's threads and
      // would only log that it ignores one. Our listener runs on the events thread.
      cache = discovery.serviceCacheBuilder().name(serviceName).build();
      cache.addListener(new Listener(), events);
      try {
        discovery.start();
        first = cache.startImmediate();
      } catch (Exception e) {
        throw new IllegalStateException(this + " could not start watching: " + e.getMessage(), e);
      }
    }
    // The cache tells listeners only about changes after its first snapshot: publish that one here.
    CountDownLatch delivered = new CountDownLatch(1);
    // Its own short-lived thread: the snapshot completes on Curator's thread, which must not wait.
    Thread waiter = new Thread(() -> {
      try {
        while (!first.await(100, TimeUnit.MILLISECONDS)) {
          if (isClosed()) {
            return;
          }
        }
        submit(() -> {
          initialized = true;
          publish("initial snapshot", true);
          delivered.countDown();
        });
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, threadName + "-init");
    waiter.setDaemon(true);
    waiter.start();
    try {
      delivered.await(FIRST_SNAPSHOT_WAIT_MILLIS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Class<Map<String, Object>> mapType() {
    return (Class) Map.class;
  }

  private boolean isClosed() {
    synchronized (lock) {
      return closed;
    }
  }

  private void submit(Runnable task) {
    synchronized (lock) {
      if (!closed) {
        events.execute(task);
      }
    }
  }

  private ScheduledFuture<?> schedule(Runnable task, long delayNanos) {
    synchronized (lock) {
      return closed ? null : events.schedule(task, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
    }
  }

  /** The list most recently delivered; empty before the first snapshot. */
  public List<Endpoint> endpoints() {
    return current;
  }

  /** Runs on the events thread. */
  private final class Listener implements ServiceCacheListener {
    @Override
    public void cacheChanged() {
      if (initialized) {
        publish("registrations changed", false);
      }
    }

    @Override
    public void stateChanged(CuratorFramework c, ConnectionState state) {
      log.debug("{}: connection {}", ZooKeeperEndpointSource.this, state);
      switch (state) {
        case SUSPENDED -> limbo.disconnected();
        case LOST -> {
          limbo.disconnected();
          report("ZooKeeper session lost; the client will reconnect with a new session, and registrants register again");
        }
        case RECONNECTED -> {
          limbo.reconnected(System.nanoTime());
          if (settle != null) {
            settle.cancel(false);
          }
          settle = schedule(() -> {
            settle = null;
            if (initialized) {
              publish("settled after the reconnect", true);
            }
          }, quietNanos);
        }
        default -> {
          // CONNECTED (the first connection) and READ_ONLY change nothing here.
        }
      }
    }
  }

  /**
   * Reads the cache, keeps recent absentees in {@link Limbo} (see the class doc), and delivers the
   * list if it changed or {@code always}. Events thread only.
   */
  private void publish(String why, boolean always) {
    List<Endpoint> registered;
    synchronized (lock) {
      if (closed) {
        return;
      }
      registered = toEndpoints(cache.getInstances());
    }
    List<Endpoint> list = limbo.merge(registered, current, System.nanoTime());
    if (recheck != null) {
      recheck.cancel(false);
      recheck = null;
    }
    if (limbo.nextExpiryIn() != Long.MAX_VALUE) {
      recheck = schedule(() -> {
        recheck = null;
        publish("quiet period over", false);
      }, limbo.nextExpiryIn());
    }
    if (list.isEmpty()) {
      report("no instances registered");
      return;
    }
    boolean changed = !list.equals(current);
    if (!changed && !always) {
      return;
    }
    if (failing) {
      failing = false;
      log.info("{}: {}; delivering {} endpoints again", this, why, list.size());
    }
    if (changed) {
      Set<String> held = limbo.addresses();
      log.debug("{}: {}; endpoints now {}{}", this, why, list, held.isEmpty() ? "" : " (in limbo: " + held + ")");
      current = list;
    }
    limbo.delivered();
    try {
      onUpdate.accept(list);
    } catch (RuntimeException e) {
      log.warn("{}: the endpoint list update was rejected", this, e);
    }
  }

  /** Hands a failure to onError; one WARN per streak. Events thread only. */
  private void report(String reason) {
    DiscoveryException error = new DiscoveryException(toString(), basePath + "/" + serviceName,
        "ZooKeeper " + client.getZookeeperClient().getCurrentConnectionString(), reason, null);
    if (!failing) {
      failing = true;
      List<Endpoint> kept = current;
      log.warn("{}; {} (further failures of this streak at DEBUG)", error.getMessage(),
          kept.isEmpty() ? "no endpoints yet" : "keeping the last list of " + kept.size() + " endpoints");
    } else {
      log.debug("{}", error.getMessage());
    }
    try {
      onError.accept(error);
    } catch (RuntimeException e) {
      log.warn("{}: the error handler threw", this, e);
    }
  }

  private List<Endpoint> toEndpoints(List<ServiceInstance<Map<String, Object>>> instances) {
    Map<String, Endpoint> byAddress = new LinkedHashMap<>();
    for (ServiceInstance<Map<String, Object>> i : instances) {
      Endpoint e = toEndpoint(i);
      if (e != null) {
        byAddress.putIfAbsent(e.address(), e);
      }
    }
    return List.copyOf(byAddress.values()); // Limbo.merge sorts
  }

  /** One instance as an endpoint, or null (logged at DEBUG) if it cannot be one. */
  private Endpoint toEndpoint(ServiceInstance<Map<String, Object>> i) {
    Integer port = i.getPort() != null ? i.getPort() : i.getSslPort();
    if (!i.isEnabled() || i.getAddress() == null || port == null) {
      log.debug("{}: skipping instance {} (disabled, or no address or port)", this, i.getId());
      return null;
    }
    Map<String, Object> payload = i.getPayload() == null ? Map.of() : i.getPayload();
    Map<String, String> metadata = new LinkedHashMap<>();
    if (payload.get("metadata") instanceof Map<?, ?> m) {
      m.forEach((k, v) -> {
        if (k != null && v != null) {
          metadata.put(k.toString(), v.toString());
        }
      });
    }
    Object weight = payload.getOrDefault("weight", metadata.get("weight"));
    Object zone = payload.getOrDefault("zone", metadata.get("zone"));
    try {
      return new Endpoint(i.getAddress(), port, weight(weight), zone == null ? "" : zone.toString(), metadata);
    } catch (IllegalArgumentException bad) {
      log.debug("{}: skipping instance {}: {}", this, i.getId(), bad.getMessage());
      return null;
    }
  }

  private static int weight(Object value) {
    if (value instanceof Number n && n.longValue() >= 1 && n.longValue() <= Integer.MAX_VALUE) {
      return n.intValue();
    }
    if (value instanceof String s) {
      try {
        return Math.max(1, Integer.parseInt(s.strip()));
      } catch (NumberFormatException ignored) {
        return 1;
      }
    }
    return 1;
  }

  /** Stops watching and the events thread. Leaves the Curator client running. Idempotent. */
  @Override
  public void close() {
    ServiceCache<?> c;
    ServiceDiscovery<?> d;
    ScheduledThreadPoolExecutor ex;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      c = cache;
      d = discovery;
      ex = events;
    }
    if (c != null) {
      try {
        c.close();
        d.close();
      } catch (IOException | RuntimeException e) {
        log.debug("{}: closing the Curator cache failed", this, e);
      }
    }
    if (ex != null) {
      ex.shutdownNow();
      if (!Thread.currentThread().getName().equals(threadName)) {
        try {
          ex.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  /** The events thread's name, unique per source. */
  String threadName() {
    return threadName;
  }

  @Override
  public String toString() {
    return "ZooKeeperEndpointSource{" + basePath + "/" + serviceName + "}";
  }

  /** Configures a {@link ZooKeeperEndpointSource}; setters validate at once. Not thread-safe. */
  public static final class Builder {
    private final CuratorFramework client;
    private final String basePath;
    private final String serviceName;
    private Duration quietPeriod = Duration.ofMillis(DEFAULT_QUIET_PERIOD_MILLIS);

    private Builder(CuratorFramework client, String basePath, String serviceName) {
      if (client == null) {
        throw new IllegalArgumentException("client must not be null");
      }
      if (basePath == null || !basePath.startsWith("/")) {
        throw new IllegalArgumentException("basePath must be an absolute ZooKeeper path such as \"/services\", was "
            + (basePath == null ? "null" : "'" + basePath + "'"));
      }
      if (serviceName == null || serviceName.isBlank() || serviceName.contains("/")) {
        throw new IllegalArgumentException("serviceName must be non-blank without '/', was "
            + (serviceName == null ? "null" : "'" + serviceName + "'"));
      }
      this.client = client;
      this.basePath = basePath;
      this.serviceName = serviceName;
    }

    /**
     * How long an instance must stay away from the registry before it is removed, and how long
     * after a reconnect no instance is removed (default 2 s; see the class doc). Longer absorbs
     * slower registrants; zero delivers every removal at once, as the registry shows it.
     *
     * @throws IllegalArgumentException if null, negative, or longer than a day
     */
    public Builder quietPeriod(Duration quietPeriod) {
      if (quietPeriod == null || quietPeriod.isNegative() || quietPeriod.compareTo(Duration.ofDays(1)) > 0) {
        throw new IllegalArgumentException("quietPeriod must be between 0 and 1 day, was " + quietPeriod);
      }
      this.quietPeriod = quietPeriod;
      return this;
    }

    /** Builds the source (not yet started; the balancer starts it). */
    public ZooKeeperEndpointSource build() {
      return new ZooKeeperEndpointSource(this);
    }
  }
}
