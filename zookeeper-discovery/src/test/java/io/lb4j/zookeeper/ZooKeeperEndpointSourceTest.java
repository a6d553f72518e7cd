package io.lb4j.zookeeper;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.Endpoint;
import io.lb4j.LoadBalancer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
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

  private CuratorFramework client() {
    CuratorFramework c = CuratorFrameworkFactory.builder()
        .connectString(server.getConnectString())
        .sessionTimeoutMs(4_000).connectionTimeoutMs(1_000)
        .retryPolicy(new RetryForever(50))
        .build();
    c.start();
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
  void registrationsAndDeregistrationsArriveWithinASecond() throws Exception {
    ServiceInstance<EndpointPayload> a = register("a", 9001, EndpointPayload.of(1, ""));
    lb = LoadBalancer.builder()
        .endpointSource(ZooKeeperEndpointSource.create(watcherClient, BASE, "orders"))
        .build();
    assertEquals(List.of(ep(9001, 1, "")), lb.endpoints());

    register("b", 9002, EndpointPayload.of(2, ""));
    await().atMost(SECOND).until(() -> lb.endpoints().equals(List.of(ep(9001, 1, ""), ep(9002, 2, ""))));

    registrar.unregisterService(a);
    await().atMost(SECOND).until(() -> lb.endpoints().equals(List.of(ep(9002, 2, ""))));

    registrar.updateService(ServiceInstance.<EndpointPayload>builder()
        .name("orders").id("b").address("127.0.0.1").port(9002).payload(EndpointPayload.of(5, "z")).build());
    await().atMost(SECOND).until(() -> lb.endpoints().equals(List.of(ep(9002, 5, "z"))));
  }

  @Test
  void theLastDeregistrationKeepsTheLastGoodListAndReportsIt() throws Exception {
    ServiceInstance<EndpointPayload> a = register("a", 9001, EndpointPayload.of(1, ""));
    ZooKeeperEndpointSource src = ZooKeeperEndpointSource.create(watcherClient, BASE, "orders");
    List<List<Endpoint>> updates = new CopyOnWriteArrayList<>();
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    src.start(updates::add, errors::add);
    try {
      // start() waits at most 5 s for the first snapshot; on a loaded machine it may come later
      await().atMost(Duration.ofSeconds(20)).until(() -> !updates.isEmpty());
      assertEquals(List.of(List.of(ep(9001, 1, ""))), updates);

      registrar.unregisterService(a);

      await().atMost(SECOND).until(() -> !errors.isEmpty());
      assertTrue(errors.get(0).getMessage().contains("no instances of service 'orders'"), errors.get(0).getMessage());
      assertEquals(1, updates.size());
      assertEquals(List.of(ep(9001, 1, "")), src.endpoints());
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
    lb = LoadBalancer.builder().endpointSource(src).build();
    assertTrue(threadAlive("lb4j-zk-orders"));

    lb.close();
    src.close();

    await().atMost(SECOND).until(() -> !threadAlive("lb4j-zk-orders"));
    assertTrue(watcherClient.getZookeeperClient().isConnected());
    assertThrows(IllegalStateException.class, () -> src.start(l -> { }, e -> { }));
  }

  private static boolean threadAlive(String name) {
    return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.isAlive() && t.getName().startsWith(name));
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
    assertFalse(assertThrows(IllegalArgumentException.class, () -> EndpointPayload.of(0, ""))
        .getMessage().isEmpty());
  }
}
