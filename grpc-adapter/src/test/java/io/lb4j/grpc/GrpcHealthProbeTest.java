package io.lb4j.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.lb4j.Endpoint;
import io.lb4j.health.ProbeResult;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class GrpcHealthProbeTest {

  private final HealthStatusManager health = new HealthStatusManager();
  private final Endpoint endpoint = Endpoint.parse("10.0.0.1:50051");
  private Server withHealth;
  private Server withoutHealth;
  private ManagedChannel healthChannel;
  private ManagedChannel plainChannel;

  @AfterEach
  void tearDown() throws Exception {
    for (ManagedChannel c : new ManagedChannel[] {healthChannel, plainChannel}) {
      if (c != null) {
        c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
    for (Server s : new Server[] {withHealth, withoutHealth}) {
      if (s != null) {
        s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  private ProbeResult probe(ManagedChannel channel, String service) throws Exception {
    return new GrpcHealthProbe(e -> e.equals(endpoint) ? channel : null, service, Duration.ofSeconds(5))
        .probe(endpoint).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void mapsServingStatuses() throws Exception {
    String name = InProcessServerBuilder.generateName();
    withHealth = InProcessServerBuilder.forName(name).addService(health.getHealthService()).build().start();
    healthChannel = InProcessChannelBuilder.forName(name).build();
    health.setStatus("orders", ServingStatus.SERVING);
    assertEquals(ProbeResult.Status.HEALTHY, probe(healthChannel, "orders").status());
    health.setStatus("orders", ServingStatus.NOT_SERVING);
    assertEquals(ProbeResult.Status.DRAINING, probe(healthChannel, "orders").status());
    ProbeResult unknown = probe(healthChannel, "payments");
    assertEquals(ProbeResult.Status.UNHEALTHY, unknown.status(), unknown.reason());
    assertEquals(ProbeResult.Status.HEALTHY, probe(healthChannel, "").status(), "the whole server is SERVING");
  }

  @Test
  void unimplementedHealthServiceCountsAsHealthy() throws Exception {
    String name = InProcessServerBuilder.generateName();
    withoutHealth = InProcessServerBuilder.forName(name).build().start();
    plainChannel = InProcessChannelBuilder.forName(name).build();
    ProbeResult r = probe(plainChannel, "");
    assertEquals(ProbeResult.Status.HEALTHY, r.status());
    assertEquals("health service not implemented", r.reason());
  }

  @Test
  void unknownEndpointAndBadArguments() throws Exception {
    GrpcHealthProbe p = new GrpcHealthProbe(e -> null, "", Duration.ofSeconds(1));
    assertEquals(ProbeResult.Status.UNHEALTHY, p.probe(endpoint).toCompletableFuture().get().status());
    assertThrows(IllegalArgumentException.class, () -> new GrpcHealthProbe(null, "", Duration.ofSeconds(1)));
    assertThrows(IllegalArgumentException.class, () -> new GrpcHealthProbe(e -> null, null, Duration.ofSeconds(1)));
    assertThrows(IllegalArgumentException.class, () -> new GrpcHealthProbe(e -> null, "", Duration.ZERO));
  }
}
