package io.lb4j.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lb4j.outlier.OutlierDetectionConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class HealthConfigValidationTest {

  private static void rejects(String field, Executable e) {
    IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
    assertTrue(ex.getMessage().contains(field), ex.getMessage());
  }

  @Test
  void outlierDetectionRejectsBadValuesNamingTheField() {
    OutlierDetectionConfig.Builder b = OutlierDetectionConfig.builder();
    rejects("consecutiveFailures", () -> b.consecutiveFailures(0));
    rejects("consecutiveLocalFailures", () -> b.consecutiveLocalFailures(-1));
    rejects("interval", () -> b.interval(Duration.ZERO));
    rejects("baseEjectionTime", () -> b.baseEjectionTime(Duration.ofSeconds(-1)));
    rejects("maxEjectionTime", () -> b.maxEjectionTime(null));
    rejects("maxEjectionPercent", () -> b.maxEjectionPercent(101));
    rejects("successRateMinimumHosts", () -> b.successRateMinimumHosts(0));
    rejects("successRateRequestVolume", () -> b.successRateRequestVolume(0));
    rejects("successRateStdevFactor", () -> b.successRateStdevFactor(Double.NaN));
    rejects("successRateEnforcementPercentage", () -> b.successRateEnforcementPercentage(-1));
    rejects("failurePercentageThreshold", () -> b.failurePercentageThreshold(200));
    rejects("failurePercentageMinimumHosts", () -> b.failurePercentageMinimumHosts(0));
    rejects("failurePercentageRequestVolume", () -> b.failurePercentageRequestVolume(0));
    rejects("failurePercentageEnforcementPercentage", () -> b.failurePercentageEnforcementPercentage(101));
    rejects("maxEjectionTime", () -> OutlierDetectionConfig.builder()
        .baseEjectionTime(Duration.ofSeconds(60)).maxEjectionTime(Duration.ofSeconds(30)).build());
  }

  @Test
  void outlierDetectionDefaultsAreEnvoys() {
    OutlierDetectionConfig c = OutlierDetectionConfig.defaults();
    assertEquals(5, c.consecutiveFailures());
    assertEquals(5, c.consecutiveLocalFailures());
    assertEquals(Duration.ofSeconds(10), c.interval());
    assertEquals(Duration.ofSeconds(30), c.baseEjectionTime());
    assertEquals(Duration.ofSeconds(300), c.maxEjectionTime());
    assertEquals(10, c.maxEjectionPercent());
    assertEquals(1.9, c.successRateStdevFactor());
    assertEquals(85, c.failurePercentageThreshold());
  }

  @Test
  void healthCheckRejectsBadValuesNamingTheField() {
    HealthCheckConfig.Builder b = HealthCheckConfig.builder();
    rejects("interval", () -> b.interval(Duration.ZERO));
    rejects("timeout", () -> b.timeout(Duration.ofMillis(-5)));
    rejects("unhealthyThreshold", () -> b.unhealthyThreshold(0));
    rejects("healthyThreshold", () -> b.healthyThreshold(0));
    rejects("jitter", () -> b.jitter(1.5));
    HealthCheckConfig d = HealthCheckConfig.defaults();
    assertEquals(Duration.ofSeconds(5), d.interval());
    assertEquals(Duration.ofSeconds(2), d.timeout());
    assertEquals(3, d.unhealthyThreshold());
    assertEquals(2, d.healthyThreshold());
    assertEquals(0.1, d.jitter());
  }
}
