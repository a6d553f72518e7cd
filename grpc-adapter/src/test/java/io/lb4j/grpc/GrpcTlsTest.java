package io.lb4j.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.ServerCredentials;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.lb4j.Endpoint;
import io.lb4j.health.ProbeResult;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import okhttp3.tls.HeldCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** gRPC over TLS through the lb4j policies, against real Netty TLS servers on 127.0.0.1. */
class GrpcTlsTest {

  private static final String SERVICE = "orders.internal";

  private final HeldCertificate root = new HeldCertificate.Builder().certificateAuthority(0).commonName("lb4j test root").build();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private Backends backends;

  @AfterEach
  void tearDown() throws Exception {
    for (ManagedChannel c : channels) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (backends != null) {
      backends.close();
    }
  }

  private static InputStream pem(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
  }

  /** Server credentials presenting a certificate for {@code name} signed by the test root. */
  private ServerCredentials server(String name) throws IOException {
    HeldCertificate leaf = new HeldCertificate.Builder().commonName(name).addSubjectAlternativeName(name)
        .signedBy(root).build();
    return TlsServerCredentials.create(pem(leaf.certificatePem()), pem(leaf.privateKeyPkcs8Pem()));
  }

  private ChannelCredentials trustingRoot() throws IOException {
    return TlsChannelCredentials.newBuilder().trustManager(pem(root.certificatePem())).build();
  }

  private ManagedChannel channel(String target, Map<String, ?> config, String overrideAuthority) throws IOException {
    ManagedChannelBuilder<?> b = Grpc.newChannelBuilder(target, trustingRoot())
        .defaultServiceConfig(Map.of("loadBalancingConfig", List.of(Map.of("lb4j_round_robin", config))));
    if (overrideAuthority != null) {
      b.overrideAuthority(overrideAuthority);
    }
    ManagedChannel ch = b.build();
    channels.add(ch);
    return ch;
  }

  private String target(String authority, List<Endpoint> endpoints) {
    return StaticNameResolverProvider.target(endpoints).replaceFirst("^static:/*", "static://" + authority + "/");
  }

  /** Calls (bounded) until each of the first {@code n} backends answered once, then zeroes the counters. */
  private void warmUp(ManagedChannel ch, int n) {
    for (int i = 0; i < 2_000 && backends.list.subList(0, n).stream().anyMatch(b -> b.hits.get() == 0); i++) {
      Backends.call(ch, CallOptions.DEFAULT.withWaitForReady());
    }
    backends.list.forEach(b -> b.hits.set(0));
  }

  @Test
  void authorityFormBalancesOverTlsAndAWrongCertificateGetsNothing() throws Exception {
    backends = new Backends(List.of(server(SERVICE), server(SERVICE), server(SERVICE), server("evil.internal")));
    ManagedChannel ch = channel(target(SERVICE, backends.endpoints()), Map.of(), null);
    assertEquals(SERVICE, ch.authority());
    warmUp(ch, 3);
    for (int i = 0; i < 30; i++) {
      Backends.call(ch);
    }
    List<Integer> hits = backends.hits();
    assertEquals(0, hits.get(3), "the backend with another name's certificate got a call: " + hits);
    // Round robin over the three READY backends; each reconnect attempt of the failing one installs
    // a new picker, which may start the rotation elsewhere, so allow a few off from 10/10/10.
    for (int i = 0; i < 3; i++) {
      assertTrue(hits.get(i) >= 7 && hits.get(i) <= 13, "balanced 10/10/10 give or take a picker swap: " + hits);
    }
  }

  @Test
  void staticTargetWithoutAuthoritySaysWhatToDoUnderTls() throws Exception {
    backends = new Backends(List.of(server(SERVICE)));
    ManagedChannel ch = channel(StaticNameResolverProvider.target(backends.endpoints()), Map.of(), null);
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> Backends.call(ch));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    assertTrue(e.getMessage().contains("put the service's name in the target's authority")
        && e.getMessage().contains("overrideAuthority"), e.getMessage());
    assertEquals(0, backends.get(0).hits.get());
  }

  @Test
  void overrideAuthorityKeepsWorking() throws Exception {
    backends = new Backends(List.of(server(SERVICE), server(SERVICE)));
    ManagedChannel ch = channel(StaticNameResolverProvider.target(backends.endpoints()), Map.of(), SERVICE);
    warmUp(ch, 2);
    for (int i = 0; i < 10; i++) {
      Backends.call(ch);
    }
    assertEquals(List.of(5, 5), backends.hits());
  }

  @Test
  void perEndpointServerNameBecomesTheAddressAuthority() throws Exception {
    backends = new Backends(List.of(server("node1.orders.internal"), server(SERVICE)));
    List<Endpoint> endpoints = List.of(backends.get(0).endpoint().withServerName("node1.orders.internal"),
        backends.get(1).endpoint());
    ManagedChannel ch = channel(target(SERVICE, endpoints), Map.of(), null);
    warmUp(ch, 2);
    for (int i = 0; i < 10; i++) {
      Backends.call(ch);
    }
    assertEquals(List.of(5, 5), backends.hits());
  }

  @Test
  void healthProbesUseTheChannelsTlsAndIdentity() throws Exception {
    backends = new Backends(List.of(server(SERVICE), server(SERVICE), server(SERVICE)));
    ManagedChannel ch = channel(target(SERVICE, backends.endpoints()), Map.of("healthCheck", Map.of(
        "interval", "0.1s", "timeout", "10s", "unhealthyThreshold", 1.0, "healthyThreshold", 1.0, "service", "")), null);
    warmUp(ch, 3);
    // Probes that failed TLS would mark every backend unhealthy (panic: all get calls); draining
    // only the NOT_SERVING one shows they got through the handshake.
    backends.drainAndAwaitNoCalls(ch, 0);
  }

  @Test
  void healthProbeReportsACertificateMismatchAsUnhealthyWithTheReason() throws Exception {
    backends = new Backends(List.of(server("evil.internal")));
    ManagedChannel probeChannel = Grpc.newChannelBuilderForAddress("127.0.0.1", backends.get(0).server.getPort(),
        trustingRoot()).overrideAuthority(SERVICE).build();
    channels.add(probeChannel);
    GrpcHealthProbe probe = new GrpcHealthProbe(e -> probeChannel, "", Duration.ofSeconds(5));
    ProbeResult r = probe.probe(backends.get(0).endpoint()).toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertEquals(ProbeResult.Status.UNHEALTHY, r.status());
    assertTrue(r.reason().contains(SERVICE), r.reason());
  }
}
