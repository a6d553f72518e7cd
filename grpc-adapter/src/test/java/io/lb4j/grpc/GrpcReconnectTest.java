package io.lb4j.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.ConnectivityState;
import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.LoadBalancerRegistry;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.NameResolver.ConfigOrError;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCalls;
import io.grpc.util.ForwardingLoadBalancerHelper;
import io.lb4j.Endpoint;
import io.lb4j.testing.FakeClock;
import io.lb4j.testing.RecordingListener;
import io.lb4j.testing.TestPolicies;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Connections coming and going under real gRPC channels and Netty servers on 127.0.0.1: hash
 * affinity from the very first call and through another server's restart, an ejection that
 * outlives a reconnect, and many backends coming up with few picker builds.
 */
class GrpcReconnectTest {

  private static final Metadata.Key<String> USER = Metadata.Key.of("x-user-id", Metadata.ASCII_STRING_MARSHALLER);

  private Backends backends;
  private final List<AutoCloseable> cleanup = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : cleanup) {
      c.close();
    }
    if (backends != null) {
      backends.close();
    }
  }

  /** One call as {@code user}; the answering backend's index. */
  private static int callAs(ManagedChannel ch, String user) {
    Metadata headers = new Metadata();
    headers.put(USER, user);
    io.grpc.Channel withHeader = io.grpc.ClientInterceptors.intercept(ch, MetadataUtils.newAttachHeadersInterceptor(headers));
    return Integer.parseInt(ClientCalls.blockingUnaryCall(withHeader, Backends.ECHO,
        CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), "hi"));
  }

  /**
   * No warm-up: each user's first call already lands on the server that every later call of that
   * user lands on, also while another server is killed and started again; the killed server's own
   * users come home once it is back.
   */
  @ParameterizedTest
  @ValueSource(strings = {"lb4j_maglev", "lb4j_ring_hash"})
  void aUserKeepsOneServerFromTheFirstCallWhileAnotherIsKilledAndRestarted(String policy) throws Exception {
    backends = new Backends(3);
    RecordingListener listener = new RecordingListener();
    ManagedChannel ch = backends.channel(StaticNameResolverProvider.target(backends.endpoints()), policy,
        Map.of("hashHeader", "x-user-id"), Lb4jGrpcOptions.builder().listener(listener).build());
    Map<String, Integer> home = new HashMap<>();
    for (int u = 0; u < 30; u++) {
      String user = "user-" + u;
      home.put(user, callAs(ch, user)); // the very first call on this channel for this user
      for (int i = 0; i < 4; i++) {
        assertEquals(home.get(user), callAs(ch, user), user + " moved after its first call");
      }
    }
    Set<Integer> used = new HashSet<>(home.values());
    assertTrue(used.size() >= 2, "30 users on one server: " + home);

    int victim = used.iterator().next();
    String lost = backends.get(victim).endpoint().address() + " HEALTHY->NOT_CONNECTED";
    backends.kill(victim);
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> listener.events.contains(lost));
    Map<String, Integer> meanwhile = new HashMap<>();
    for (int round = 0; round < 3; round++) {
      for (Map.Entry<String, Integer> e : home.entrySet()) {
        int server = callAs(ch, e.getKey());
        if (e.getValue() == victim) {
          assertNotEquals(victim, server);
          assertEquals(meanwhile.computeIfAbsent(e.getKey(), k -> server), server,
              e.getKey() + " of the killed server wanders while it is down");
        } else {
          assertEquals(e.getValue(), server, e.getKey() + " moved although its server stayed up");
        }
      }
    }

    backends.restart(victim);
    Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
      for (Map.Entry<String, Integer> e : home.entrySet()) {
        assertEquals(e.getValue(), callAs(ch, e.getKey()), e.getKey() + " is not home (again)");
      }
    });
  }

  /**
   * A server ejected for its errors is killed and started again; the channel reconnects to it, and
   * it stays ejected (no call reaches it) until its ejection time is up on the balancer's clock.
   */
  @Test
  void anEjectedServerStaysEjectedThroughAReconnectUntilItsTimeIsUp() throws Exception {
    backends = new Backends(3);
    FakeClock clock = new FakeClock();
    RecordingListener listener = new RecordingListener();
    ManagedChannel ch = backends.channel(StaticNameResolverProvider.target(backends.endpoints()), "lb4j_round_robin",
        Map.of("outlierDetection", Map.of("consecutiveFailures", 3.0, "interval", "1s", "baseEjectionTime", "30s",
            "maxEjectionPercent", 50.0)),
        Lb4jGrpcOptions.builder().ticker(clock).scheduler(clock).listener(listener).build());
    backends.warmUp(ch);
    Backends.Backend bad = backends.get(1);
    String b = bad.endpoint().address();
    bad.failWith = Status.UNAVAILABLE.withDescription("broken on purpose");
    for (int i = 0; i < 100 && !listener.events.contains(b + " HEALTHY->EJECTED"); i++) {
      try {
        Backends.call(ch);
      } catch (StatusRuntimeException expected) {
        // the broken server's answers
      }
      clock.runDue(); // the ejection's rebuild
    }
    assertTrue(listener.events.contains(b + " HEALTHY->EJECTED"), listener.events::toString);
    bad.failWith = null;

    int connections = bad.connections.get();
    backends.kill(1);
    backends.restart(1);
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> bad.connections.get() > connections);
    int hits = bad.hits.get();
    for (int i = 0; i < 60; i++) {
      Backends.call(ch, CallOptions.DEFAULT.withWaitForReady());
    }
    assertEquals(hits, bad.hits.get(), "reconnected, but still ejected: no call");
    assertFalse(listener.events.contains(b + " EJECTED->HEALTHY"), listener.events::toString);

    clock.forward(Duration.ofSeconds(31));
    assertTrue(listener.events.contains(b + " EJECTED->HEALTHY"), listener.events::toString);
    for (int i = 0; i < 30; i++) {
      Backends.call(ch, CallOptions.DEFAULT.withWaitForReady());
    }
    assertTrue(bad.hits.get() >= hits + 9, "back in the rotation once its 30 s were up: " + (bad.hits.get() - hits));
  }

  /**
   * A channel over 200 backends (one server listening on 200 ports), every one connecting at
   * once: lb4j builds one Maglev table over all of them (connections never rebuild it), and with
   * round robin at most one picker per backend that comes up; the channel installs at most one
   * picker per backend, plus the first.
   */
  @ParameterizedTest
  @ValueSource(strings = {"lb4j_maglev", "lb4j_round_robin"})
  void twoHundredBackendsComeUpWithABoundedNumberOfPickerBuilds(String policy) throws Exception {
    int n = 200;
    NettyServerBuilder sb = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0));
    for (int i = 1; i < n; i++) {
      sb.addListenAddress(new InetSocketAddress("127.0.0.1", 0));
    }
    AtomicInteger hits = new AtomicInteger();
    Server server = sb.addService(ServerServiceDefinition.builder("lb4j.test.Echo")
        .addMethod(Backends.ECHO, ServerCalls.asyncUnaryCall((String req, io.grpc.stub.StreamObserver<String> out) -> {
          hits.incrementAndGet();
          out.onNext("0");
          out.onCompleted();
        })).build()).build().start();
    cleanup.add(() -> {
      server.shutdownNow();
      server.awaitTermination(10, TimeUnit.SECONDS);
    });
    List<Endpoint> endpoints = new ArrayList<>();
    for (SocketAddress a : server.getListenSockets()) {
      endpoints.add(Endpoint.of("127.0.0.1", ((InetSocketAddress) a).getPort()));
    }
    assertEquals(n, endpoints.size());

    Counted counted = new Counted(policy);
    LoadBalancerRegistry.getDefaultRegistry().register(counted);
    cleanup.add(() -> LoadBalancerRegistry.getDefaultRegistry().deregister(counted));
    RecordingListener listener = new RecordingListener();
    long start = System.nanoTime();
    ManagedChannel ch = NettyChannelBuilder.forTarget(StaticNameResolverProvider.target(endpoints))
        .defaultServiceConfig(Map.of("loadBalancingConfig", List.of(Map.of(counted.getPolicyName(),
            policy.equals("lb4j_maglev") ? Map.of("connectEagerly", true, "hashHeader", "x-user-id") : Map.of()))))
        .setNameResolverArg(Lb4jGrpc.OPTIONS, Lb4jGrpcOptions.builder().listener(listener).build())
        .usePlaintext()
        .build();
    cleanup.add(0, () -> {
      ch.shutdownNow();
      ch.awaitTermination(10, TimeUnit.SECONDS);
    });
    assertEquals(ConnectivityState.IDLE, ch.getState(true)); // leave idle mode: the policy starts
    Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
        .until(() -> connected(listener) == n);
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    System.out.printf("%s: %d backends up in %d ms, %d lb4j picker builds, %d picker installs%n", policy, n, millis,
        counted.policy.builds(), counted.installs.get());
    if (policy.equals("lb4j_maglev")) {
      assertEquals(1, counted.policy.builds(), "one table over all 200, before any connected");
    } else {
      assertTrue(counted.policy.builds() <= n, "picker builds: " + counted.policy.builds());
    }
    assertTrue(counted.installs.get() <= n + 1, "picker installs: " + counted.installs.get());
    for (int i = 0; i < 2 * n; i++) {
      callAs(ch, "user-" + i);
    }
    assertEquals(2 * n, hits.get());
  }

  /** Endpoints whose first connection the listener saw. */
  private static long connected(RecordingListener listener) {
    return listener.events.stream().filter(e -> e.endsWith(" NOT_CONNECTED->HEALTHY")).count();
  }

  /**
   * An {@code lb4j_*} policy under a test name whose lb4j policy counts its picker builds and whose
   * channel helper counts picker installs.
   */
  private static final class Counted extends LoadBalancerProvider {
    private final Lb4jLoadBalancerProvider real;
    final AtomicInteger installs = new AtomicInteger();
    volatile TestPolicies.Counting policy;

    Counted(String policy) {
      this.real = Lb4jGrpc.providers().stream().filter(p -> p.getPolicyName().equals(policy)).findFirst().orElseThrow();
    }

    @Override
    public boolean isAvailable() {
      return true;
    }

    @Override
    public int getPriority() {
      return 5;
    }

    @Override
    public String getPolicyName() {
      return "lb4j_test_counted_" + real.getPolicyName();
    }

    @Override
    public ConfigOrError parseLoadBalancingPolicyConfig(Map<String, ?> raw) {
      Lb4jConfig c = (Lb4jConfig) real.parseLoadBalancingPolicyConfig(raw).getConfig();
      policy = new TestPolicies.Counting(c.policy());
      return ConfigOrError.fromConfig(new Lb4jConfig(c.policyName(), policy, c.hashHeader(), c.outlierDetection(),
          c.healthCheck(), c.healthService(), c.panicThreshold(), c.slowStartWindow(), c.fleet(), c.connectEagerly(), c.json()));
    }

    @Override
    public LoadBalancer newLoadBalancer(LoadBalancer.Helper helper) {
      LoadBalancer.Helper counting = new ForwardingLoadBalancerHelper() {
        @Override
        protected LoadBalancer.Helper delegate() {
          return helper;
        }

        @Override
        public void updateBalancingState(ConnectivityState state, LoadBalancer.SubchannelPicker picker) {
          installs.incrementAndGet();
          super.updateBalancingState(state, picker);
        }
      };
      return new Lb4jGrpcLoadBalancer(counting, () -> {
        throw new AssertionError("the service config names this policy");
      });
    }
  }
}
