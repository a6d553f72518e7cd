package io.lb4j.bench.sim;

import io.lb4j.health.HealthCheckConfig;
import io.lb4j.internal.ConfigChecks;
import io.lb4j.outlier.OutlierDetectionConfig;
import java.time.Duration;
import java.util.Locale;

/**
 * The client's health settings in a {@link FaultScenario}: what a user chooses. Everything not named
 * here keeps lb4j's default (P2C, the rest of {@link OutlierDetectionConfig#defaults()}, the retry
 * backoff). Immutable.
 *
 * @param label short name for tables
 * @param panicThreshold {@code LoadBalancer.Builder.panicThreshold}, 0..1
 * @param outlierDetection whether outlier detection is on
 * @param maxEjectionPercent {@code OutlierDetectionConfig.maxEjectionPercent}, 0..100
 * @param baseEjectionTime {@code OutlierDetectionConfig.baseEjectionTime}
 * @param healthCheck active health checks, or null for none
 * @param maxAttempts {@code RetryPolicy.maxAttempts}, at least 1
 * @param retryBudgetPercent {@code RetryBudget.percentCanRetry}, at least 0
 * @param retryBudgetMinPerSecond {@code RetryBudget.minRetriesPerSecond}, at least 0
 * @param timeout the client's connect timeout; also how long a request in flight on a host that
 *     vanished waits before it fails
 */
public record FaultSettings(String label, double panicThreshold, boolean outlierDetection, int maxEjectionPercent,
    Duration baseEjectionTime, HealthCheckConfig healthCheck, int maxAttempts, double retryBudgetPercent,
    int retryBudgetMinPerSecond, Duration timeout) {

  /** Validates every field. */
  public FaultSettings {
    if (label == null || label.isBlank()) {
      throw new IllegalArgumentException("label must not be blank");
    }
    // lb4j's own argument checks: the bounds and messages of the builders these settings feed.
    ConfigChecks.fraction(label + ": panicThreshold", panicThreshold);
    ConfigChecks.inRange(label + ": maxEjectionPercent", maxEjectionPercent, 0, 100);
    ConfigChecks.timer(label + ": baseEjectionTime", baseEjectionTime);
    ConfigChecks.atLeast(label + ": maxAttempts", maxAttempts, 1);
    if (!(retryBudgetPercent >= 0) || retryBudgetMinPerSecond < 0) {
      throw new IllegalArgumentException(label + ": the retry budget must be >= 0, was " + retryBudgetPercent
          + " and " + retryBudgetMinPerSecond + "/s");
    }
    ConfigChecks.timer(label + ": timeout", timeout);
  }

  /**
   * Every health feature on with lb4j's default values: outlier detection (cap 10 %, base ejection
   * time 30 s), active checks ({@link HealthCheckConfig#defaults()}: every 5 s, timeout 2 s, 3
   * failures mark unhealthy, 2 passes healthy), panic threshold 0.5, {@code RetryPolicy} default of 2
   * attempts, the default retry budget (20 % of requests plus 10/s); a 1 s connect timeout.
   */
  public static FaultSettings defaults() {
    return new Builder().build();
  }

  /** A builder holding these settings, to change some of them. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.label = label;
    b.panicThreshold = panicThreshold;
    b.outlierDetection = outlierDetection;
    b.maxEjectionPercent = maxEjectionPercent;
    b.baseEjectionTime = baseEjectionTime;
    b.healthCheck = healthCheck;
    b.maxAttempts = maxAttempts;
    b.retryBudgetPercent = retryBudgetPercent;
    b.retryBudgetMinPerSecond = retryBudgetMinPerSecond;
    b.timeout = timeout;
    return b;
  }

  /** The outlier detection config these settings give, or null when it is off. */
  public OutlierDetectionConfig outlierDetectionConfig() {
    return outlierDetection ? OutlierDetectionConfig.builder().maxEjectionPercent(maxEjectionPercent)
        .baseEjectionTime(baseEjectionTime).build() : null;
  }

  /** One line naming every setting, for a table's legend. */
  public String describe() {
    String checks = healthCheck == null ? "no active checks"
        : String.format(Locale.ROOT, "checks every %s (timeout %s, unhealthy %d, healthy %d)",
            text(healthCheck.interval()), text(healthCheck.timeout()),
            healthCheck.unhealthyThreshold(), healthCheck.healthyThreshold());
    return String.format(Locale.ROOT, "%s: panic %s, %s, %s, maxAttempts %d, budget %d %% + %d/s", label,
        panicThreshold == 0 ? "off" : String.format(Locale.ROOT, "%.2f", panicThreshold),
        outlierDetection ? "outlier detection (cap " + maxEjectionPercent + " %, ejections " + text(baseEjectionTime)
            + ")" : "no outlier detection",
        checks, maxAttempts, Math.round(retryBudgetPercent * 100), retryBudgetMinPerSecond);
  }

  /** Settings under construction, starting from {@link #defaults()}; the record's constructor validates. */
  public static final class Builder {
    private String label = "defaults";
    private double panicThreshold = 0.5;
    private boolean outlierDetection = true;
    private int maxEjectionPercent = 10;
    private Duration baseEjectionTime = Duration.ofSeconds(30);
    private HealthCheckConfig healthCheck = HealthCheckConfig.defaults();
    private int maxAttempts = 2;
    private double retryBudgetPercent = 0.2;
    private int retryBudgetMinPerSecond = 10;
    private Duration timeout = Duration.ofSeconds(1);

    private Builder() {}

    /** The name in tables. */
    public Builder label(String newLabel) {
      this.label = newLabel;
      return this;
    }

    /** The panic threshold, 0..1 (0 turns panic mode off). */
    public Builder panicThreshold(double fraction) {
      this.panicThreshold = fraction;
      return this;
    }

    /** Outlier detection on or off. */
    public Builder outlierDetection(boolean on) {
      this.outlierDetection = on;
      return this;
    }

    /** The ejection cap, 0..100. */
    public Builder maxEjectionPercent(int percent) {
      this.maxEjectionPercent = percent;
      return this;
    }

    /** The base ejection time (an ejection lasts it times the endpoint's ejection count). */
    public Builder baseEjectionTime(Duration d) {
      this.baseEjectionTime = d;
      return this;
    }

    /** Active checks, or null for none. */
    public Builder healthCheck(HealthCheckConfig config) {
      this.healthCheck = config;
      return this;
    }

    /** Attempts per request, the first included. */
    public Builder maxAttempts(int n) {
      this.maxAttempts = n;
      return this;
    }

    /** The retry budget: a share of the requests plus a floor per second. */
    public Builder retryBudget(double percentCanRetry, int minPerSecond) {
      this.retryBudgetPercent = percentCanRetry;
      this.retryBudgetMinPerSecond = minPerSecond;
      return this;
    }

    /** The validated settings. */
    public FaultSettings build() {
      return new FaultSettings(label, panicThreshold, outlierDetection, maxEjectionPercent, baseEjectionTime,
          healthCheck, maxAttempts, retryBudgetPercent, retryBudgetMinPerSecond, timeout);
    }
  }

  private static String text(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }
}
