package io.lb4j.examples;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.NameResolverRegistry;
import io.lb4j.discovery.DnsEndpointSource;
import io.lb4j.grpc.EndpointSourceNameResolverProvider;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * gRPC with endpoints from DNS SRV records ({@code _grpc._tcp.greeter.test}: a port and a weight per
 * instance), resolved by lb4j's {@link DnsEndpointSource} and handed to gRPC through
 * {@link EndpointSourceNameResolverProvider} as the scheme {@code srv:}. When the records change,
 * calls follow within the refresh interval. The example starts its own DNS server (dnsmasq on
 * 127.0.0.1); without dnsmasq installed it says so and exits 0 without running.
 */
public final class GrpcDnsExample {

  private GrpcDnsExample() {}

  /** Runs the example; exits non-zero if calls did not reach the instances the records name. */
  public static void main(String[] args) throws Exception {
    Optional<String> dnsmasq = LocalDns.dnsmasq();
    if (dnsmasq.isEmpty()) {
      System.out.println("GrpcDnsExample skipped: dnsmasq is not installed (apt-get install dnsmasq-base); "
          + "the example needs a DNS server of its own on 127.0.0.1");
      return;
    }
    try (GreeterBackend a = GreeterBackend.start("a");
        GreeterBackend b = GreeterBackend.start("b");
        GreeterBackend c = GreeterBackend.start("c");
        LocalDns dns = LocalDns.start(dnsmasq.get(),
            "127.0.0.1 a.greeter.test\n127.0.0.1 b.greeter.test\n127.0.0.1 c.greeter.test\n",
            List.of(srv("a", a), srv("b", b)))) {
      InetSocketAddress server = dns.address();   // yours: leave out server(...) to use /etc/resolv.conf
      NameResolverRegistry.getDefaultRegistry().register(EndpointSourceNameResolverProvider.of("srv",
          uri -> DnsEndpointSource.builder()
              .srv(uri.getPath().substring(1))      // srv:///_grpc._tcp.greeter.test
              .server(server)
              .refreshBounds(Duration.ofSeconds(1), Duration.ofSeconds(30)) // follows the records' TTL
              .build()));
      ManagedChannel channel = ManagedChannelBuilder.forTarget("srv:///_grpc._tcp.greeter.test")
          .defaultLoadBalancingPolicy("lb4j_round_robin")
          .usePlaintext()
          .build();
      try {
        System.out.println("DNS at " + server + ": _grpc._tcp.greeter.test SRV -> a, b");
        Check.eventually(Duration.ofSeconds(10), "a and b answer",
            () -> GreeterBackend.callMany(channel, 10).size() == 2);
        Map<String, Integer> before = GreeterBackend.callMany(channel, 30);
        System.out.println("30 calls answered by " + before);
        Check.that(!before.containsKey("c"), "c is not in DNS yet, so it gets no call");

        dns.restart(List.of(srv("a", a), srv("b", b), srv("c", c)));
        System.out.println("DNS now: _grpc._tcp.greeter.test SRV -> a, b, c");
        Check.eventually(Duration.ofSeconds(10), "c gets calls once DNS lists it",
            () -> GreeterBackend.callMany(channel, 10).containsKey("c"));
        Map<String, Integer> after = GreeterBackend.callMany(channel, 30);
        System.out.println("30 calls answered by " + after);
        Check.that(after.size() == 3, "a, b and c all answer");
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  /** dnsmasq's {@code --srv-host}: the SRV name, the target, its port, priority 0, weight 10. */
  private static String srv(String name, GreeterBackend backend) {
    return "_grpc._tcp.greeter.test," + name + ".greeter.test," + backend.port() + ",0,10";
  }
}
