package io.lb4j.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.NameResolverRegistry;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.lb4j.Endpoint;
import io.lb4j.Subset;
import io.lb4j.discovery.StaticEndpointSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Subsets and traffic splits in real gRPC channels against real Netty servers on 127.0.0.1: two
 * versions of three servers each, labelled through an {@link EndpointSourceNameResolverProvider}
 * (the metadata travels as address attributes).
 */
class GrpcFleetRoutingTest {

  private static final String SCHEME = "lb4jfleettest";

  private Backends backends;
  private StaticEndpointSource source;
  private EndpointSourceNameResolverProvider resolver;

  @BeforeEach
  void setUp() throws Exception {
    backends = new Backends(6);
    source = StaticEndpointSource.of(versioned(6));
    resolver = EndpointSourceNameResolverProvider.of(SCHEME, uri -> source);
    NameResolverRegistry.getDefaultRegistry().register(resolver);
  }

  @AfterEach
  void tearDown() {
    NameResolverRegistry.getDefaultRegistry().deregister(resolver);
    backends.close();
  }

  /** The first {@code n} backends; 0-2 are version v1, 3-5 version v2. */
  private List<Endpoint> versioned(int n) {
    List<Endpoint> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(backends.get(i).endpoint().withMetadata(Map.of("version", i < 3 ? "v1" : "v2")));
    }
    return out;
  }

  private ManagedChannel channel(Map<String, ?> config) {
    ManagedChannel ch = backends.channel(SCHEME + ":///orders", "lb4j_round_robin", config);
    backends.warmUp(ch);
    return ch;
  }

  @Test
  void theSplitInTheServiceConfigHoldsWithinBinomialBounds() {
    ManagedChannel ch = channel(Map.of("split", Map.of("key", "version", "weights", Map.of("v1", 70.0, "v2", 30.0))));
    int n = 1_000;
    int v2 = 0;
    for (int i = 0; i < n; i++) {
      v2 += Backends.call(ch) >= 3 ? 1 : 0;
    }
    // mean 300, sd sqrt(1,000 x 0.3 x 0.7) = 14.5: five sd either side
    assertTrue(v2 >= 228 && v2 <= 372, v2 + " of 1,000 calls on v2");
  }

  @Test
  void aCallOptionNamesTheSubsetAndAnEmptiedSubsetFailsNamingIt() {
    ManagedChannel ch = channel(Map.of("subsets", Map.of("selectors", List.of(List.of("version")))));
    CallOptions v2 = CallOptions.DEFAULT.withOption(Lb4jGrpc.SUBSET_KEY, Subset.of("version", "v2"));
    for (int i = 0; i < 60; i++) {
      assertTrue(Backends.call(ch, v2) >= 3, "v2 only");
    }
    source.update(versioned(3));
    Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> Backends.call(ch, v2));
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
      assertEquals("load balancer 'orders': no endpoint matches subset {version=v2} and the subset fallback is "
          + "NO_FALLBACK", e.getStatus().getDescription());
    });
    assertTrue(Backends.call(ch) < 3, "calls naming no subset still work");
  }
}
