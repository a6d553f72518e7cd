package io.lb4j.zookeeper;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.Endpoint;
import io.lb4j.EndpointSource;
import io.lb4j.EndpointStatus;
import io.lb4j.LoadBalancer;
import io.lb4j.LoadBalancerListener;
import io.lb4j.Outcome;
import io.lb4j.discovery.DiscoveryException;
import io.lb4j.health.HealthCheckConfig;
import io.lb4j.health.ProbeResult;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.RetryForever;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.apache.curator.x.discovery.ServiceDiscovery;
import org.apache.curator.x.discovery.ServiceDiscoveryBuilder;
import org.apache.curator.x.discovery.ServiceInstance;
import org.apache.curator.x.discovery.details.JsonInstanceSerializer;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** ZooKeeperEndpointSource against a real ZooKeeper (curator-test's TestingServer on loopback). */
class ZooKeeperEndpointSourceTest {

  private static final String BASE = "/services";
  private static final Duration SECOND = Duration.ofSeconds(1);

  private TestingServer server;
  private CuratorFramework registrantClient;
  private CuratorFramework watcherClient;
  private ServiceDiscovery<EndpointPayload> registrar;
  private LoadBalancer lb;

  @BeforeEach
  void startZooKeeper() throws Exception {
    // tickTime 250 ms allows sessions of up to 5 s: a 4 s session outlives the short outage even on
    // a loaded machine, and the long outage still loses it within a few seconds.
    server = new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, 250, -1), true);
    registrantClient = client();
    watcherClient = client();
    registrar = ServiceDiscoveryBuilder.builder(EndpointPayload.class)
        .client(registrantClient).basePath(BASE)
        .serializer(new JsonInstanceSerializer<>(EndpointPayload.class))
        .build();
    registrar.start();
  }

  /**
   * A started client whose CONNECTED event has reached its listeners: a ServiceDiscovery started
   * before that would re-register (delete and re-create) instances registered meanwhile, which the
   * tests that read the list right after build() must not race with.
   */
  private CuratorFramework client() throws InterruptedException {
    CuratorFramework c = CuratorFrameworkFactory.builder()
        .connectString(server.getConnectString())
        .sessionTimeoutMs(4_000).connectionTimeoutMs(1_000)
        .retryPolicy(new RetryForever(50))
        .build();
    CountDownLatch connected = new CountDownLatch(1);
    c.getConnectionStateListenable().addListener((client, state) -> {
      if (state == ConnectionState.CONNECTED) {
        connected.countDown();
      }
    });
    c.start();
    assertTrue(connected.await(10, TimeUnit.SECONDS), "client connected");
    return c;
  }

  @AfterEach
  void tearDown() throws Exception {
    if (lb != null) {
      lb.close();
    }
    registrar.close();
    registrantClient.close();
    watcherClient.close();
    server.close();
  }

  private ServiceInstance<EndpointPayload> register(String id, int port, EndpointPayload payload) throws Exception {
    ServiceInstance<EndpointPayload> i = ServiceInstance.<EndpointPayload>builder()
        .name("orders").id(id).address("127.0.0.1").port(port).payload(payload).build();
    registrar.registerService(i);
    return i;
  }

  private static Endpoint ep(int port, int weight, String zone) {
    return new Endpoint("127.0.0.1", port, weight, zone, Map.of());
  }

  @Test
  void registeredInstancesAreThereWhenBuildReturns() throws Exception {
    register("a", 9001, EndpointPayload.of(3, "eu-1a"));
    register("b", 9002, new EndpointPayload(1, "eu-1b", Map.of("version", "2.4.1")));

    lb = LoadBalancer.builder()
        .endpointSource(ZooKeeperEndpointSource.create(watcherClient, BASE, "orders"))
        .build();

    assertEquals(List.of(ep(9001, 3, "eu-1a"), new Endpoint("127.0.0.1", 9002, 1, "eu-1b", Map.of("version", "2.4.1"))),
        lb.endpoints());
    assertEquals(3, lb.endpoints().get(0).weight());
    assertEquals("eu-1b", lb.endpoints().get(1).zone());
    assertEquals(Map.of("version", "2.4.1"), lb.endpoints().get(1).metadata());
  }

  @Test
  void registrationsArriveWithinASecondAndDeregistrationsAfterTheQuietPeriod() throws Exception {
    ServiceInstance<EndpointPayload> a = register("a", 9001, EndpointPayload.of(1, ""));
    lb = LoadBalancer.builder()
        .endpointSource(ZooKeeperEndpointSource.builder(watcherClient, BASE, "orders")
            .quietPeriod(Duration.ofMillis(300)).build())
        .build();
    assertEquals(List.of(ep(9001, 1, "")), lb.endpoints());

    register("b", 9002, EndpointPayload.of(2, ""));
    await().atMost(SECOND).until(() -> lb.endpoints().equals(List.of(ep(9001, 1, ""), ep(9002, 2, ""))));

    long gone = System.nanoTime();
    registrar.unregisterService(a);
    await().atMost(SECOND.plusMillis(300)).until(() -> lb.endpoints().equals(List.of(ep(9002, 2, ""))));
    assertTrue(System.nanoTime() - gone >= Duration.ofMillis(300).toNanos(), "a removal waits for the quiet period");

    registrar.updateService(ServiceInstance.<EndpointPayload>builder()
        .name("orders").id("b").address("127.0.0.1").port(9002).payload(EndpointPayload.of(5, "z")).build());
    await().atMost(SECOND).until(() -> lb.endpoints().equals(List.of(ep(9002, 5, "z"))));
  }

  @Test
  void theLastDeregistrationKeepsTheLastGoodListAndReportsIt() throws Exception {
    ServiceInstance<EndpointPayload> a = register("a", 9001, EndpointPayload.of(1, ""));
    ZooKeeperEndpointSource src = ZooKeeperEndpointSource.builder(watcherClient, BASE, "orders")
        .quietPeriod(Duration.ofMillis(200)).build();
    List<List<Endpoint>> updates = new CopyOnWriteArrayList<>();
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    src.start(updates::add, errors::add);
    try {
      // start() waits at most 5 s for the first snapshot; on a loaded machine it may come later
      await().atMost(Duration.ofSeconds(20)).until(() -> !updates.isEmpty());
      assertEquals(List.of(List.of(ep(9001, 1, ""))), updates);

      registrar.unregisterService(a);

      await().atMost(SECOND).until(() -> !errors.isEmpty());
      DiscoveryException e = (DiscoveryException) errors.get(0);
      assertEquals("ZooKeeperEndpointSource{/services/orders} could not refresh /services/orders from ZooKeeper "
          + server.getConnectString() + ": no instances registered", e.getMessage());
      assertEquals(1, updates.size());
      assertEquals(List.of(ep(9001, 1, "")), src.endpoints());

      // The next registration replaces the kept list at once; a, gone for good, does not linger.
      register("b", 9002, EndpointPayload.of(1, ""));
      await().atMost(SECOND).until(() -> updates.size() == 2);
      assertEquals(List.of(ep(9002, 1, "")), updates.get(1));
    } finally {
      src.close();
    }
  }

  @Test
  void survivesAServerRestartAndASessionLossKeepingTheLastGoodList() throws Exception {
    register("a", 9001, EndpointPayload.of(1, ""));
    register("b", 9002, EndpointPayload.of(1, ""));
    ZooKeeperEndpointSource src = ZooKeeperEndpointSource.create(watcherClient, BASE, "orders");
    lb = LoadBalancer.builder().endpointSource(src).build();
    List<Endpoint> both = List.of(ep(9001, 1, ""), ep(9002, 1, ""));
    assertEquals(both, lb.endpoints());

    // A short outage: the client reconnects within its session.
    server.stop();
    await().atMost(Duration.ofSeconds(5)).until(() -> !watcherClient.getZookeeperClient().isConnected());
    assertEquals(both, lb.endpoints(), "kept while disconnected");
    server.restart();
    await().atMost(Duration.ofSeconds(5)).until(() -> watcherClient.getZookeeperClient().isConnected());
    register("c", 9003, EndpointPayload.of(1, ""));
    await().atMost(Duration.ofSeconds(5))
        .until(() -> lb.endpoints().equals(List.of(ep(9001, 1, ""), ep(9002, 1, ""), ep(9003, 1, ""))));

    // A long outage: both sessions expire; registrants register again after the reconnect.
    List<Endpoint> three = lb.endpoints();
    AtomicBoolean lost = new AtomicBoolean();
    watcherClient.getConnectionStateListenable().addListener((c, state) -> {
      if (state == ConnectionState.LOST) {
        lost.set(true);
      }
    });
    server.stop();
    await().atMost(Duration.ofSeconds(20)).untilTrue(lost);
    assertEquals(three, lb.endpoints(), "kept while the session is lost");
    server.restart();
    await().atMost(Duration.ofSeconds(10)).until(() -> watcherClient.getZookeeperClient().isConnected());
    await().atMost(Duration.ofSeconds(10)).until(() -> src.endpoints().equals(three) && lb.endpoints().equals(three));
    register("d", 9004, EndpointPayload.of(1, ""));
    await().atMost(Duration.ofSeconds(5)).until(() -> lb.endpoints().size() == 4);
  }

  @Test
  void payloadsFromOtherWritersAreReadAsJson() throws Exception {
    @SuppressWarnings({"unchecked", "rawtypes"})
    ServiceDiscovery<Map<String, Object>> maps = ServiceDiscoveryBuilder.builder((Class) Map.class)
        .client(registrantClient).basePath(BASE)
        .serializer(new JsonInstanceSerializer(Map.class)).build();
    maps.start();
    try {
      // Spring Cloud Zookeeper style, written by a class this reader does not have: weight and zone
      // inside "metadata", weight as a string.
      registrantClient.create().creatingParentsIfNeeded().forPath(BASE + "/orders/s", ("{\"name\":\"orders\",\"id\":\"s\","
          + "\"address\":\"10.0.0.1\",\"port\":80,\"sslPort\":null,\"payload\":{\"@class\":"
          + "\"org.springframework.cloud.zookeeper.discovery.ZookeeperInstance\",\"id\":\"orders\","
          + "\"metadata\":{\"zone\":\"b\",\"weight\":\"4\"}},\"serviceType\":\"DYNAMIC\"}").getBytes(UTF_8));
      // Unusable weight: counts as 1. No plain port: the SSL port is used.
      maps.registerService(ServiceInstance.<Map<String, Object>>builder().name("orders").id("t").address("10.0.0.2")
          .sslPort(443).payload(Map.of("weight", -3)).build());
      // Disabled (a field newer writers send): skipped.
      registrantClient.create().forPath(BASE + "/orders/u", ("{\"name\":\"orders\",\"id\":\"u\","
          + "\"address\":\"10.0.0.3\",\"port\":80,\"enabled\":false}").getBytes(UTF_8));

      lb = LoadBalancer.builder()
          .endpointSource(ZooKeeperEndpointSource.create(watcherClient, BASE, "orders"))
          .build();

      assertEquals(List.of(new Endpoint("10.0.0.1", 80, 4, "b", Map.of("zone", "b", "weight", "4")),
          Endpoint.of("10.0.0.2", 443)), lb.endpoints());
    } finally {
      maps.close();
    }
  }

  @Test
  void closeStopsTheEventThreadAndLeavesTheClientRunning() throws Exception {
    register("a", 9001, EndpointPayload.of(1, ""));
    ZooKeeperEndpointSource src = ZooKeeperEndpointSource.create(watcherClient, BASE, "orders");
    ZooKeeperEndpointSource other = ZooKeeperEndpointSource.create(watcherClient, BASE, "orders");
    lb = LoadBalancer.builder().endpointSource(src).build();
    try (LoadBalancer second = LoadBalancer.builder().endpointSource(other).build()) {
      assertTrue(src.threadName().startsWith("lb4j-zk-orders#"), src.threadName());
      assertFalse(src.threadName().equals(other.threadName()), "two sources on one service have their own threads");
      assertTrue(threadAlive(src.threadName()) && threadAlive(other.threadName()));
      assertEquals(lb.endpoints(), second.endpoints());
    }

    lb.close();
    src.close();

    await().atMost(SECOND).until(() -> !threadAlive(src.threadName()) && !threadAlive(other.threadName()));
    assertTrue(watcherClient.getZookeeperClient().isConnected());
    assertThrows(IllegalStateException.class, () -> src.start(l -> { }, e -> { }));
  }

  private static boolean threadAlive(String name) {
    return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.isAlive() && t.getName().equals(name));
  }

  @Test
  void createRejectsBadArguments() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ZooKeeperEndpointSource.create(null, BASE, "orders"));
    assertTrue(e.getMessage().contains("client"));
    e = assertThrows(IllegalArgumentException.class, () -> ZooKeeperEndpointSource.create(watcherClient, "services", "x"));
    assertTrue(e.getMessage().contains("basePath"));
    e = assertThrows(IllegalArgumentException.class, () -> ZooKeeperEndpointSource.create(watcherClient, BASE, " "));
    assertTrue(e.getMessage().contains("serviceName"));
    e = assertThrows(IllegalArgumentException.class,
        () -> ZooKeeperEndpointSource.builder(watcherClient, BASE, "x").quietPeriod(Duration.ofMillis(-1)));
    assertTrue(e.getMessage().contains("quietPeriod") && e.getMessage().contains("PT-0.001S"), e.getMessage());
    assertFalse(assertThrows(IllegalArgumentException.class, () -> EndpointPayload.of(0, ""))
        .getMessage().isEmpty());
  }

  // --- A registry blip is not a fleet change ---

  @Test
  void aServerRestartWithinTheSessionChangesNothingForInstancesThatStayed() throws Exception {
    assertRestartIsInvisible(false);
  }

  @Test
  void aSessionLossAndReRegistrationChangeNothingForInstancesThatStayed() throws Exception {
    assertRestartIsInvisible(true);
  }

  @Test
  void anInstanceThatLeavesAndComesBackWithinTheQuietPeriodNeverLeaves() throws Exception {
    ServiceInstance<EndpointPayload> a = register("a", 9001, EndpointPayload.of(1, ""));
    register("b", 9002, EndpointPayload.of(1, ""));
    Recorder recorder = new Recorder(ZooKeeperEndpointSource.create(watcherClient, BASE, "orders"));
    lb = LoadBalancer.builder().endpointSource(recorder).build();
    assertEquals(List.of(ep(9001, 1, ""), ep(9002, 1, "")), lb.endpoints());
    long created = registrantClient.checkExists().forPath(BASE + "/orders/a").getCzxid();
    recorder.lists.clear();

    // What a registrant does on every reconnect: its node exists, so Curator deletes and re-creates it.
    registrar.registerService(a);
    assertTrue(registrantClient.checkExists().forPath(BASE + "/orders/a").getCzxid() != created, "re-created");
    register("c", 9003, EndpointPayload.of(1, ""));

    // Cache events arrive in order: once c is delivered, a's deletion and creation were seen before it.
    await().atMost(SECOND).until(() -> recorder.lists.stream().anyMatch(l -> l.contains(ep(9003, 1, ""))));
    assertEquals(List.of(List.of(ep(9001, 1, ""), ep(9002, 1, ""), ep(9003, 1, ""))), recorder.lists);
  }

  /**
   * Four instances behind a real balancer with health checks, a listener and meters; ZooKeeper
   * stops and restarts (after the sessions expired, if asked), the registrants delete and re-create
   * their nodes, and the balancer must see none of it.
   */
  private void assertRestartIsInvisible(boolean loseSessions) throws Exception {
    List<ServiceInstance<EndpointPayload>> instances = new ArrayList<>();
    for (int i = 1; i <= 4; i++) {
      instances.add(register("i" + i, 9000 + i, EndpointPayload.of(1, "")));
    }
    List<Endpoint> four = List.of(ep(9001, 1, ""), ep(9002, 1, ""), ep(9003, 1, ""), ep(9004, 1, ""));
    Recorder recorder = new Recorder(ZooKeeperEndpointSource.create(watcherClient, BASE, "orders"));
    List<String> statusEvents = new CopyOnWriteArrayList<>();
    Map<String, Integer> probes = new ConcurrentHashMap<>();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    lb = LoadBalancer.builder()
        .endpointSource(recorder)
        .healthCheck(HealthCheckConfig.builder().interval(Duration.ofMillis(100)).build(), e -> {
          probes.merge(e.address(), 1, Integer::sum);
          return CompletableFuture.completedFuture(ProbeResult.healthy("ok"));
        })
        .listener(new LoadBalancerListener() {
          @Override
          public void onStatusChange(String name, Endpoint endpoint, EndpointStatus from, EndpointStatus to, String why) {
            statusEvents.add(endpoint.address() + " " + from + " -> " + to + ": " + why);
          }
        })
        .meterRegistry(registry)
        .build();
    // status() answers once the listeners were told: no event of these verdicts can come later.
    await().atMost(Duration.ofSeconds(5))
        .until(() -> four.stream().allMatch(e -> lb.status(e) == EndpointStatus.HEALTHY));
    for (int i = 0; i < 100; i++) {
      lb.pick().release(Outcome.SUCCESS, 1_000_000);
    }
    Map<Endpoint, Long> served = new LinkedHashMap<>();
    Map<Endpoint, Long> timed = new LinkedHashMap<>();
    for (Endpoint e : four) {
      served.put(e, lb.requests(e, Outcome.SUCCESS));
      timed.put(e, registry.get("lb4j.request.latency").tag("endpoint", e.address()).timer().count());
    }
    assertEquals(100, served.values().stream().mapToLong(Long::longValue).sum());
    assertEquals(served, timed);
    List<Long> nodes = nodeVersions(instances);
    statusEvents.clear();
    recorder.lists.clear();
    recorder.errors.clear();

    AtomicBoolean lost = new AtomicBoolean();
    watcherClient.getConnectionStateListenable().addListener((c, state) -> {
      if (state == ConnectionState.LOST) {
        lost.set(true);
      }
    });
    server.stop();
    await().atMost(Duration.ofSeconds(5)).until(() -> !watcherClient.getZookeeperClient().isConnected());
    if (loseSessions) {
      await().atMost(Duration.ofSeconds(20)).untilTrue(lost);
    }
    server.restart();

    // Every registrant re-created its node (Curator deletes and creates it again on reconnect)...
    await().atMost(Duration.ofSeconds(20)).until(() -> differAll(nodes, nodeVersions(instances)));
    // ...and the source delivered once it settled.
    await().atMost(Duration.ofSeconds(20)).until(() -> !recorder.lists.isEmpty());

    assertEquals(List.of(), recorder.lists.stream().filter(l -> !l.equals(four)).toList(), "no intermediate list");
    assertEquals(List.of(), statusEvents, "no status event");
    assertEquals(four, lb.endpoints());
    for (Endpoint e : four) {
      assertEquals(EndpointStatus.HEALTHY, lb.status(e), "no wait for a first probe: " + e);
      assertEquals(served.get(e), lb.requests(e, Outcome.SUCCESS), "no statistics reset: " + e);
      assertEquals(timed.get(e), registry.get("lb4j.request.latency").tag("endpoint", e.address()).timer().count(),
          "no meter reset: " + e);
    }
    assertEquals(loseSessions, !recorder.errors.isEmpty(), "a lost session, and only that, is reported: " + recorder.errors);
    assertTrue(probes.keySet().containsAll(four.stream().map(Endpoint::address).toList()));
  }

  /** Each instance node's creation zxid: a re-created node has a new one. */
  private List<Long> nodeVersions(List<ServiceInstance<EndpointPayload>> instances) throws Exception {
    List<Long> out = new ArrayList<>();
    for (ServiceInstance<EndpointPayload> i : instances) {
      Stat stat = registrantClient.checkExists().forPath(BASE + "/orders/" + i.getId());
      out.add(stat == null ? -1L : stat.getCzxid());
    }
    return out;
  }

  private static boolean differAll(List<Long> before, List<Long> now) {
    for (int i = 0; i < before.size(); i++) {
      if (now.get(i) == -1L || now.get(i).equals(before.get(i))) {
        return false;
      }
    }
    return true;
  }

  /** A source that records what the wrapped one delivers on its way to the balancer. */
  private static final class Recorder implements EndpointSource {
    final List<List<Endpoint>> lists = new CopyOnWriteArrayList<>();
    final List<Throwable> errors = new CopyOnWriteArrayList<>();
    private final EndpointSource source;

    Recorder(EndpointSource source) {
      this.source = source;
    }

    @Override
    public void start(Consumer<List<Endpoint>> onUpdate, Consumer<Throwable> onError) {
      source.start(l -> {
        lists.add(l);
        onUpdate.accept(l);
      }, e -> {
        errors.add(e);
        onError.accept(e);
      });
    }

    @Override
    public void close() {
      source.close();
    }
  }
}
