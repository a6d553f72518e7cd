package io.lb4j.outlier;

import io.lb4j.internal.ConfigChecks;
import java.time.Duration;

/**
 * Settings for passive outlier detection, with Envoy's (and gRPC A50's) model and defaults:
 *
 * <ul>
 *   <li>consecutive failures: {@code consecutiveFailures} 5 (server errors, timeouts and connect
 *       failures), {@code consecutiveLocalFailures} 5 (timeouts and connect failures only);
 *   <li>success rate, every {@code interval} (10 s): {@code successRateMinimumHosts} 5,
 *       {@code successRateRequestVolume} 100, {@code successRateStdevFactor} 1.9,
 *       {@code successRateEnforcementPercentage} 100;
 *   <li>failure percentage: {@code failurePercentageThreshold} 85, {@code failurePercentageMinimumHosts}
 *       5, {@code failurePercentageRequestVolume} 50, {@code failurePercentageEnforcementPercentage} 100;
 *   <li>ejection: {@code baseEjectionTime} 30 s multiplied by the endpoint's ejection count, capped
 *       by {@code maxEjectionTime} 300 s; at most {@code maxEjectionPercent} 10 % of endpoints
 *       ejected at once (but always at least one).
 * </ul>
 *
 * <p>What each setting does at run time is described on {@link OutlierDetector}.
 *
 * <p>Immutable and thread-safe; build with {@link #builder()}. Setters reject bad values at once
 * with an {@link IllegalArgumentException} naming the field; {@link Builder#build()} checks the
 * combination.
 */
public final class OutlierDetectionConfig {

  private final int consecutiveFailures;
  private final int consecutiveLocalFailures;
  private final Duration interval;
  private final Duration baseEjectionTime;
  private final Duration maxEjectionTime;
  private final int maxEjectionPercent;
  private final int successRateMinimumHosts;
  private final int successRateRequestVolume;
  private final double successRateStdevFactor;
  private final int successRateEnforcementPercentage;
  private final int failurePercentageThreshold;
  private final int failurePercentageMinimumHosts;
  private final int failurePercentageRequestVolume;
  private final int failurePercentageEnforcementPercentage;

  private OutlierDetectionConfig(Builder b) {
    this.consecutiveFailures = b.consecutiveFailures;
    this.consecutiveLocalFailures = b.consecutiveLocalFailures;
    this.interval = b.interval;
    this.baseEjectionTime = b.baseEjectionTime;
    this.maxEjectionTime = b.maxEjectionTime;
    this.maxEjectionPercent = b.maxEjectionPercent;
    this.successRateMinimumHosts = b.successRateMinimumHosts;
    this.successRateRequestVolume = b.successRateRequestVolume;
    this.successRateStdevFactor = b.successRateStdevFactor;
    this.successRateEnforcementPercentage = b.successRateEnforcementPercentage;
    this.failurePercentageThreshold = b.failurePercentageThreshold;
    this.failurePercentageMinimumHosts = b.failurePercentageMinimumHosts;
    this.failurePercentageRequestVolume = b.failurePercentageRequestVolume;
    this.failurePercentageEnforcementPercentage = b.failurePercentageEnforcementPercentage;
  }

  /** A builder holding the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** The defaults. */
  public static OutlierDetectionConfig defaults() {
    return builder().build();
  }

  /** Consecutive failures of any kind that eject an endpoint (default 5). */
  public int consecutiveFailures() {
    return consecutiveFailures;
  }

  /** Consecutive local-origin failures (connect failures, timeouts) that eject (default 5). */
  public int consecutiveLocalFailures() {
    return consecutiveLocalFailures;
  }

  /** Time between sweeps: success-rate and failure-percentage checks and un-ejections (default 10 s). */
  public Duration interval() {
    return interval;
  }

  /** Ejection time for a first ejection; multiplied by the ejection count after (default 30 s). */
  public Duration baseEjectionTime() {
    return baseEjectionTime;
  }

