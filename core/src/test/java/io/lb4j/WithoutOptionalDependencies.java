package io.lb4j;

import io.lb4j.health.HealthCheckConfig;
import io.lb4j.health.TcpConnectProbe;
import io.lb4j.outlier.OutlierDetectionConfig;
import io.lb4j.testing.FakeClock;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * Runs a balancer with active health checks (real TCP probes on loopback), outlier detection and
 * slow start, and returns what it saw. {@link OptionalDependenciesTest} loads it in a class loader
 * without Micrometer and dnsjava: everything it touches must work without them.
 */
public final class WithoutOptionalDependencies implements Callable<String> {

  @Override
  public String call() throws Exception {
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    int closedPort;
    try (ServerSocket gone = new ServerSocket(0, 1, loopback)) {
      closedPort = gone.getLocalPort();
    }
    try (ServerSocket up = new ServerSocket(0, 50, loopback)) {
      Endpoint good = Endpoint.of("127.0.0.1", up.getLocalPort());
      Endpoint dead = Endpoint.of("127.0.0.1", closedPort);
      FakeClock clock = new FakeClock();
      try (LoadBalancer lb = LoadBalancer.builder().name("plain").endpoints(List.of(good, dead))
          .ticker(clock).scheduler(clock)
          .healthCheck(HealthCheckConfig.defaults(), new TcpConnectProbe(Duration.ofSeconds(5)))
          .outlierDetection(OutlierDetectionConfig.builder().maxEjectionPercent(100).build())
          .slowStart(Duration.ofSeconds(10))
          .panicThreshold(0.0)
          .build()) {
        lb.healthChecker().orElseThrow().probeAll().get(10, TimeUnit.SECONDS);
        clock.runDue();
        StringBuilder out = new StringBuilder();
        out.append("dead=").append(lb.status(dead));
        for (int i = 0; i < 5; i++) {
          lb.begin(good).release(Outcome.SERVER_ERROR, 1_000);
        }
        clock.runDue();
        out.append(" good=").append(lb.status(good));
        out.append(" recordsLatency=").append(lb.recordsLatency());
        try {
          lb.pick();
          out.append(" picked");
        } catch (NoEndpointAvailableException e) {
          out.append(" nothing to pick: ").append(e.getMessage());
        }
        return out.toString();
      }
    }
  }
}
