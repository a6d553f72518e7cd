package io.lb4j.examples;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.NameResolverRegistry;
import io.lb4j.grpc.EndpointSourceNameResolverProvider;
import io.lb4j.zookeeper.EndpointPayload;
import io.lb4j.zookeeper.ZooKeeperEndpointSource;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.test.TestingServer;
import org.apache.curator.x.discovery.ServiceDiscovery;
import org.apache.curator.x.discovery.ServiceDiscoveryBuilder;
import org.apache.curator.x.discovery.ServiceInstance;
import org.apache.curator.x.discovery.details.JsonInstanceSerializer;

/**
 * gRPC with endpoints from ZooKeeper: instances register with Curator's service discovery (as
 * Spring Cloud Zookeeper and many in-house registries do), lb4j's {@link ZooKeeperEndpointSource}
 * watches them, and {@link EndpointSourceNameResolverProvider} hands them to gRPC as the scheme
 * {@code zk:}. A new instance gets calls within milliseconds; one that deregisters stops getting
 * them after the quiet period. The example runs its own ZooKeeper (Curator's {@link TestingServer}).
 */
public final class GrpcZooKeeperExample {

  private GrpcZooKeeperExample() {}

  /** Runs the example; exits non-zero if calls did not follow the registrations. */
  public static void main(String[] args) throws Exception {
    try (TestingServer zookeeper = new TestingServer(true);
        GreeterBackend a = GreeterBackend.start("a");
        GreeterBackend b = GreeterBackend.start("b");
        GreeterBackend c = GreeterBackend.start("c");
        CuratorFramework curator = CuratorFrameworkFactory.newClient(zookeeper.getConnectString(),
            new ExponentialBackoffRetry(100, 5))) {
      curator.start();
      Check.that(curator.blockUntilConnected(10, TimeUnit.SECONDS), "Curator connects to ZooKeeper");

      // The instances' side: each registers itself under /services/greeter (weight and zone optional).
      try (ServiceDiscovery<EndpointPayload> registry = ServiceDiscoveryBuilder.builder(EndpointPayload.class)
          .client(curator).basePath("/services")
          .serializer(new JsonInstanceSerializer<>(EndpointPayload.class))
          .build()) {
        registry.start();
        registry.registerService(instance(a));
        registry.registerService(instance(b));

        // The client's side: the scheme zk: resolves zk:///<service> from the same registry.
        NameResolverRegistry.getDefaultRegistry().register(EndpointSourceNameResolverProvider.of("zk",
            uri -> ZooKeeperEndpointSource.builder(curator, "/services", uri.getPath().substring(1))
                .quietPeriod(Duration.ofMillis(500))      // default 2 s: a registry blip is not a fleet change
                .build()));
        ManagedChannel channel = ManagedChannelBuilder.forTarget("zk:///greeter")
            .defaultLoadBalancingPolicy("lb4j_round_robin")
            .usePlaintext()
            .build();
        try {
          System.out.println("ZooKeeper at " + zookeeper.getConnectString() + ": greeter instances a, b");
          Check.eventually(Duration.ofSeconds(10), "a and b answer",
              () -> GreeterBackend.callMany(channel, 10).size() == 2);
          System.out.println("30 calls answered by " + GreeterBackend.callMany(channel, 30));

          registry.registerService(instance(c));
          System.out.println("c registered");
          Check.eventually(Duration.ofSeconds(10), "c gets calls once registered",
              () -> GreeterBackend.callMany(channel, 10).containsKey("c"));
          System.out.println("30 calls answered by " + GreeterBackend.callMany(channel, 30));

          registry.unregisterService(instance(a));
          System.out.println("a deregistered");
          Check.eventually(Duration.ofSeconds(10), "a gets no calls once deregistered",
              () -> !GreeterBackend.callMany(channel, 10).containsKey("a"));
          Map<String, Integer> last = GreeterBackend.callMany(channel, 30);
          System.out.println("30 calls answered by " + last);
          Check.that(last.keySet().equals(Set.of("b", "c")), "b and c answer, a does not");
        } finally {
          channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
      }
    }
  }

  /** The registration of one instance: its name as id, its address and port, weight 1, no zone. */
  private static ServiceInstance<EndpointPayload> instance(GreeterBackend backend) throws Exception {
    return ServiceInstance.<EndpointPayload>builder()
        .name("greeter").id(backend.name())
        .address("127.0.0.1").port(backend.port())
        .payload(EndpointPayload.of(1, ""))
        .build();
  }
}