  /** Upper bound of one ejection (default 300 s). */
  public Duration maxEjectionTime() {
    return maxEjectionTime;
  }

  /** Most endpoints ejected at once, in percent; at least one may always be ejected (default 10). */
  public int maxEjectionPercent() {
    return maxEjectionPercent;
  }

  /** Hosts with enough volume needed before success-rate ejection runs (default 5). */
  public int successRateMinimumHosts() {
    return successRateMinimumHosts;
  }

  /** Requests in an interval for an endpoint to count for success rate (default 100). */
  public int successRateRequestVolume() {
    return successRateRequestVolume;
  }

  /** Eject below {@code mean - stdev * factor} (default 1.9, Envoy's 1900/1000). */
  public double successRateStdevFactor() {
    return successRateStdevFactor;
  }

  /** Chance in percent that a success-rate outlier is really ejected (default 100). */
  public int successRateEnforcementPercentage() {
    return successRateEnforcementPercentage;
  }

  /** Failure percentage at or above which an endpoint is ejected, as Envoy (default 85). */
  public int failurePercentageThreshold() {
    return failurePercentageThreshold;
  }

  /** Hosts with enough volume needed before failure-percentage ejection runs (default 5). */
  public int failurePercentageMinimumHosts() {
    return failurePercentageMinimumHosts;
  }

  /** Requests in an interval for an endpoint to count for failure percentage (default 50). */
  public int failurePercentageRequestVolume() {
    return failurePercentageRequestVolume;
  }

  /** Chance in percent that a failure-percentage outlier is really ejected (default 100). */
  public int failurePercentageEnforcementPercentage() {
    return failurePercentageEnforcementPercentage;
  }

  @Override
  public String toString() {
    return "OutlierDetectionConfig{consecutiveFailures=" + consecutiveFailures
        + ", consecutiveLocalFailures=" + consecutiveLocalFailures + ", interval=" + interval
        + ", baseEjectionTime=" + baseEjectionTime + ", maxEjectionTime=" + maxEjectionTime
        + ", maxEjectionPercent=" + maxEjectionPercent
        + ", successRate{minimumHosts=" + successRateMinimumHosts + ", requestVolume=" + successRateRequestVolume
        + ", stdevFactor=" + successRateStdevFactor + ", enforcementPercentage=" + successRateEnforcementPercentage
        + "}, failurePercentage{threshold=" + failurePercentageThreshold + ", minimumHosts="
        + failurePercentageMinimumHosts + ", requestVolume=" + failurePercentageRequestVolume
        + ", enforcementPercentage=" + failurePercentageEnforcementPercentage + "}}";
  }

  /** Builds an {@link OutlierDetectionConfig}; not thread-safe. */
  public static final class Builder {
    private int consecutiveFailures = 5;
    private int consecutiveLocalFailures = 5;
    private Duration interval = Duration.ofSeconds(10);
    private Duration baseEjectionTime = Duration.ofSeconds(30);
    private Duration maxEjectionTime = Duration.ofSeconds(300);
    private int maxEjectionPercent = 10;
    private int successRateMinimumHosts = 5;
    private int successRateRequestVolume = 100;
    private double successRateStdevFactor = 1.9;
    private int successRateEnforcementPercentage = 100;
    private int failurePercentageThreshold = 85;
    private int failurePercentageMinimumHosts = 5;
    private int failurePercentageRequestVolume = 50;
    private int failurePercentageEnforcementPercentage = 100;

    private Builder() {}

    /** At least 1 (default 5). */
    public Builder consecutiveFailures(int n) {
      this.consecutiveFailures = ConfigChecks.atLeast("consecutiveFailures", n, 1);
      return this;
    }

    /** At least 1 (default 5). */
    public Builder consecutiveLocalFailures(int n) {
      this.consecutiveLocalFailures = ConfigChecks.atLeast("consecutiveLocalFailures", n, 1);
      return this;
    }

