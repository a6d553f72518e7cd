package io.lb4j.zookeeper;

import io.lb4j.Endpoint;
import io.lb4j.EndpointSource;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
 * soon as ZooKeeper reports a registration or deregistration (typically within milliseconds).
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
 * <p><b>Failures.</b> While the client is disconnected the cache does not change, so the balancer
 * keeps the last list. When the session is lost, or when the service has no instances at all (as
 * happens for a moment after a session loss, before registrants register again), the last good list
 * is kept and the balancer's {@code onError} hears about it (it logs one WARN line). After a
 * reconnect the cache resynchronises and the balancer gets the current list.
 *
 * <p><b>Threads.</b> The client is the caller's: this source neither starts nor closes it. Cache
 * events and deliveries run on one daemon thread ({@code lb4j-zk-<serviceName>}), so the balancer
 * never gets two updates at once; {@link #close()} stops it. {@link #start} waits up to 5 s for the
 * first snapshot of the registrations (so that {@code build()} usually returns with endpoints) and
 * otherwise delivers it when it arrives. Thread-safe.
 */
public final class ZooKeeperEndpointSource implements EndpointSource {

  private static final Logger log = LoggerFactory.getLogger(ZooKeeperEndpointSource.class);
  private static final long FIRST_SNAPSHOT_WAIT_MILLIS = 5_000;

  private final CuratorFramework client;
  private final String basePath;
  private final String serviceName;
  private final Object lock = new Object();
  // Guarded by lock.
  private ExecutorService events;
  private ServiceDiscovery<Map<String, Object>> discovery;
  private ServiceCache<Map<String, Object>> cache;
  private boolean closed;

  // Touched only on the events thread.
  private volatile List<Endpoint> current = List.of();
  private boolean initialized;
  private Consumer<List<Endpoint>> onUpdate;
  private Consumer<Throwable> onError;

  private ZooKeeperEndpointSource(CuratorFramework client, String basePath, String serviceName) {
    this.client = client;
    this.basePath = basePath;
    this.serviceName = serviceName;
  }

  /**
   * A source for the instances of {@code serviceName} registered under {@code basePath} (the base
   * path given to Curator's {@code ServiceDiscoveryBuilder} by the registrants).
   *
   * @param client a Curator client; started by the caller (before or after), not closed by this source
   * @throws IllegalArgumentException if an argument is null or blank, or basePath does not start with "/"
   */
  public static ZooKeeperEndpointSource create(CuratorFramework client, String basePath, String serviceName) {
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
    return new ZooKeeperEndpointSource(client, basePath, serviceName);
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
      events = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "lb4j-zk-" + serviceName);
        t.setDaemon(true);
        return t;
      });
      // Read only by tasks on the events thread, all submitted after these writes.
      this.onUpdate = onUpdate;
      this.onError = onError;
      discovery = ServiceDiscoveryBuilder.builder(mapType())
          .client(client)
          .basePath(basePath)
          .serializer(new PayloadReader())
          .watchInstances(false)
          .build();
      cache = discovery.serviceCacheBuilder().name(serviceName).executorService(events).build();
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
    // Its own short-lived thread: the snapshot completes on the events thread, which must not wait.
    Thread waiter = new Thread(() -> {
      try {
        while (!first.await(100, TimeUnit.MILLISECONDS)) {
          if (isClosed()) {
            return;
          }
        }
        submit(() -> {
          initialized = true;
          publish("initial snapshot");
          delivered.countDown();
        });
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "lb4j-zk-" + serviceName + "-init");
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

  /** The list most recently delivered; empty before the first snapshot. */
  public List<Endpoint> endpoints() {
    return current;
  }

  /** Runs on the events thread. */
  private final class Listener implements ServiceCacheListener {
    @Override
    public void cacheChanged() {
      if (initialized) {
        publish("registrations changed");
      }
    }

    @Override
    public void stateChanged(CuratorFramework c, ConnectionState state) {
      switch (state) {
        case LOST -> report(new IOException("ZooKeeper session lost for service '" + serviceName
            + "'; keeping the last good list until the cache resynchronises"));
        case RECONNECTED -> {
          if (initialized) {
            publish("reconnected");
          }
        }
        default -> log.debug("{}: connection {}", ZooKeeperEndpointSource.this, state);
      }
    }
  }

  /** Reads the cache and delivers it if it changed. Events thread only. */
  private void publish(String why) {
    List<Endpoint> next;
    synchronized (lock) {
      if (closed) {
        return;
      }
      next = toEndpoints(cache.getInstances());
    }
    if (next.isEmpty()) {
      report(new IOException("no instances of service '" + serviceName + "' registered under " + basePath
          + "; keeping the last good list"));
      return;
    }
    if (next.equals(current)) {
      return;
    }
    log.debug("{}: {}; endpoints now {}", this, why, next);
    current = next;
    try {
      onUpdate.accept(next);
    } catch (RuntimeException e) {
      log.warn("{}: the endpoint list update was rejected", this, e);
    }
  }

  private void report(Throwable error) {
    log.debug("{}: {}", this, error.getMessage());
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
    List<Endpoint> out = new ArrayList<>(byAddress.values());
    out.sort(Comparator.comparing(Endpoint::address));
    return List.copyOf(out);
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
    ExecutorService ex;
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
      if (!Thread.currentThread().getName().startsWith("lb4j-zk-" + serviceName)) {
        try {
          ex.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  @Override
  public String toString() {
    return "ZooKeeperEndpointSource{" + basePath + "/" + serviceName + "}";
  }
}
