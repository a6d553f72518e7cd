package io.lb4j;

import static io.lb4j.testing.Rejects.rejects;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.lb4j.health.HealthCheckConfig;
import io.lb4j.health.ProbeResult;
import io.lb4j.outlier.OutlierDetectionConfig;
import io.lb4j.policy.Policies;
import io.lb4j.testing.FakeClock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Durations at the edges of what the builders accept build balancers that work: the longest are
 * clamped to 10,000 days (no {@code ArithmeticException} in a later conversion), the shortest is
 * 1 ms (no zero-delay schedule), and anything outside is refused at the setter.
 */
class DurationLimitsTest {

  private static final Duration HUGE = Duration.ofSeconds(99_999_999_999_999_999L);
  private static final Duration MAX = Duration.ofDays(10_000);
  private static final Endpoint A = Endpoint.parse("127.0.0.1:1001");
  private static final Endpoint B = Endpoint.parse("127.0.0.1:1002");

  @Test
  void slowStartIsOffOrAtLeastOneMillisecondAndClamped() {
    LoadBalancer.Builder b = LoadBalancer.builder();
    rejects(() -> b.slowStart(Duration.ofNanos(500_000)), "slowStart", "0.0005s", "0.001s..864000000s");
    rejects(() -> b.slowStart(Duration.ofMillis(-1)), "slowStart", "-0.001s");
    b.slowStart(Duration.ZERO).slowStart(Duration.ofMillis(1));
    try (LoadBalancer lb = LoadBalancer.builder().endpoints(List.of(A)).slowStart(HUGE).build()) {
      assertEquals(A, lb.choose(PickContext.EMPTY));
    }
  }

  @Test
  void longestEjectionsDoNotOverflowAndShortestSweepRuns() {
    FakeClock clock = new FakeClock(); // the ticker only: the real scheduler sweeps every millisecond
    OutlierDetectionConfig od = OutlierDetectionConfig.builder()
        .interval(Duration.ofMillis(1)) // the shortest: sweeps every millisecond
        .baseEjectionTime(HUGE).maxEjectionTime(HUGE)
        .consecutiveFailures(1).maxEjectionPercent(100)
        .build();
    assertEquals(MAX, od.baseEjectionTime());
    assertEquals(MAX, od.maxEjectionTime());
    try (LoadBalancer lb = LoadBalancer.builder().endpoints(List.of(A, B)).ticker(clock).outlierDetection(od)
        .slowStart(HUGE).policy(Policies.roundRobin()).build()) {
      for (int i = 0; i < 3; i++) {
        // ejected once, then (ejection running out in 10,000 days) stays ejected across sweeps
        lb.begin(A).release(Outcome.SERVER_ERROR, 1_000);
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> lb.status(A) == EndpointStatus.EJECTED);
        clock.forward(Duration.ofDays(3_000));
      }
      assertEquals(EndpointStatus.EJECTED, lb.status(A));
      assertEquals(B, lb.choose(PickContext.EMPTY));
      clock.forward(Duration.ofDays(2_000)); // 11,000 days after the first ejection
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> lb.status(A) == EndpointStatus.HEALTHY);
    }
  }

  @Test
  void longestProbeIntervalAndTimeoutBuildAndPick() {
    HealthCheckConfig hc = HealthCheckConfig.builder().interval(HUGE).timeout(HUGE).build();
    assertEquals(MAX, hc.interval());
    assertEquals(MAX, hc.timeout());
    try (LoadBalancer lb = LoadBalancer.builder().endpoints(List.of(A, B))
        .healthCheck(hc, e -> CompletableFuture.completedFuture(ProbeResult.healthy("ok"))).build()) {
      assertNotNull(lb.choose(PickContext.EMPTY));
    }
  }

  @Test
  void everyConfigDurationRefusesSubMillisecondAndNamesTheRange() {
    OutlierDetectionConfig.Builder od = OutlierDetectionConfig.builder();
    HealthCheckConfig.Builder hc = HealthCheckConfig.builder();
    Duration half = Duration.ofNanos(500_000);
    String range = "0.001s..864000000s";
    rejects(() -> od.interval(half), "interval", "0.0005s", range);
    rejects(() -> od.baseEjectionTime(half), "baseEjectionTime", "0.0005s", range);
    rejects(() -> od.maxEjectionTime(Duration.ZERO), "maxEjectionTime", "was 0s", range);
    rejects(() -> od.interval(null), "interval", "null");
    rejects(() -> hc.interval(Duration.ofNanos(1)), "interval", "0.000000001s", range);
    rejects(() -> hc.timeout(Duration.ofSeconds(-5)), "timeout", "-5s", range);
    rejects(() -> od.successRateStdevFactor(Double.POSITIVE_INFINITY), "successRateStdevFactor", "Infinity");
    rejects(() -> od.successRateStdevFactor(0.0), "successRateStdevFactor", "0.0");
    rejects(() -> hc.jitter(Double.NaN), "jitter", "NaN");
  }
}