    /**
     * Time between sweeps, at least 1 ms (default 10 s). Shorter (0, negative, sub-millisecond) is
     * refused; longer than 10,000 days is clamped to 10,000 days (no sweep ever runs).
     */
    public Builder interval(Duration interval) {
      this.interval = ConfigChecks.timer("interval", interval);
      return this;
    }

    /**
     * At least 1 ms (default 30 s); shorter is refused, longer than 10,000 days is clamped to
     * 10,000 days (an ejection that never ends).
     */
    public Builder baseEjectionTime(Duration d) {
      this.baseEjectionTime = ConfigChecks.timer("baseEjectionTime", d);
      return this;
    }

    /**
     * At least 1 ms and at least {@code baseEjectionTime} (checked at build); default 300 s. Longer
     * than 10,000 days is clamped to 10,000 days.
     */
    public Builder maxEjectionTime(Duration d) {
      this.maxEjectionTime = ConfigChecks.timer("maxEjectionTime", d);
      return this;
    }

    /**
     * 0..100 (default 10). An ejection that would push the ejected share above this is refused,
     * except that one endpoint may always be ejected when none is, so even 0 allows one.
     */
    public Builder maxEjectionPercent(int percent) {
      this.maxEjectionPercent = ConfigChecks.inRange("maxEjectionPercent", percent, 0, 100);
      return this;
    }

    /** At least 1 (default 5). */
    public Builder successRateMinimumHosts(int n) {
      this.successRateMinimumHosts = ConfigChecks.atLeast("successRateMinimumHosts", n, 1);
      return this;
    }

    /** At least 1 (default 100). */
    public Builder successRateRequestVolume(int n) {
      this.successRateRequestVolume = ConfigChecks.atLeast("successRateRequestVolume", n, 1);
      return this;
    }

    /**
     * A finite positive number (default 1.9: Envoy's {@code success_rate_stdev_factor} 1900 / 1000);
     * NaN, infinities, zero and negative numbers are refused.
     */
    public Builder successRateStdevFactor(double factor) {
      this.successRateStdevFactor = ConfigChecks.positive("successRateStdevFactor", factor);
      return this;
    }

    /** 0..100 (default 100): the chance that a success-rate outlier is ejected; 0 turns it off. */
    public Builder successRateEnforcementPercentage(int percent) {
      this.successRateEnforcementPercentage = ConfigChecks.inRange("successRateEnforcementPercentage", percent, 0, 100);
      return this;
    }

    /** 0..100 (default 85): eject at or above this failure percentage. */
    public Builder failurePercentageThreshold(int percent) {
      this.failurePercentageThreshold = ConfigChecks.inRange("failurePercentageThreshold", percent, 0, 100);
      return this;
    }

    /** At least 1 (default 5). */
    public Builder failurePercentageMinimumHosts(int n) {
      this.failurePercentageMinimumHosts = ConfigChecks.atLeast("failurePercentageMinimumHosts", n, 1);
      return this;
    }

    /** At least 1 (default 50). */
    public Builder failurePercentageRequestVolume(int n) {
      this.failurePercentageRequestVolume = ConfigChecks.atLeast("failurePercentageRequestVolume", n, 1);
      return this;
    }

    /** 0..100 (default 100): the chance that a failure-percentage outlier is ejected; 0 turns it off. */
    public Builder failurePercentageEnforcementPercentage(int percent) {
      this.failurePercentageEnforcementPercentage =
          ConfigChecks.inRange("failurePercentageEnforcementPercentage", percent, 0, 100);
      return this;
    }

    /**
     * Builds the config.
     *
     * @throws IllegalArgumentException if {@code maxEjectionTime} is shorter than {@code baseEjectionTime}
     */
    public OutlierDetectionConfig build() {
      if (maxEjectionTime.compareTo(baseEjectionTime) < 0) {
        throw new IllegalArgumentException("maxEjectionTime (" + maxEjectionTime
            + ") must be >= baseEjectionTime (" + baseEjectionTime + ")");
      }
      return new OutlierDetectionConfig(this);
    }
  }
}
