package io.lb4j.health;

import io.lb4j.internal.ConfigChecks;
import java.time.Duration;

/**
 * Settings for active health checking. Defaults: interval 5 s, timeout 2 s, unhealthy threshold 3,
 * healthy threshold 2, jitter 10 %. What they do at run time is described on {@link HealthChecker}.
 * Immutable and thread-safe; build with {@link #builder()}.
 */
public final class HealthCheckConfig {

  private final Duration interval;
  private final Duration timeout;
  private final int unhealthyThreshold;
  private final int healthyThreshold;
  private final double jitter;

  private HealthCheckConfig(Builder b) {
    this.interval = b.interval;
    this.timeout = b.timeout;
    this.unhealthyThreshold = b.unhealthyThreshold;
    this.healthyThreshold = b.healthyThreshold;
    this.jitter = b.jitter;
  }

  /** A builder holding the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** The defaults. */
  public static HealthCheckConfig defaults() {
    return builder().build();
  }

  /** Time between two probes of one endpoint (default 5 s). */
  public Duration interval() {
    return interval;
  }

  /** A probe not answered within this time fails (default 2 s). */
  public Duration timeout() {
    return timeout;
  }

  /** Consecutive failed probes that make a healthy endpoint unhealthy (default 3). */
  public int unhealthyThreshold() {
    return unhealthyThreshold;
  }

  /** Consecutive passed probes that make an unhealthy endpoint healthy (default 2). */
  public int healthyThreshold() {
    return healthyThreshold;
  }

  /**
   * Spread of probe times as a fraction of the interval, 0.0..1.0 (default 0.1): each delay between
   * two probes of an endpoint is uniform in {@code interval × [1 − jitter/2, 1 + jitter/2]}, and the
   * first probe comes after {@code interval × U[0, jitter]}, so many clients do not probe in lock-step.
   */
  public double jitter() {
    return jitter;
  }

  @Override
  public String toString() {
    return "HealthCheckConfig{interval=" + interval + ", timeout=" + timeout + ", unhealthyThreshold="
        + unhealthyThreshold + ", healthyThreshold=" + healthyThreshold + ", jitter=" + jitter + "}";
  }

  /** Builds a {@link HealthCheckConfig}; each setter validates its argument and names it when rejecting. */
  public static final class Builder {
    private Duration interval = Duration.ofSeconds(5);
    private Duration timeout = Duration.ofSeconds(2);
    private int unhealthyThreshold = 3;
    private int healthyThreshold = 2;
    private double jitter = 0.1;

    private Builder() {}

    /**
     * Time between two probes of one endpoint, at least 1 ms (default 5 s). Shorter (0, negative,
     * sub-millisecond) is refused; longer than 10,000 days is clamped to 10,000 days.
     */
    public Builder interval(Duration interval) {
      this.interval = ConfigChecks.timer("interval", interval);
      return this;
    }

    /**
     * Probe timeout, at least 1 ms (default 2 s); a probe not answered by then counts as failed.
     * Shorter is refused; longer than 10,000 days is clamped to 10,000 days.
     */
    public Builder timeout(Duration timeout) {
      this.timeout = ConfigChecks.timer("timeout", timeout);
      return this;
    }

    /** Consecutive failed probes that mark a healthy endpoint unhealthy; at least 1 (default 3). */
    public Builder unhealthyThreshold(int n) {
      this.unhealthyThreshold = ConfigChecks.atLeast("unhealthyThreshold", n, 1);
      return this;
    }

    /** Consecutive passed probes that mark an unhealthy endpoint healthy; at least 1 (default 2). */
    public Builder healthyThreshold(int n) {
      this.healthyThreshold = ConfigChecks.atLeast("healthyThreshold", n, 1);
      return this;
    }

    /** Spread of probe times as a fraction of the interval, 0.0..1.0 (default 0.1); see {@link HealthCheckConfig#jitter()}. */
    public Builder jitter(double fraction) {
      this.jitter = ConfigChecks.fraction("jitter", fraction);
      return this;
    }

    /** Builds the config. */
    public HealthCheckConfig build() {
      return new HealthCheckConfig(this);
    }
  }
}
